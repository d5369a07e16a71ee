/**
 * Integrity of checkpoint files: a record's digest is 64 lowercase hex digits, and a file is restored only when
 * the sha256 measured over it now equals the recorded one. A file that fails its digest is never restored.
 */
import { type ErrorDetail } from '../../shared/domain-error';
import { isCheckpointTrigger, type CheckpointRecord } from './checkpoint-record';

const SHA256_HEX = /^[0-9a-f]{64}$/;

/** True for exactly 64 lowercase hex digits (what sha256 hex encoders print). */
export function isSha256Hex(value: unknown): value is string {
  return typeof value === 'string' && SHA256_HEX.test(value);
}

/** Whether a checkpoint may be restored, and if not, why (for the VEE's condition and the log). */
export type RestoreVerdict = { ok: true } | { ok: false; reason: string };

/**
 * Restorable only when the checkpoint is complete, its recorded digest is well formed, a digest was measured
 * over the file (undefined: the file could not be read) and the two are equal. Comparison is exact: a measured
 * digest in upper case is refused rather than guessed at, since both sides are produced by the broker.
 */
export function restoreVerdict(record: Pick<CheckpointRecord, 'id' | 'veeId' | 'sha256' | 'complete'>, measuredSha256: string | undefined): RestoreVerdict {
  const name = `checkpoint ${record.id} of VEE ${record.veeId}`;
  if (!record.complete) return { ok: false, reason: `${name} is not complete` };
  if (!isSha256Hex(record.sha256)) return { ok: false, reason: `${name} has a malformed recorded sha256` };
  if (measuredSha256 === undefined) return { ok: false, reason: `${name}: no digest could be measured over its file` };
  if (!isSha256Hex(measuredSha256)) return { ok: false, reason: `${name}: the measured digest is not 64 lowercase hex digits` };
  if (measuredSha256 !== record.sha256) {
    return { ok: false, reason: `${name} failed its digest check: recorded ${record.sha256}, measured ${measuredSha256}` };
  }
  return { ok: true };
}

/** `restoreVerdict(...).ok`: a boolean, so it can sit in a condition without the always-truthy-object trap. */
export function canRestore(record: Pick<CheckpointRecord, 'id' | 'veeId' | 'sha256' | 'complete'>, measuredSha256: string | undefined): boolean {
  return restoreVerdict(record, measuredSha256).ok;
}

/** Every problem with a record before it is stored, each with the field path; empty when it is valid. */
export function validateCheckpointRecord(record: CheckpointRecord): ErrorDetail[] {
  const problems: ErrorDetail[] = [];
  const add = (path: string, message: string) => problems.push({ path, message });
  if (record.id.trim() === '') add('id', 'id must not be empty');
  if (record.veeId.trim() === '') add('veeId', 'veeId must not be empty');
  if (record.groupId !== undefined && record.groupId.trim() === '') add('groupId', 'groupId, when given, must not be empty');
  if (!(Number.isSafeInteger(record.epoch) && record.epoch >= 1)) add('epoch', `epoch must be an integer ≥ 1 (got ${record.epoch})`);
  if (Number.isNaN(record.createdAt.getTime())) add('createdAt', 'createdAt must be a valid time');
  if (!(Number.isSafeInteger(record.sizeBytes) && record.sizeBytes >= 0)) add('sizeBytes', `sizeBytes must be a whole number ≥ 0 (got ${record.sizeBytes})`);
  if (!isSha256Hex(record.sha256)) add('sha256', 'sha256 must be 64 lowercase hex digits');
  if (record.trigger !== undefined && !isCheckpointTrigger(record.trigger)) {
    add('trigger', 'trigger must be periodic, api, before-migration, before-update or monitoring-rule:<name>');
  }
  if (record.locations.length === 0) add('locations', 'a checkpoint needs at least one location');
  const seen = new Set<string>();
  record.locations.forEach((l, i) => {
    if (l.siteId.trim() === '') add(`locations[${i}].siteId`, 'siteId must not be empty');
    if (l.path.trim() === '') add(`locations[${i}].path`, 'path must not be empty');
    if (l.hostId !== undefined && (l.kind !== 'local' || l.hostId.trim() === '')) add(`locations[${i}].hostId`, 'hostId, when given, must be non-empty and on a local location');
    const key = `${l.siteId}\u0000${l.path}`;
    if (seen.has(key)) add(`locations[${i}]`, `duplicate location ${l.siteId}:${l.path}`);
    seen.add(key);
  });
  return problems;
}
