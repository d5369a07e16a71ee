import { type CheckpointLocation, type CheckpointRecord, type CheckpointTrigger, type GroupCutRecord } from '@reservoir/domain/protection/checkpoints/checkpoint-record';
import { type StoredCheckpoint } from '@reservoir/domain/ports/checkpoint-store.port';
import { CheckpointEntity } from './entities/checkpoint.entity';
import { GroupCutEntity } from './entities/group-cut.entity';

export function toCheckpointEntity(c: StoredCheckpoint): CheckpointEntity {
  const e = new CheckpointEntity();
  Object.assign(e, {
    id: c.id, veeId: c.veeId, serviceId: c.serviceId, groupId: c.groupId ?? null, epoch: c.epoch, createdAt: c.createdAt,
    completedAt: c.completedAt ?? null, sizeBytes: c.sizeBytes ?? null, sha256: c.sha256 ?? null,
    locations: toLocationsJson(c.locations), complete: c.complete, trigger: c.trigger ?? null,
  });
  return e;
}

export function toStoredCheckpoint(e: CheckpointEntity): StoredCheckpoint {
  const c: StoredCheckpoint = {
    id: e.id,
    veeId: e.veeId,
    serviceId: e.serviceId,
    epoch: e.epoch,
    createdAt: new Date(e.createdAt),
    locations: toLocationsJson(e.locations as CheckpointLocation[]),
    complete: e.complete,
  };
  if (e.groupId !== null) c.groupId = e.groupId;
  if (e.sizeBytes !== null) c.sizeBytes = Number(e.sizeBytes);
  if (e.sha256 !== null) c.sha256 = e.sha256;
  if (e.completedAt !== null) c.completedAt = new Date(e.completedAt);
  // Written only through validateCheckpointRecord, so the text is a trigger.
  if (e.trigger !== null) c.trigger = e.trigger as CheckpointTrigger;
  return c;
}

/** Locations as kept in the jsonb column: only the known fields (`hostId` when set), in a fixed shape. */
export function toLocationsJson(locations: readonly CheckpointLocation[]): CheckpointLocation[] {
  return locations.map((l) => ({ kind: l.kind, siteId: l.siteId, path: l.path, ...(l.hostId === undefined ? {} : { hostId: l.hostId }) }));
}

export function toGroupCutEntity(cut: GroupCutRecord, serviceId: string, completedAt: Date | null): GroupCutEntity {
  const e = new GroupCutEntity();
  Object.assign(e, { groupId: cut.groupId, epoch: cut.epoch, serviceId, createdAt: cut.createdAt, completedAt, complete: cut.complete });
  return e;
}

/** The cut with the parts given (rows of its group and epoch that have a size and a digest, as every part has). */
export function toGroupCutRecord(e: GroupCutEntity, parts: readonly CheckpointEntity[]): GroupCutRecord {
  return { groupId: e.groupId, epoch: e.epoch, createdAt: new Date(e.createdAt), complete: e.complete, parts: parts.map(toPartRecord) };
}

// The fallbacks never apply: a CHECK makes every row with a group id carry a size and a digest.
function toPartRecord(e: CheckpointEntity): CheckpointRecord {
  const s = toStoredCheckpoint(e);
  const part: CheckpointRecord = {
    id: s.id, veeId: s.veeId, epoch: s.epoch, createdAt: s.createdAt, sizeBytes: s.sizeBytes ?? 0, sha256: s.sha256 ?? '',
    locations: s.locations, complete: s.complete,
  };
  if (s.groupId !== undefined) part.groupId = s.groupId;
  if (s.trigger !== undefined) part.trigger = s.trigger;
  return part;
}
