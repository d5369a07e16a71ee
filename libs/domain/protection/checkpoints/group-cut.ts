/**
 * Consistent group cuts: pause every member, snapshot every member, resume every member; the cut counts only
 * when every member succeeded. `planCut` says what to do (in waves), `settleCut` judges what happened.
 */
import { DomainError } from '../../shared/domain-error';
import { type TierRelation } from '../../manifest/service-definition';
import { type GroupMember } from './checkpoint-record';
import { isSha256Hex } from './digest';
import { dependencyLevels, firstCycle } from './dependency-graph';

export type CutAction = 'pause' | 'snapshot' | 'resume';

/** One wave: every VEE in it may be acted on concurrently; waves run strictly one after another. */
export interface CutStep {
  action: CutAction;
  tiers: string[];
  veeIds: string[];
}

/** How pause and resume waves are ordered; `all-at-once` when the relations have a cycle. */
export type CutOrder = { kind: 'dependency' } | { kind: 'all-at-once'; reason: string };

export interface CutPlan {
  groupId: string;
  epoch: number;
  /** The snapshot name every member's part gets: stable per cut, so a retried step meets 'already-exists'. */
  snapshot: string;
  members: GroupMember[];
  order: CutOrder;
  /** Pause waves, one snapshot wave, resume waves. Resume waves are also the compensation: see README. */
  steps: CutStep[];
}

export interface CutInput {
  groupId: string;
  members: readonly GroupMember[];
  /** The service's inter-tier relations (`from` needs `to`); tiers outside the group still carry order. */
  relations: readonly TierRelation[];
  /** The highest epoch already planned for this group, complete or discarded; undefined before the first cut. */
  previousEpoch: number | undefined;
}

/** A cut's epoch: one more than the group's previous one (1 for the first). Discarded cuts use up their epoch. */
export function nextEpoch(previousEpoch: number | undefined): number {
  if (previousEpoch === undefined) return 1;
  if (!(Number.isSafeInteger(previousEpoch) && previousEpoch >= 1)) {
    throw new DomainError('invalid-input', `a group's previous epoch must be an integer ≥ 1 (got ${previousEpoch})`);
  }
  return previousEpoch + 1;
}

/**
 * Pause waves go dependents first (highest dependency level first: web, then app, then db), resume waves the
 * reverse, dependencies first (db, app, web). So when `a` needs `b`, `a` pauses before `b` and resumes after
 * it: no running member ever calls a paused one because of the cut. Snapshots are one wave: all are paused.
 */
export function planCut(input: CutInput): CutPlan {
  const members = checkedMembers(input);
  const epoch = nextEpoch(input.previousEpoch);
  const all = (action: CutAction, of: readonly GroupMember[]): CutStep => ({ action, tiers: distinct(of.map((m) => m.tier)), veeIds: of.map((m) => m.veeId) });
  const levels = dependencyLevels(distinct(members.map((m) => m.tier)), input.relations);
  const base = { groupId: input.groupId, epoch, snapshot: `rsv-cut-${input.groupId}-e${epoch}`, members };
  if (levels === undefined) {
    const cycle = firstCycle(input.relations) ?? [];
    const reason = `the relations have a cycle (${[...cycle, cycle[0]].join(' → ')}): every member pauses and resumes at once`;
    return { ...base, order: { kind: 'all-at-once', reason }, steps: [all('pause', members), all('snapshot', members), all('resume', members)] };
  }
  const waves = distinct(members.map((m) => levels.get(m.tier) ?? 0))
    .sort((a, b) => a - b)
    .map((level) => members.filter((m) => (levels.get(m.tier) ?? 0) === level));
  const steps = [...[...waves].reverse().map((w) => all('pause', w)), all('snapshot', members), ...waves.map((w) => all('resume', w))];
  return { ...base, order: { kind: 'dependency' }, steps };
}

/** What the hypervisor said about one member's snapshot. */
export type SnapshotResult = { ok: true; sizeBytes: number; sha256: string } | { ok: false; error: string };

/** One member's outcome. `pausedMs: null` when it never paused (its pause failed or was never attempted). */
export interface MemberResult {
  veeId: string;
  pausedMs: number | null;
  snapshot: SnapshotResult;
}

/** A member's part of the cut: its file exists. */
export interface CutPart extends GroupMember {
  pausedMs: number | null;
  sizeBytes: number;
  sha256: string;
}

export interface MemberFailure extends GroupMember {
  reason: string;
}

export type CutOutcome =
  | { status: 'complete'; groupId: string; epoch: number; pauseMsMax: number; sizeBytes: number; members: CutPart[] }
  | {
      status: 'discarded';
      groupId: string;
      epoch: number;
      pauseMsMax: number;
      reason: string;
      failures: MemberFailure[];
      /** Members whose snapshot file was written: their parts must be deleted. */
      discard: CutPart[];
    };

/**
 * Complete exactly when every member paused and wrote a snapshot with a whole size and a well-formed digest;
 * otherwise discarded, naming each failed member, with every written part to delete. A member with no result
 * (the broker restarted mid-cut, its host went away) has failed. `pauseMsMax` is the longest pause reported.
 * Results for VEEs outside the plan, duplicates and bad pause figures are caller bugs: `invalid-input`.
 */
export function settleCut(plan: CutPlan, results: readonly MemberResult[]): CutOutcome {
  const byVee = checkedResults(plan, results);
  const parts: CutPart[] = [];
  const failures: MemberFailure[] = [];
  for (const member of plan.members) {
    const r = byVee.get(member.veeId);
    const written = r?.snapshot.ok === true ? r.snapshot : undefined;
    if (written) parts.push({ ...member, pausedMs: r?.pausedMs ?? null, sizeBytes: written.sizeBytes, sha256: written.sha256 });
    const reason = failureOf(r);
    if (reason !== undefined) failures.push({ ...member, reason });
  }
  const pauses = results.map((r) => r.pausedMs ?? 0);
  const head = { groupId: plan.groupId, epoch: plan.epoch, pauseMsMax: Math.max(0, ...pauses) };
  if (failures.length === 0) return { status: 'complete', ...head, sizeBytes: parts.reduce((s, p) => s + p.sizeBytes, 0), members: parts };
  const listed = failures.map((f) => `VEE ${f.veeId} (${f.tier}): ${f.reason}`).join('; ');
  const reason = `cut ${plan.epoch} of group ${plan.groupId} discarded: ${failures.length} of ${plan.members.length} member(s) failed: ${listed}`;
  return { status: 'discarded', ...head, reason, failures, discard: parts };
}

function failureOf(r: MemberResult | undefined): string | undefined {
  if (r === undefined) return 'no result';
  if (!r.snapshot.ok) return `snapshot failed: ${r.snapshot.error}`;
  if (r.pausedMs === null) return 'snapshot taken without a pause: not part of a consistent cut';
  if (!(Number.isSafeInteger(r.snapshot.sizeBytes) && r.snapshot.sizeBytes >= 0)) return `snapshot size is not a whole number of bytes (${r.snapshot.sizeBytes})`;
  if (!isSha256Hex(r.snapshot.sha256)) return 'snapshot digest is not 64 lowercase hex digits';
  return undefined;
}

function checkedMembers(input: CutInput): GroupMember[] {
  if (input.groupId.trim() === '') throw new DomainError('invalid-input', 'a cut needs a group id');
  if (input.members.length === 0) throw new DomainError('invalid-input', `group ${input.groupId} has no members to checkpoint`);
  const seen = new Set<string>();
  for (const m of input.members) {
    if (seen.has(m.veeId)) throw new DomainError('invalid-input', `group ${input.groupId} lists VEE ${m.veeId} twice`);
    seen.add(m.veeId);
  }
  return input.members.map((m) => ({ veeId: m.veeId, tier: m.tier }));
}

function checkedResults(plan: CutPlan, results: readonly MemberResult[]): Map<string, MemberResult> {
  const members = new Set(plan.members.map((m) => m.veeId));
  const byVee = new Map<string, MemberResult>();
  for (const r of results) {
    const name = `cut ${plan.epoch} of group ${plan.groupId}`;
    if (!members.has(r.veeId)) throw new DomainError('invalid-input', `${name}: VEE ${r.veeId} is not a member`);
    if (byVee.has(r.veeId)) throw new DomainError('invalid-input', `${name}: two results for VEE ${r.veeId}`);
    if (r.pausedMs !== null && !(Number.isFinite(r.pausedMs) && r.pausedMs >= 0)) {
      throw new DomainError('invalid-input', `${name}: VEE ${r.veeId} paused for ${r.pausedMs} ms`);
    }
    byVee.set(r.veeId, r);
  }
  return byVee;
}

function distinct<T>(values: readonly T[]): T[] {
  return [...new Set(values)];
}
