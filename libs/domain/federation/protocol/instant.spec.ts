import { parseInstant } from './instant';

describe('parseInstant', () => {
  it('reads UTC instants with or without a fraction', () => {
    expect(parseInstant('2026-03-02T10:00:00.000Z')).toBe(Date.parse('2026-03-02T10:00:00.000Z'));
    expect(parseInstant('2026-03-02T10:00:00Z')).toBe(Date.parse('2026-03-02T10:00:00.000Z'));
    expect(parseInstant('2026-03-02T10:00:00.5Z')).toBe(Date.parse('2026-03-02T10:00:00.500Z'));
    expect(parseInstant('2026-03-02T10:00:00.123456789Z')).toBe(Date.parse('2026-03-02T10:00:00.123Z'));
    expect(parseInstant('2024-02-29T23:59:59.999Z')).toBe(Date.parse('2024-02-29T23:59:59.999Z'));
  });

  it.each(['2026-02-30T10:00:00.000Z', '2025-02-29T00:00:00Z', '2026-03-02T24:00:00Z', '2026-03-02T10:60:00Z', '2026-03-02T10:00:00+01:00',
    '2026-03-02 10:00:00Z', '2026-3-2T10:00:00Z', 'yesterday'])('refuses %s', (text) => {
    expect(parseInstant(text)).toBeUndefined();
  });

  it('refuses what is not a string', () => {
    expect(parseInstant(0)).toBeUndefined();
  });
});
