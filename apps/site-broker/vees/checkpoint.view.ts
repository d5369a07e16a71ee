import { type CheckpointLocation } from '@reservoir/domain/protection/checkpoints/checkpoint-record';
import { type StoredCheckpoint } from '@reservoir/domain/ports/checkpoint-store.port';
import { type GroupCutResult } from '@reservoir/application/protection/checkpoint-group-cut';
import { type RollbackResult } from '@reservoir/application/protection/checkpoint-rollback';

/** The API's JSON for one checkpoint (a VEE-only one, or a VEE's part of a group cut). */
export interface CheckpointView {
  id: string;
  veeId: string;
  /** Set for a part of a group cut. */
  groupId?: string;
  epoch: number;
  /** Capture time. */
  createdAt: string;
  completedAt?: string;
  complete: boolean;
  /** Absent while in progress. */
  sizeBytes?: number;
  /** The bundle digest (64 lowercase hex); absent while in progress. */
  sha256?: string;
  locations: CheckpointLocation[];
  /** periodic, api, before-migration, before-update, monitoring-rule:<name>; null on records older than triggers. */
  trigger: string | null;
}

export function toCheckpointView(c: StoredCheckpoint): CheckpointView {
  return {
    id: c.id,
    veeId: c.veeId,
    ...(c.groupId === undefined ? {} : { groupId: c.groupId }),
    epoch: c.epoch,
    createdAt: c.createdAt.toISOString(),
    ...(c.completedAt ? { completedAt: c.completedAt.toISOString() } : {}),
    complete: c.complete,
    ...(c.sizeBytes === undefined ? {} : { sizeBytes: c.sizeBytes }),
    ...(c.sha256 === undefined ? {} : { sha256: c.sha256 }),
    locations: c.locations.map((l) => ({ kind: l.kind, siteId: l.siteId, ...(l.hostId === undefined ? {} : { hostId: l.hostId }), path: l.path })),
    trigger: c.trigger ?? null,
  };
}

/** The API's JSON for a group cut: every VEE of the service, complete or discarded (with the reason). */
export type GroupCutView = Omit<GroupCutResult, 'createdAt'> & { createdAt: string };

export function toGroupCutView(cut: GroupCutResult): GroupCutView {
  return { ...cut, createdAt: cut.createdAt.toISOString() };
}

/** The API's JSON for a rollback: which VEEs went back to which cut, which kept running, which cuts were passed over. */
export type RollbackView = Omit<RollbackResult, 'cutCreatedAt'> & { cutCreatedAt: string };

export function toRollbackView(r: RollbackResult): RollbackView {
  return { ...r, cutCreatedAt: r.cutCreatedAt.toISOString() };
}
