import { DomainError } from '../../shared/domain-error';
import { type CheckpointRecord, type GroupCutRecord, type GroupMember } from './checkpoint-record';
import { canRestore } from './digest';
import { membersInScope, newestCommonCut, rollbackScope, type RollbackScope } from './rollback-scope';

const rel = (from: string, to: string) => ({ from, to });
const tiers = ['web', 'app', 'db', 'batch'];
/** The example: web → app → db, and batch, which needs nothing. */
const chain = [rel('web', 'app'), rel('app', 'db')];
const scope = (failedTier: string | undefined, relations = chain, group = tiers) => rollbackScope({ tiers: group, relations, failedTier });
const dependents = (rollBack: string[], keepRunning: string[], failedTier: string): RollbackScope => ({ kind: 'dependents', failedTier, rollBack, keepRunning });

describe('rollbackScope: the three-tier example', () => {
  it.each<[string, string, { rollBack: string[]; keepRunning: string[] }]>([
    ['db', 'rolls back db, app and web (transitively), in restore order; batch keeps running', { rollBack: ['db', 'app', 'web'], keepRunning: ['batch'] }],
    ['app', 'rolls back app and web; db and batch keep running', { rollBack: ['app', 'web'], keepRunning: ['db', 'batch'] }],
    ['web', 'rolls back only web', { rollBack: ['web'], keepRunning: ['app', 'db', 'batch'] }],
    ['batch', 'rolls back only batch', { rollBack: ['batch'], keepRunning: ['web', 'app', 'db'] }],
  ])('failure in %s %s', (failed, _label, expected) => {
    expect(scope(failed)).toEqual(dependents(expected.rollBack, expected.keepRunning, failed));
  });

  it('rolls back batch too when batch needs app: it depends on db transitively', () => {
    const withBatch = [...chain, rel('batch', 'app')];
    expect(scope('db', withBatch)).toEqual(dependents(['db', 'app', 'web', 'batch'], [], 'db'));
    expect(scope('web', withBatch)).toEqual(dependents(['web'], ['app', 'db', 'batch'], 'web'));
    expect(scope('batch', withBatch)).toEqual(dependents(['batch'], ['web', 'app', 'db'], 'batch'));
  });

  it('follows a diamond once: web needs app and cache, both need db', () => {
    const diamond = [rel('web', 'app'), rel('web', 'cache'), rel('app', 'db'), rel('cache', 'db')];
    expect(scope('db', diamond, ['web', 'app', 'cache', 'db'])).toEqual(dependents(['db', 'app', 'cache', 'web'], [], 'db'));
    expect(scope('cache', diamond, ['web', 'app', 'cache', 'db'])).toEqual(dependents(['cache', 'web'], ['app', 'db'], 'cache'));
  });

  it('ignores self-relations and relations of other groups', () => {
    expect(scope('app', [...chain, rel('app', 'app'), rel('x', 'y'), rel('y', 'x')])).toEqual(dependents(['app', 'web'], ['db', 'batch'], 'app'));
  });
});

describe('rollbackScope: unclear graph → whole group', () => {
  it.each<[string, string | undefined, { from: string; to: string }[], string, string]>([
    ['no failed tier', undefined, chain, 'failed-tier-unknown', 'no known tier'],
    ['a failed tier outside the definition', 'cache', chain, 'failed-tier-unknown', 'tier cache is not in the group'],
    ['a relation to an unknown tier', 'web', [...chain, rel('db', 'storage')], 'relation-outside-group', 'relation db → storage names tier storage'],
    ['a relation from an unknown tier', 'web', [...chain, rel('report', 'db')], 'relation-outside-group', 'names tier report'],
    ['a cycle', 'web', [...chain, rel('db', 'web')], 'cycle', 'web → app → db → web'],
  ])('%s', (_label, failed, relations, reason, detail) => {
    const out = scope(failed, relations);
    expect(out).toMatchObject({ kind: 'whole-group', reason, keepRunning: [] });
    expect(out.kind === 'whole-group' && out.detail).toContain(detail);
    expect([...out.rollBack].sort()).toEqual([...tiers].sort());
  });

  it('still lists the whole group in restore order when it can', () => {
    expect(scope(undefined).rollBack).toEqual(['db', 'batch', 'app', 'web']);
  });
});

describe('membersInScope', () => {
  const members: GroupMember[] = [
    { veeId: 'w0', tier: 'web' }, { veeId: 'a0', tier: 'app' }, { veeId: 'a1', tier: 'app' }, { veeId: 'd0', tier: 'db' }, { veeId: 'b0', tier: 'batch' },
  ];

  it('takes every VEE of a rolled-back tier, in restore order', () => {
    expect(membersInScope(members, scope('app'))).toEqual({ rollBack: [members[1], members[2], members[0]], keepRunning: [members[3], members[4]] });
  });

  it('takes every member for the whole group, even one of an unknown tier', () => {
    const stray = { veeId: 'x0', tier: 'mystery' };
    expect(membersInScope([...members, stray], scope('mystery')).rollBack.map((m) => m.veeId)).toEqual(['d0', 'b0', 'a0', 'a1', 'w0', 'x0']);
  });
});

describe('newestCommonCut', () => {
  const sha = (c: string) => c.repeat(64);
  const part = (veeId: string, epoch: number, over: Partial<CheckpointRecord> = {}): CheckpointRecord => ({
    id: `${veeId}@${epoch}`, veeId, groupId: 'g', epoch, createdAt: new Date(epoch * 1000), sizeBytes: 10, sha256: sha('a'), locations: [], complete: true, ...over,
  });
  const cut = (epoch: number, parts: readonly CheckpointRecord[], complete = true): GroupCutRecord => ({ groupId: 'g', epoch, createdAt: new Date(epoch * 1000), complete, parts });
  const full = (epoch: number) => cut(epoch, ['w0', 'a0', 'd0'].map((v) => part(v, epoch)));
  const all = () => true;

  it('picks the newest complete cut covering the members, parts in member order', () => {
    const out = newestCommonCut([full(1), full(3), full(2)], ['d0', 'a0'], all);
    expect(out).toMatchObject({ found: true, cut: { epoch: 3 }, skipped: [] });
    expect(out.found && out.parts.map((p) => p.id)).toEqual(['d0@3', 'a0@3']);
  });

  it.each<[string, GroupCutRecord, string]>([
    ['an incomplete cut', cut(4, full(4).parts, false), 'not complete'],
    ['a cut missing a member', cut(4, [part('w0', 4), part('d0', 4)]), 'no part for VEE a0'],
    ['a cut with an incomplete part', cut(4, [part('a0', 4, { complete: false }), part('d0', 4)]), 'part of VEE a0 is not complete'],
    ['a cut with two parts for one VEE', cut(4, [part('a0', 4), part('a0', 4), part('d0', 4)]), '2 parts for VEE a0'],
    ['a part failing its digest', cut(4, [part('a0', 4), part('d0', 4, { sha256: sha('b') })]), 'VEE d0 (checkpoint d0@4) failed verification'],
  ])('skips %s and falls back to the cut before', (_label, newest, reason) => {
    const measured = (p: CheckpointRecord) => canRestore(p, sha('a'));
    expect(newestCommonCut([full(3), newest], ['a0', 'd0'], measured)).toMatchObject({
      found: true, cut: { epoch: 3 }, skipped: [{ groupId: 'g', epoch: 4, reason: expect.stringContaining(reason) }],
    });
  });

  it('ignores parts of members that keep running', () => {
    const broken = cut(5, [part('w0', 5, { sha256: sha('b') }), part('a0', 5), part('d0', 5)]);
    expect(newestCommonCut([full(3), broken], ['d0', 'a0'], (p) => canRestore(p, sha('a')))).toMatchObject({ found: true, cut: { epoch: 5 } });
  });

  it('finds none when no cut qualifies, saying why for each', () => {
    expect(newestCommonCut([full(1), full(2)], ['d0'], () => false)).toEqual({
      found: false, skipped: [2, 1].map((epoch) => ({ groupId: 'g', epoch, reason: expect.stringContaining('failed verification') })),
    });
    expect(newestCommonCut([], ['d0'], all)).toEqual({ found: false, skipped: [] });
  });

  it('refuses an empty member list', () => {
    expect(() => newestCommonCut([full(1)], [], all)).toThrow(DomainError);
  });
});
