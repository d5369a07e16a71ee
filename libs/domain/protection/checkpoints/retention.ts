/**
 * Which checkpoints to prune: per VEE, keep the newest K complete ones, and beyond K still keep
 *  - the VEE's part of the newest complete cut of each group it has parts in (rollback needs a common cut),
 *  - every checkpoint that is not complete (in progress: it may yet become the newest).
 * The newest complete checkpoint of a VEE is always among its newest K (K ≥ 1, only complete ones count).
 * Parts of discarded cuts are deleted through `settleCut`'s `discard`, not here.
 */
import { DomainError } from '../../shared/domain-error';

/** The fields retention looks at; any record carrying them can be passed and comes back as it was. */
export interface RetentionItem {
  veeId: string;
  epoch: number;
  createdAt: Date;
  complete: boolean;
  groupId?: string;
}

export type KeepReason = 'newest-k' | 'newest-group-cut' | 'in-progress';

export interface RetentionPlan<T extends RetentionItem> {
  /** In input order. */
  keep: { checkpoint: T; reason: KeepReason }[];
  /** In input order. */
  prune: T[];
}

/**
 * `checkpoints` may hold any number of VEEs; each is judged on its own. "Newest" is the latest `createdAt`,
 * then the highest epoch (epochs of group parts and of VEE-only checkpoints are different counters, so time
 * comes first). Same input, same plan; applying it twice prunes nothing more.
 */
export function planRetention<T extends RetentionItem>(checkpoints: readonly T[], keepLast: number): RetentionPlan<T> {
  if (!(Number.isSafeInteger(keepLast) && keepLast >= 1)) {
    throw new DomainError('invalid-input', `checkpoints to keep per VEE must be an integer ≥ 1 (got ${keepLast})`);
  }
  const reasons = new Map<T, KeepReason>();
  for (const own of byVee(checkpoints).values()) {
    const complete = own.filter((c) => c.complete).sort(newestFirst);
    for (const c of complete.slice(0, keepLast)) reasons.set(c, 'newest-k');
    const groupsSeen = new Set<string>();
    for (const c of complete) {
      if (c.groupId === undefined || groupsSeen.has(c.groupId)) continue;
      groupsSeen.add(c.groupId);
      if (!reasons.has(c)) reasons.set(c, 'newest-group-cut');
    }
    for (const c of own) if (!c.complete) reasons.set(c, 'in-progress');
  }
  const keep: RetentionPlan<T>['keep'] = [];
  const prune: T[] = [];
  for (const c of checkpoints) {
    const reason = reasons.get(c);
    if (reason === undefined) prune.push(c);
    else keep.push({ checkpoint: c, reason });
  }
  return { keep, prune };
}

function byVee<T extends RetentionItem>(checkpoints: readonly T[]): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const c of checkpoints) {
    const list = out.get(c.veeId);
    if (list) list.push(c);
    else out.set(c.veeId, [c]);
  }
  return out;
}

function newestFirst(a: RetentionItem, b: RetentionItem): number {
  return b.createdAt.getTime() - a.createdAt.getTime() || b.epoch - a.epoch;
}
