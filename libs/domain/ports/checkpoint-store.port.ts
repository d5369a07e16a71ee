import { type CheckpointLocation, type CheckpointRecord, type GroupCutRecord } from '../protection/checkpoints/checkpoint-record';
import { validateCheckpointRecord } from '../protection/checkpoints/digest';
import { DomainError, type ErrorDetail } from '../shared/domain-error';

/**
 * A checkpoint as stored: the pure record plus the service its VEE belongs to and when it completed. A VEE-only
 * checkpoint is recorded when it starts, before its file has a size or a digest, so those two are optional here;
 * a complete checkpoint (and every part of a group cut) always has both. `storedAsRecord` narrows to the record.
 */
export interface StoredCheckpoint extends Omit<CheckpointRecord, 'sizeBytes' | 'sha256'> {
  serviceId: string;
  sizeBytes?: number;
  sha256?: string;
  /** Set by `complete` / `completeCut`, with `complete`. */
  completedAt?: Date;
}

/** What `create` takes: a VEE-only checkpoint in progress (no `groupId`: parts of a cut come with `createCut`). */
export type NewCheckpoint = Omit<StoredCheckpoint, 'complete' | 'completedAt' | 'groupId'>;

/** What completes a VEE-only checkpoint: its file's size and digest, every location it is at, and when. */
export interface CheckpointCompletion {
  sizeBytes: number;
  sha256: string;
  locations: CheckpointLocation[];
  completedAt: Date;
}

/**
 * Durable storage of checkpoint records and group cuts, owned by the checkpoint use cases (cut, VEE-only
 * checkpoint, retention, rollback) and read by `GET /v1/vees/:id/checkpoints`. Every input is checked before
 * anything is written (`invalid-input` with every problem and its field path), so a malformed digest never
 * reaches the database (whose CHECK constraints are the last line only).
 *
 * Lists are **newest first**: latest `createdAt`, then highest epoch, then id (the order retention and rollback
 * call "newest"). Everything handed in or out is a copy.
 */
export interface CheckpointStore {
  /** Records a VEE-only checkpoint in progress (`complete: false`). `conflict` when the id exists (nothing written). */
  create(checkpoint: NewCheckpoint): Promise<void>;
  /**
   * Completes a VEE-only checkpoint: sets size, digest, locations (replacing them), `completedAt` and `complete`.
   * False (nothing written) when the id is unknown or the checkpoint is already complete, so it happens once.
   * `invalid-input` for a malformed completion or for a part of a group cut (those complete with `completeCut`).
   */
  complete(id: string, completion: CheckpointCompletion): Promise<boolean>;
  /** Adds a location (a copy shipped to a replica site); a location already listed is left alone. `not-found` for an unknown id. */
  addLocation(id: string, location: CheckpointLocation): Promise<void>;
  get(id: string): Promise<StoredCheckpoint | undefined>;
  /** The VEE's checkpoints, VEE-only ones and cut parts, complete or not; newest first. */
  listByVee(veeId: string): Promise<StoredCheckpoint[]>;
  /** The parts of every cut of the group; newest first. */
  listByGroup(groupId: string): Promise<StoredCheckpoint[]>;
  /**
   * Stores a cut and all its parts in one transaction, as the cut says (complete or not). Every part carries the
   * cut's `groupId`, `epoch` and `complete`, a size and a digest. `conflict` when the cut (group and epoch) or a
   * part's id exists (nothing written). A cut stored complete takes its `createdAt` as `completedAt`.
   */
  createCut(cut: GroupCutRecord, serviceId: string): Promise<void>;
  /** Marks the cut and every part complete at `completedAt`, in one transaction; false when unknown or already complete. */
  completeCut(groupId: string, epoch: number, completedAt: Date): Promise<boolean>;
  /** The cut with its remaining parts (retention may have pruned some), parts in id order; undefined when unknown. */
  getCut(groupId: string, epoch: number): Promise<GroupCutRecord | undefined>;
  /** The group's cuts with their remaining parts; newest first. */
  listCuts(groupId: string): Promise<GroupCutRecord[]>;
  /**
   * Deletes the checkpoints with these ids (unknown ids are skipped) and every cut left with no part, in one
   * transaction; returns how many checkpoints went.
   */
  remove(ids: readonly string[]): Promise<number>;
}

/** The stored checkpoint as the pure record, or undefined while it has no size or digest yet. */
export function storedAsRecord(c: StoredCheckpoint): CheckpointRecord | undefined {
  if (c.sizeBytes === undefined || c.sha256 === undefined) return undefined;
  const { serviceId: _serviceId, completedAt: _completedAt, ...rest } = c;
  return { ...rest, sizeBytes: c.sizeBytes, sha256: c.sha256 };
}

/**
 * Every problem of a checkpoint before it is stored (the shared check of every CheckpointStore). Size and digest
 * are checked only when given: `validateCheckpointRecord` judges the rest, with stand-ins for the missing two.
 */
export function newCheckpointProblems(c: Omit<StoredCheckpoint, 'complete'>): ErrorDetail[] {
  const problems = validateCheckpointRecord({ ...c, sizeBytes: c.sizeBytes ?? 0, sha256: c.sha256 ?? '0'.repeat(64), complete: false });
  if (c.serviceId.trim() === '') problems.push({ path: 'serviceId', message: 'serviceId must not be empty' });
  if (c.completedAt !== undefined && Number.isNaN(c.completedAt.getTime())) problems.push({ path: 'completedAt', message: 'completedAt must be a valid time' });
  return problems;
}

/** Every problem of a cut and its parts (each part's paths prefixed `parts[i].`). */
export function cutProblems(cut: GroupCutRecord, serviceId: string): ErrorDetail[] {
  const problems: ErrorDetail[] = [];
  const add = (path: string, message: string) => problems.push({ path, message });
  if (cut.groupId.trim() === '') add('groupId', 'groupId must not be empty');
  if (!(Number.isSafeInteger(cut.epoch) && cut.epoch >= 1)) add('epoch', `epoch must be an integer ≥ 1 (got ${cut.epoch})`);
  if (Number.isNaN(cut.createdAt.getTime())) add('createdAt', 'createdAt must be a valid time');
  if (cut.parts.length === 0) add('parts', 'a cut needs at least one part');
  const ids = new Set<string>();
  cut.parts.forEach((p, i) => {
    for (const d of newCheckpointProblems({ ...p, serviceId })) add(`parts[${i}].${d.path}`, d.message);
    if (p.groupId !== cut.groupId || p.epoch !== cut.epoch) add(`parts[${i}]`, `a part must carry the cut's group ${cut.groupId} and epoch ${cut.epoch}`);
    if (p.complete !== cut.complete) add(`parts[${i}].complete`, 'a part is complete exactly when its cut is');
    if (ids.has(p.id)) add(`parts[${i}].id`, `duplicate part id ${p.id}`);
    ids.add(p.id);
  });
  return problems;
}

/** Throws `invalid-input` listing every problem, when there is any. */
export function refuseInvalid(what: string, problems: ErrorDetail[]): void {
  if (problems.length === 0) return;
  throw new DomainError('invalid-input', `${what}: ${problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`, problems);
}

/** Orders checkpoints newest first: latest `createdAt`, then highest epoch, then id. */
export function newestCheckpointFirst(a: StoredCheckpoint, b: StoredCheckpoint): number {
  return b.createdAt.getTime() - a.createdAt.getTime() || b.epoch - a.epoch || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);
}
