/**
 * What to roll back when one member of a group fails: its tier and every tier that needs it, directly or
 * transitively; the rest keep running. When the graph cannot be trusted, the whole group, with the reason.
 * Then `newestCommonCut` picks the cut to roll back to.
 */
import { DomainError } from '../../shared/domain-error';
import { type TierRelation } from '../../manifest/service-definition';
import { type CheckpointRecord, type GroupCutRecord, type GroupMember } from './checkpoint-record';
import { dependencyLevels, edgesOf, firstCycle, reachableFrom } from './dependency-graph';

export interface RollbackInput {
  /** The group's tiers (every tier of the service for a whole-service group), in manifest order. */
  tiers: readonly string[];
  /** The service's relations: `from` needs `to`. Relations that touch no tier of the group are ignored. */
  relations: readonly TierRelation[];
  /** The failed VEE's tier; undefined when the VEE (or its tier) is not known. */
  failedTier: string | undefined;
}

/**
 * Why the dependency graph is unclear:
 * - `failed-tier-unknown`: no failed tier, or one that is not in the group;
 * - `relation-outside-group`: a relation joins a group tier to a tier the group does not have (an unknown tier,
 *   or a group that is not closed under its relations), so a dependent could be missed;
 * - `cycle`: the group's relations have a cycle (validated manifests have none: the data is suspect).
 */
export type UnclearReason = 'failed-tier-unknown' | 'relation-outside-group' | 'cycle';

/** `rollBack` in restore order (tiers that are needed first); `keepRunning` in group order. */
export type RollbackScope =
  | { kind: 'dependents'; failedTier: string; rollBack: string[]; keepRunning: string[] }
  | { kind: 'whole-group'; reason: UnclearReason; detail: string; rollBack: string[]; keepRunning: string[] };

export function rollbackScope(input: RollbackInput): RollbackScope {
  const tiers = [...new Set(input.tiers)];
  const inGroup = new Set(tiers);
  const relations = input.relations.filter((r) => inGroup.has(r.from) || inGroup.has(r.to));
  const restoreOrder = (chosen: ReadonlySet<string>) => ordered(tiers.filter((t) => chosen.has(t)), relations);
  const whole = (reason: UnclearReason, detail: string): RollbackScope => ({ kind: 'whole-group', reason, detail, rollBack: restoreOrder(inGroup), keepRunning: [] });
  const failed = input.failedTier;
  if (failed === undefined) return whole('failed-tier-unknown', 'the failed VEE has no known tier');
  if (!inGroup.has(failed)) return whole('failed-tier-unknown', `the failed VEE's tier ${failed} is not in the group (${tiers.join(', ')})`);
  const stray = relations.find((r) => !inGroup.has(r.from) || !inGroup.has(r.to));
  if (stray) {
    const outside = inGroup.has(stray.from) ? stray.to : stray.from;
    return whole('relation-outside-group', `relation ${stray.from} → ${stray.to} names tier ${outside}, which is not in the group`);
  }
  const cycle = firstCycle(relations);
  if (cycle) return whole('cycle', `the relations have a cycle: ${[...cycle, cycle[0]].join(' → ')}`);
  const dependents = reachableFrom(failed, edgesOf(tiers, relations).neededBy);
  return { kind: 'dependents', failedTier: failed, rollBack: restoreOrder(dependents), keepRunning: tiers.filter((t) => !dependents.has(t)) };
}

/**
 * The VEEs of a scope. Every VEE of a rolled-back tier goes, siblings of the failed VEE too: relations are
 * declared between tiers, and the broker cannot tell whether a tier's instances share state (a replicated db).
 */
export function membersInScope(members: readonly GroupMember[], scope: RollbackScope): { rollBack: GroupMember[]; keepRunning: GroupMember[] } {
  const chosen = new Set(scope.rollBack);
  const rank = new Map(scope.rollBack.map((t, i) => [t, i]));
  const rollBack = members.filter((m) => scope.kind === 'whole-group' || chosen.has(m.tier));
  rollBack.sort((a, b) => (rank.get(a.tier) ?? rank.size) - (rank.get(b.tier) ?? rank.size));
  const going = new Set(rollBack);
  return { rollBack, keepRunning: members.filter((m) => !going.has(m)) };
}

/** A cut that was newer than the one chosen, and why it could not be used. */
export interface SkippedCut {
  groupId: string;
  epoch: number;
  reason: string;
}

export type CommonCut =
  | { found: true; cut: GroupCutRecord; parts: CheckpointRecord[]; skipped: SkippedCut[] }
  | { found: false; skipped: SkippedCut[] };

/**
 * The newest complete cut holding a complete part for every VEE in `veeIds` (the members to roll back), each
 * of which passes `verified` (normally `part => canRestore(part, measured.get(part.id))`). Parts of members that
 * keep running are not looked at. Newest = latest `createdAt`, then highest epoch. `parts` follow `veeIds`.
 */
export function newestCommonCut(cuts: readonly GroupCutRecord[], veeIds: readonly string[], verified: (part: CheckpointRecord) => boolean): CommonCut {
  if (veeIds.length === 0) throw new DomainError('invalid-input', 'newestCommonCut needs at least one VEE to roll back');
  const newestFirst = [...cuts].sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || b.epoch - a.epoch);
  const skipped: SkippedCut[] = [];
  for (const cut of newestFirst) {
    const verdict = usableParts(cut, veeIds, verified);
    if (typeof verdict === 'string') skipped.push({ groupId: cut.groupId, epoch: cut.epoch, reason: verdict });
    else return { found: true, cut, parts: verdict, skipped };
  }
  return { found: false, skipped };
}

function usableParts(cut: GroupCutRecord, veeIds: readonly string[], verified: (part: CheckpointRecord) => boolean): CheckpointRecord[] | string {
  if (!cut.complete) return 'the cut is not complete';
  const parts: CheckpointRecord[] = [];
  for (const veeId of new Set(veeIds)) {
    const mine = cut.parts.filter((p) => p.veeId === veeId);
    if (mine.length === 0) return `no part for VEE ${veeId}`;
    if (mine.length > 1) return `${mine.length} parts for VEE ${veeId}`;
    const part = mine[0] as CheckpointRecord;
    if (!part.complete) return `the part of VEE ${veeId} is not complete`;
    if (!verified(part)) return `the part of VEE ${veeId} (checkpoint ${part.id}) failed verification`;
    parts.push(part);
  }
  return parts;
}

/** `tiers` in restore order: a tier after every tier it needs; ties keep the given order. */
function ordered(tiers: string[], relations: readonly TierRelation[]): string[] {
  const levels = dependencyLevels(tiers, relations);
  if (levels === undefined) return tiers;
  const at = new Map(tiers.map((t, i) => [t, i]));
  return [...tiers].sort((a, b) => (levels.get(a) ?? 0) - (levels.get(b) ?? 0) || (at.get(a) ?? 0) - (at.get(b) ?? 0));
}
