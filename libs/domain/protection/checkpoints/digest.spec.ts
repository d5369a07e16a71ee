import fc from 'fast-check';
import { type CheckpointRecord } from './checkpoint-record';
import { canRestore, isSha256Hex, restoreVerdict, validateCheckpointRecord } from './digest';

const SHA = '0123456789abcdef'.repeat(4);
const record = (over: Partial<CheckpointRecord> = {}): CheckpointRecord => ({
  id: 'c1', veeId: 'v1', groupId: 'g1', epoch: 3, createdAt: new Date(0), sizeBytes: 1024, sha256: SHA,
  locations: [{ kind: 'local', siteId: 's1', path: '/var/lib/reservoir/c1' }, { kind: 'shipped', siteId: 's2', path: '/in/c1' }], complete: true, ...over,
});

describe('isSha256Hex', () => {
  it.each<[unknown, boolean]>([
    [SHA, true], ['f'.repeat(64), true], [SHA.toUpperCase(), false], ['f'.repeat(63), false], ['f'.repeat(65), false], [`${'f'.repeat(63)}g`, false], [` ${SHA}`, false], [undefined, false], [42, false],
  ])('%p → %p', (value, expected) => expect(isSha256Hex(value)).toBe(expected));
});

describe('restoreVerdict / canRestore', () => {
  it.each<[string, Partial<CheckpointRecord>, string | undefined, string | true]>([
    ['a matching digest', {}, SHA, true],
    ['a different digest', {}, 'f'.repeat(64), 'failed its digest check'],
    ['no measured digest', {}, undefined, 'no digest could be measured'],
    ['an upper-case measured digest', {}, SHA.toUpperCase(), 'not 64 lowercase hex'],
    ['a malformed recorded digest', { sha256: 'abc' }, 'abc', 'malformed recorded sha256'],
    ['an incomplete checkpoint', { complete: false }, SHA, 'not complete'],
  ])('%s', (_label, over, measured, expected) => {
    const verdict = restoreVerdict(record(over), measured);
    if (expected === true) expect(verdict).toEqual({ ok: true });
    else expect(verdict).toEqual({ ok: false, reason: expect.stringContaining(expected) });
    expect(canRestore(record(over), measured)).toBe(expected === true);
  });

  it('restores only the exact recorded digest (property)', () => {
    const hex = fc.stringMatching(/^[0-9a-f]{64}$/);
    fc.assert(fc.property(hex, hex, (recorded, measured) => expect(canRestore(record({ sha256: recorded }), measured)).toBe(recorded === measured)));
    fc.assert(
      fc.property(hex, fc.integer({ min: 0, max: 63 }), (recorded, i) => {
        const flipped = recorded.slice(0, i) + (recorded[i] === '0' ? '1' : '0') + recorded.slice(i + 1);
        expect(canRestore(record({ sha256: recorded }), flipped)).toBe(false);
      }),
    );
  });
});

describe('validateCheckpointRecord', () => {
  it('accepts a well-formed record', () => expect(validateCheckpointRecord(record())).toEqual([]));

  it.each(['periodic', 'api', 'before-migration', 'before-update', 'monitoring-rule:cpu-high.1'] as const)('accepts trigger %s and a local location on a host', (trigger) => {
    const locations = [{ kind: 'local' as const, siteId: 's1', path: '/ckpt/c1', hostId: 'h1' }];
    expect(validateCheckpointRecord(record({ trigger, locations }))).toEqual([]);
  });

  it.each<[string, Partial<CheckpointRecord>, string[]]>([
    ['an empty id and VEE', { id: '', veeId: ' ' }, ['id', 'veeId']],
    ['an empty group id', { groupId: '' }, ['groupId']],
    ['epoch 0 and a fractional size', { epoch: 0, sizeBytes: 1.5 }, ['epoch', 'sizeBytes']],
    ['an invalid time', { createdAt: new Date(Number.NaN) }, ['createdAt']],
    ['an upper-case digest', { sha256: SHA.toUpperCase() }, ['sha256']],
    ['no location', { locations: [] }, ['locations']],
    ['a location without site or path, and a duplicate', { locations: [{ kind: 'local', siteId: '', path: '' }, { kind: 'local', siteId: '', path: '' }] }, [
      'locations[0].siteId', 'locations[0].path', 'locations[1].siteId', 'locations[1].path', 'locations[1]',
    ]],
    ['an unknown trigger', { trigger: 'whenever' as CheckpointRecord['trigger'] }, ['trigger']],
    ['a monitoring rule with no name', { trigger: 'monitoring-rule:' }, ['trigger']],
    ['a host on a shipped location, and an empty one', { locations: [{ kind: 'shipped', siteId: 's', path: '/a', hostId: 'h1' }, { kind: 'local', siteId: 's', path: '/b', hostId: ' ' }] }, [
      'locations[0].hostId', 'locations[1].hostId',
    ]],
  ])('reports %s, every problem at its path', (_label, over, paths) => {
    expect(validateCheckpointRecord(record(over)).map((p) => p.path)).toEqual(paths);
  });
});
