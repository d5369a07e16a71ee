import { formatFields, formatTable } from './table';

describe('formatTable', () => {
  it('pads every column but the last to its widest cell, header included, two spaces apart', () => {
    expect(formatTable(['TIER', 'HOST', 'PHASE'], [['web-servers', 'h1', 'running'], ['db', 'sim-host-22', 'defined']])).toEqual([
      'TIER         HOST         PHASE',
      'web-servers  h1           running',
      'db           sim-host-22  defined',
    ]);
  });

  it('never cuts a cell and leaves no trailing blanks when the last cells are empty', () => {
    const id = '0b0b0b0b-0000-4000-8000-000000000000';
    const lines = formatTable(['VEE', 'DOMAIN', 'SINCE'], [[id, '', '']]);
    expect(lines).toEqual([`VEE${' '.repeat(id.length - 1)}DOMAIN  SINCE`, id]);
  });

  it('prints just the header for no rows', () => {
    expect(formatTable(['A', 'BB'], [])).toEqual(['A  BB']);
  });
});

describe('formatFields', () => {
  it('aligns the values after the longest label', () => {
    expect(formatFields([['id', 'x'], ['created', '2025-01-01T00:00:00.000Z'], ['reason', '']])).toEqual([
      'id:       x',
      'created:  2025-01-01T00:00:00.000Z',
      'reason:',
    ]);
  });
});
