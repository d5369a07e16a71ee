import { DomainError } from '../../shared/domain-error';
import { type GroupMember } from './checkpoint-record';
import { nextEpoch, planCut, settleCut, type CutPlan, type MemberResult } from './group-cut';

const rel = (from: string, to: string) => ({ from, to });
/** web → app → db, batch needs nothing; two app VEEs. */
const relations = [rel('web', 'app'), rel('app', 'db')];
const members: GroupMember[] = [
  { veeId: 'w0', tier: 'web' },
  { veeId: 'a0', tier: 'app' },
  { veeId: 'a1', tier: 'app' },
  { veeId: 'd0', tier: 'db' },
  { veeId: 'b0', tier: 'batch' },
];
const SHA = 'a'.repeat(64);
const ok = (veeId: string, pausedMs = 10, sizeBytes = 100): MemberResult => ({ veeId, pausedMs, snapshot: { ok: true, sizeBytes, sha256: SHA } });
const codeOf = (f: () => unknown): string => {
  try {
    f();
  } catch (e) {
    if (e instanceof DomainError) return e.code;
    throw e;
  }
  return 'no error';
};

describe('planCut', () => {
  const plan = planCut({ groupId: 'g1', members, relations, previousEpoch: 4 });

  it('pauses dependents first, snapshots all at once, resumes dependencies first', () => {
    expect(plan.order).toEqual({ kind: 'dependency' });
    expect(plan.steps.map((s) => [s.action, s.veeIds])).toEqual([
      ['pause', ['w0']],
      ['pause', ['a0', 'a1']],
      ['pause', ['d0', 'b0']],
      ['snapshot', ['w0', 'a0', 'a1', 'd0', 'b0']],
      ['resume', ['d0', 'b0']],
      ['resume', ['a0', 'a1']],
      ['resume', ['w0']],
    ]);
    expect(plan.steps[2]?.tiers).toEqual(['db', 'batch']);
  });

  it('numbers the cut and names its snapshot after group and epoch', () => {
    expect(plan).toMatchObject({ groupId: 'g1', epoch: 5, snapshot: 'rsv-cut-g1-e5', members });
    expect(planCut({ groupId: 'g1', members, relations, previousEpoch: undefined }).epoch).toBe(1);
  });

  it('keeps order through a tier outside the group (a needs x needs b)', () => {
    const p = planCut({ groupId: 'g', members: [{ veeId: 'b', tier: 'b' }, { veeId: 'a', tier: 'a' }], relations: [rel('a', 'x'), rel('x', 'b')], previousEpoch: 1 });
    expect(p.steps.map((s) => `${s.action}:${s.veeIds.join(',')}`)).toEqual(['pause:a', 'pause:b', 'snapshot:b,a', 'resume:b', 'resume:a']);
  });

  it('falls back to all at once when the relations have a cycle', () => {
    const p = planCut({ groupId: 'g', members, relations: [...relations, rel('db', 'web')], previousEpoch: undefined });
    expect(p.order).toEqual({ kind: 'all-at-once', reason: expect.stringContaining('cycle (web → app → db → web)') });
    expect(p.steps.map((s) => [s.action, s.veeIds.length])).toEqual([['pause', 5], ['snapshot', 5], ['resume', 5]]);
  });

  it.each([
    ['no members', { members: [] }],
    ['a VEE twice', { members: [members[0], members[0]] }],
    ['an empty group id', { groupId: ' ' }],
    ['a previous epoch of 0', { previousEpoch: 0 }],
    ['a fractional previous epoch', { previousEpoch: 1.5 }],
  ])('refuses %s', (_label, patch) => {
    expect(codeOf(() => planCut({ groupId: 'g', members, relations, previousEpoch: 2, ...patch } as never))).toBe('invalid-input');
  });
});

describe('nextEpoch', () => {
  it.each([
    [undefined, 1],
    [1, 2],
    [41, 42],
  ])('after %p comes %p', (previous, next) => expect(nextEpoch(previous)).toBe(next));
});

describe('settleCut', () => {
  const plan: CutPlan = planCut({ groupId: 'g1', members, relations, previousEpoch: 6 });
  const allOk = members.map((m, i) => ok(m.veeId, 5 + i, 1000 * (i + 1)));
  const replace = (veeId: string, r: MemberResult | undefined) => allOk.flatMap((x) => (x.veeId === veeId ? (r ? [r] : []) : [x]));

  it('completes when every member paused and wrote its snapshot, recording the longest pause', () => {
    const out = settleCut(plan, allOk);
    expect(out).toMatchObject({ status: 'complete', groupId: 'g1', epoch: 7, pauseMsMax: 9, sizeBytes: 15000 });
    expect(out.status === 'complete' && out.members.map((m) => [m.veeId, m.tier, m.pausedMs])).toEqual([
      ['w0', 'web', 5], ['a0', 'app', 6], ['a1', 'app', 7], ['d0', 'db', 8], ['b0', 'batch', 9],
    ]);
  });

  it.each<[string, MemberResult | undefined, string, string[]]>([
    ['a failed snapshot', { veeId: 'd0', pausedMs: 3, snapshot: { ok: false, error: 'disk full' } }, 'snapshot failed: disk full', ['w0', 'a0', 'a1', 'b0']],
    ['a missing result', undefined, 'no result', ['w0', 'a0', 'a1', 'b0']],
    ['a snapshot taken without a pause', { ...ok('d0'), pausedMs: null }, 'without a pause', ['w0', 'a0', 'a1', 'd0', 'b0']],
    ['a malformed digest', { veeId: 'd0', pausedMs: 1, snapshot: { ok: true, sizeBytes: 1, sha256: 'A'.repeat(64) } }, 'digest', ['w0', 'a0', 'a1', 'd0', 'b0']],
    ['a fractional size', { veeId: 'd0', pausedMs: 1, snapshot: { ok: true, sizeBytes: 1.5, sha256: SHA } }, 'whole number', ['w0', 'a0', 'a1', 'd0', 'b0']],
  ])('discards the whole cut for %s, deleting every written part', (_label, result, reason, discard) => {
    const out = settleCut(plan, replace('d0', result));
    expect(out.status).toBe('discarded');
    if (out.status !== 'discarded') return;
    expect(out.failures).toEqual([{ veeId: 'd0', tier: 'db', reason: expect.stringContaining(reason) }]);
    expect(out.discard.map((p) => p.veeId)).toEqual(discard);
    expect(out.reason).toContain('cut 7 of group g1 discarded: 1 of 5 member(s) failed: VEE d0 (db)');
  });

  it('names every failed member and discards nothing when no snapshot was written', () => {
    const failed = members.map((m) => ({ veeId: m.veeId, pausedMs: null, snapshot: { ok: false as const, error: 'host down' } }));
    const out = settleCut(plan, failed);
    expect(out).toMatchObject({ status: 'discarded', pauseMsMax: 0, discard: [] });
    expect(out.status === 'discarded' && out.failures.map((f) => f.veeId)).toEqual(['w0', 'a0', 'a1', 'd0', 'b0']);
  });

  it.each([
    ['a result for a non-member', [...allOk, ok('zz')]],
    ['two results for one VEE', [...allOk, ok('w0')]],
    ['a negative pause', replace('w0', ok('w0', -1))],
    ['a NaN pause', replace('w0', ok('w0', Number.NaN))],
  ])('refuses %s', (_label, results) => {
    expect(codeOf(() => settleCut(plan, results))).toBe('invalid-input');
  });
});
