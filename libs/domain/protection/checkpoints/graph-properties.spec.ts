import fc from 'fast-check';
import { type TierRelation } from '../../manifest/service-definition';
import { type GroupMember } from './checkpoint-record';
import { dependencyLevels, linkedTierGroups } from './dependency-graph';
import { planCut, settleCut, type MemberResult } from './group-cut';
import { membersInScope, rollbackScope } from './rollback-scope';

const runs = { numRuns: 300 };
const POOL = ['web', 'app', 'db', 'cache', 'batch', 'queue', 'auth', 'search'];

/** A random acyclic service: manifest order and dependency direction are independent shuffles. */
const dag = fc.shuffledSubarray(POOL, { minLength: 1 }).chain((tiers) =>
  fc.record({
    tiers: fc.constant(tiers),
    rank: fc.shuffledSubarray(tiers, { minLength: tiers.length }),
    pairs: fc.array(fc.tuple(fc.nat(), fc.nat()), { maxLength: 14 }),
  }).map(({ tiers: names, rank, pairs }) => {
    const relations: TierRelation[] = [];
    for (const [i, j] of pairs) {
      const [a, b] = [rank[i % rank.length] as string, rank[j % rank.length] as string];
      if (a === b) continue;
      // The later-ranked tier needs the earlier one: no cycle can form.
      relations.push(rank.indexOf(a) > rank.indexOf(b) ? { from: a, to: b } : { from: b, to: a });
    }
    return { tiers: names, relations };
  }),
);

/** Oracle: the failed tier and everything that needs it, by fixpoint over the relations. */
function dependentsOracle(failed: string, relations: readonly TierRelation[]): Set<string> {
  const out = new Set([failed]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const r of relations) if (out.has(r.to) && !out.has(r.from)) grew = Boolean(out.add(r.from));
  }
  return out;
}

const withMembers = dag.chain((g) =>
  fc.record({ counts: fc.array(fc.integer({ min: 1, max: 3 }), { minLength: g.tiers.length, maxLength: g.tiers.length }), previous: fc.option(fc.integer({ min: 1, max: 1000 }), { nil: undefined }) })
    .map(({ counts, previous }) => ({ ...g, previous, members: g.tiers.flatMap((t, i) => Array.from({ length: counts[i] ?? 1 }, (_, k): GroupMember => ({ veeId: `${t}-${k}`, tier: t }))) })),
);

describe('rollbackScope (properties)', () => {
  it('rolls back exactly the failed tier and its dependents, restore order respecting every relation', () => {
    fc.assert(
      fc.property(dag.chain((g) => fc.constantFrom(...g.tiers).map((failed) => ({ ...g, failed }))), ({ tiers, relations, failed }) => {
        const out = rollbackScope({ tiers, relations, failedTier: failed });
        expect(out.kind).toBe('dependents');
        const expected = dependentsOracle(failed, relations);
        expect(new Set(out.rollBack)).toEqual(expected);
        expect(out.keepRunning).toEqual(tiers.filter((t) => !expected.has(t)));
        for (const r of relations) {
          if (expected.has(r.to)) expect(expected.has(r.from)).toBe(true); // nothing left running needs a rolled-back tier
          if (expected.has(r.to) && expected.has(r.from)) expect(out.rollBack.indexOf(r.to)).toBeLessThan(out.rollBack.indexOf(r.from));
        }
      }),
      runs,
    );
  });

  it('falls back to the whole group for a cycle or a relation leaving the group, and ignores other groups', () => {
    fc.assert(
      fc.property(dag.filter((g) => g.relations.length > 0), fc.nat(), ({ tiers, relations }, pick) => {
        const failedTier = tiers[pick % tiers.length] as string;
        const r = relations[pick % relations.length] as TierRelation;
        const cyclic = rollbackScope({ tiers, relations: [...relations, { from: r.to, to: r.from }], failedTier });
        expect(cyclic).toMatchObject({ kind: 'whole-group', reason: 'cycle', keepRunning: [] });
        expect(new Set(cyclic.rollBack)).toEqual(new Set(tiers));
        const leaving = rollbackScope({ tiers, relations: [...relations, { from: r.from, to: 'elsewhere' }], failedTier });
        expect(leaving).toMatchObject({ kind: 'whole-group', reason: 'relation-outside-group' });
        const others = [{ from: 'x', to: 'y' }, { from: 'y', to: 'x' }];
        expect(rollbackScope({ tiers, relations: [...others, ...relations], failedTier })).toEqual(rollbackScope({ tiers, relations, failedTier }));
      }),
      runs,
    );
  });

  it('splits the members into rolled back and kept running, losing none', () => {
    fc.assert(
      fc.property(withMembers, fc.nat(), ({ tiers, relations, members }, pick) => {
        const s = rollbackScope({ tiers, relations, failedTier: tiers[pick % tiers.length] });
        const { rollBack, keepRunning } = membersInScope(members, s);
        expect([...rollBack, ...keepRunning].sort((a, b) => a.veeId.localeCompare(b.veeId))).toEqual([...members].sort((a, b) => a.veeId.localeCompare(b.veeId)));
        for (const m of rollBack) expect(s.rollBack).toContain(m.tier);
        for (const m of keepRunning) expect(s.keepRunning).toContain(m.tier);
      }),
      runs,
    );
  });
});

describe('planCut (properties)', () => {
  it('pauses and resumes every member once, a needing b: a pauses before b and resumes after it', () => {
    fc.assert(
      fc.property(withMembers, ({ relations, members, previous }) => {
        const plan = planCut({ groupId: 'g', members, relations, previousEpoch: previous });
        expect(plan.epoch).toBe((previous ?? 0) + 1);
        const actions = plan.steps.map((s) => s.action);
        const snapshotAt = actions.indexOf('snapshot');
        expect(actions).toEqual([...actions.slice(0, snapshotAt).map(() => 'pause'), 'snapshot', ...actions.slice(snapshotAt + 1).map(() => 'resume')]);
        expect(plan.steps[snapshotAt]?.veeIds).toEqual(members.map((m) => m.veeId));
        const pauses = plan.steps.filter((s) => s.action === 'pause').map((s) => s.veeIds);
        const resumes = plan.steps.filter((s) => s.action === 'resume').map((s) => s.veeIds);
        expect(resumes).toEqual([...pauses].reverse());
        expect(pauses.flat().sort()).toEqual(members.map((m) => m.veeId).sort());
        const waveOf = (tier: string) => pauses.findIndex((w) => w.includes(`${tier}-0`));
        for (const r of relations) expect(waveOf(r.from)).toBeLessThan(waveOf(r.to));
      }),
      runs,
    );
  });
});

describe('settleCut (properties)', () => {
  const outcome = fc.oneof(
    fc.record({ pausedMs: fc.option(fc.integer({ min: 0, max: 500 }), { nil: null }), ok: fc.boolean(), size: fc.nat() }),
    fc.constant(undefined),
  );
  it('completes exactly when every member paused and wrote its part; otherwise discards every written part', () => {
    fc.assert(
      fc.property(withMembers.chain((g) => fc.array(outcome, { minLength: g.members.length, maxLength: g.members.length }).map((o) => ({ ...g, o }))), ({ members, relations, o }) => {
        const plan = planCut({ groupId: 'g', members, relations, previousEpoch: undefined });
        const results: MemberResult[] = members.flatMap((m, i) => {
          const r = o[i];
          if (r === undefined) return [];
          const snapshot = r.ok ? { ok: true as const, sizeBytes: r.size, sha256: 'f'.repeat(64) } : { ok: false as const, error: 'e' };
          return [{ veeId: m.veeId, pausedMs: r.pausedMs, snapshot }];
        });
        const out = settleCut(plan, results);
        const good = results.filter((r) => r.snapshot.ok && r.pausedMs !== null);
        expect(out.status).toBe(good.length === members.length ? 'complete' : 'discarded');
        expect(out.pauseMsMax).toBe(Math.max(0, ...results.map((r) => r.pausedMs ?? 0)));
        const written = results.filter((r) => r.snapshot.ok).map((r) => r.veeId);
        if (out.status === 'complete') expect(out.members.map((p) => p.veeId)).toEqual(members.map((m) => m.veeId));
        else {
          expect(out.discard.map((p) => p.veeId)).toEqual(written);
          expect(out.failures.length).toBe(members.length - good.length);
        }
      }),
      runs,
    );
  });
});

describe('dependency-graph (properties)', () => {
  it('levels put every tier above what it needs; linked groups partition the tiers along relations', () => {
    fc.assert(
      fc.property(dag, ({ tiers, relations }) => {
        const levels = dependencyLevels(tiers, relations);
        expect(levels).toBeDefined();
        for (const r of relations) expect(levels?.get(r.from) ?? -1).toBeGreaterThan(levels?.get(r.to) ?? -1);
        const groups = linkedTierGroups(tiers, relations);
        expect(groups.flat().sort()).toEqual([...tiers].sort());
        const groupOf = new Map(groups.flatMap((g, i) => g.map((t) => [t, i] as const)));
        for (const r of relations) expect(groupOf.get(r.from)).toBe(groupOf.get(r.to));
        expect(dependencyLevels(tiers, [...relations, ...relations.slice(0, 1).map((r) => ({ from: r.to, to: r.from }))])).toEqual(relations.length > 0 ? undefined : levels);
      }),
      runs,
    );
  });

  it('linkedTierGroups: web → app → db and a lone batch make two groups', () => {
    expect(linkedTierGroups(['web', 'app', 'db', 'batch'], [{ from: 'web', to: 'app' }, { from: 'app', to: 'db' }])).toEqual([['web', 'app', 'db'], ['batch']]);
  });
});
