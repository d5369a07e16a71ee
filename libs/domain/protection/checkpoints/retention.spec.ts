import fc from 'fast-check';
import { planRetention, type RetentionItem } from './retention';

interface Item extends RetentionItem {
  id: string;
}
const item = (id: string, t: number, over: Partial<Item> = {}): Item => ({ id, veeId: 'v', epoch: t, createdAt: new Date(t * 1000), complete: true, ...over });
const ids = (list: readonly Item[]) => list.map((c) => c.id);

describe('planRetention', () => {
  it.each<[string, Item[], number, string[], Record<string, string>]>([
    ['prunes the oldest beyond K', [item('c1', 1), item('c2', 2), item('c3', 3), item('c4', 4)], 2, ['c1', 'c2'], { c3: 'newest-k', c4: 'newest-k' }],
    ['keeps all when there are K or fewer', [item('c1', 1), item('c2', 2)], 3, [], { c1: 'newest-k', c2: 'newest-k' }],
    ['judges by time, not input order', [item('c4', 4), item('c1', 1), item('c3', 3), item('c2', 2)], 1, ['c1', 'c3', 'c2'], { c4: 'newest-k' }],
    ['breaks a time tie by epoch', [item('e2', 5, { epoch: 2 }), item('e3', 5, { epoch: 3 })], 1, ['e2'], { e3: 'newest-k' }],
    [
      'never prunes an in-progress one, nor counts it towards K',
      [item('c1', 1), item('c2', 2), item('p3', 3, { complete: false }), item('p4', 4, { complete: false })],
      1, ['c1'], { c2: 'newest-k', p3: 'in-progress', p4: 'in-progress' },
    ],
    [
      'keeps the newest complete group cut beyond K when VEE-only checkpoints are newer',
      [item('g1', 1, { groupId: 'g' }), item('g2', 2, { groupId: 'g' }), item('s3', 3), item('s4', 4), item('g5', 5, { groupId: 'g', complete: false })],
      2, ['g1'], { g2: 'newest-group-cut', s3: 'newest-k', s4: 'newest-k', g5: 'in-progress' },
    ],
    [
      'judges each VEE on its own',
      [item('a1', 1, { veeId: 'a' }), item('a2', 2, { veeId: 'a' }), item('b1', 1, { veeId: 'b' }), item('b9', 9, { veeId: 'b' })],
      1, ['a1', 'b1'], { a2: 'newest-k', b9: 'newest-k' },
    ],
  ])('%s', (_label, checkpoints, k, pruned, kept) => {
    const plan = planRetention(checkpoints, k);
    expect(ids(plan.prune)).toEqual(pruned);
    expect(Object.fromEntries(plan.keep.map((x) => [x.checkpoint.id, x.reason]))).toEqual(kept);
  });

  it.each([0, -1, 1.5, Number.NaN])('refuses K = %p', (k) => {
    expect(() => planRetention([item('c1', 1)], k)).toThrow('integer ≥ 1');
  });
});

describe('planRetention (properties)', () => {
  const checkpoints = fc
    .array(
      fc.record({
        veeId: fc.constantFrom('a', 'b', 'c'),
        t: fc.integer({ min: 0, max: 50 }),
        complete: fc.boolean(),
        groupId: fc.option(fc.constantFrom('g1', 'g2'), { nil: undefined }),
      }),
      { maxLength: 30 },
    )
    .map((list) => list.map((c, i) => item(`x${i}`, c.t, { veeId: c.veeId, epoch: i + 1, complete: c.complete, groupId: c.groupId })));
  const newer = (a: Item, b: Item) => a.createdAt.getTime() > b.createdAt.getTime() || (a.createdAt.getTime() === b.createdAt.getTime() && a.epoch > b.epoch);

  it('partitions the input, never prunes in-progress ones, the newest K or the newest cut of a group', () => {
    fc.assert(
      fc.property(checkpoints, fc.integer({ min: 1, max: 4 }), (list, k) => {
        const plan = planRetention(list, k);
        const kept = plan.keep.map((x) => x.checkpoint);
        expect(ids(list).filter((id) => ids(plan.prune).includes(id) === ids(kept).includes(id))).toEqual([]);
        for (const p of plan.prune) {
          expect(p.complete).toBe(true);
          const newerOfVee = list.filter((c) => c.veeId === p.veeId && c.complete && newer(c, p));
          expect(newerOfVee.length).toBeGreaterThanOrEqual(k);
          if (p.groupId !== undefined) expect(newerOfVee.some((c) => c.groupId === p.groupId)).toBe(true);
        }
        for (const veeId of new Set(list.map((c) => c.veeId))) {
          const complete = list.filter((c) => c.veeId === veeId && c.complete);
          expect(plan.keep.filter((x) => x.checkpoint.veeId === veeId && x.reason === 'newest-k')).toHaveLength(Math.min(k, complete.length));
        }
      }),
      { numRuns: 400 },
    );
  });

  it('is idempotent and independent of input order', () => {
    fc.assert(
      fc.property(checkpoints.chain((l) => fc.shuffledSubarray(l, { minLength: l.length }).map((s) => [l, s] as const)), fc.integer({ min: 1, max: 4 }), ([list, shuffled], k) => {
        const plan = planRetention(list, k);
        expect(planRetention(plan.keep.map((x) => x.checkpoint), k).prune).toEqual([]);
        expect(ids(planRetention(shuffled, k).prune).sort()).toEqual(ids(plan.prune).sort());
      }),
      { numRuns: 400 },
    );
  });
});
