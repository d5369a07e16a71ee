/** In-memory stores for the protection use cases, with the same contracts as the PostgreSQL ones. */
import { type CheckpointLocation, type CheckpointRecord, type GroupCutRecord } from '@reservoir/domain/protection/checkpoints/checkpoint-record';
import {
  cutProblems, newCheckpointProblems, newestCheckpointFirst, refuseInvalid,
  type CheckpointCompletion, type CheckpointStore, type NewCheckpoint, type StoredCheckpoint,
} from '@reservoir/domain/ports/checkpoint-store.port';
import { DomainError } from '@reservoir/domain/shared/domain-error';
import { type FakeClock } from './fakes';

interface FakeCut {
  groupId: string;
  epoch: number;
  serviceId: string;
  createdAt: Date;
  complete: boolean;
}

/**
 * CheckpointStore in memory: inputs checked as the PostgreSQL store checks them (`invalid-input`), duplicate ids
 * and cuts are a `conflict`, completion happens once, lists come newest first. Everything handed in or out is a
 * copy (made by hand, not with structuredClone, whose Dates fail `instanceof Date` inside jest's VM context).
 */
export class FakeCheckpointStore implements CheckpointStore {
  readonly checkpoints = new Map<string, StoredCheckpoint>();
  readonly cuts = new Map<string, FakeCut>();

  async create(checkpoint: NewCheckpoint): Promise<void> {
    if ((checkpoint as StoredCheckpoint).groupId !== undefined) throw new DomainError('invalid-input', `checkpoint ${checkpoint.id}: parts of a group cut are stored with createCut`);
    refuseInvalid(`checkpoint ${checkpoint.id}`, newCheckpointProblems(checkpoint));
    if (this.checkpoints.has(checkpoint.id)) throw new DomainError('conflict', `checkpoint ${checkpoint.id} (VEE ${checkpoint.veeId}) already exists`);
    this.checkpoints.set(checkpoint.id, copyCheckpoint({ ...checkpoint, complete: false }));
  }

  async complete(id: string, completion: CheckpointCompletion): Promise<boolean> {
    const c = this.checkpoints.get(id);
    if (!c) return false;
    if (c.groupId !== undefined) throw new DomainError('invalid-input', `checkpoint ${id} is a part of a cut of group ${c.groupId}: complete it with completeCut`);
    refuseInvalid(`completion of checkpoint ${id}`, newCheckpointProblems({ ...c, ...completion }));
    if (c.complete) return false;
    Object.assign(c, { sizeBytes: completion.sizeBytes, sha256: completion.sha256, locations: copyLocations(completion.locations), completedAt: new Date(completion.completedAt), complete: true });
    return true;
  }

  async addLocation(id: string, location: CheckpointLocation): Promise<void> {
    const c = this.checkpoints.get(id);
    if (!c) throw DomainError.notFound('checkpoint', id);
    if (c.locations.some((l) => l.siteId === location.siteId && l.path === location.path)) return;
    const next = [...c.locations, location];
    refuseInvalid(`location of checkpoint ${id}`, newCheckpointProblems({ ...c, locations: next }));
    c.locations = copyLocations(next);
  }

  async get(id: string): Promise<StoredCheckpoint | undefined> {
    const c = this.checkpoints.get(id);
    return c ? copyCheckpoint(c) : undefined;
  }

  async listByVee(veeId: string): Promise<StoredCheckpoint[]> {
    return this.sorted((c) => c.veeId === veeId);
  }

  async listByGroup(groupId: string): Promise<StoredCheckpoint[]> {
    return this.sorted((c) => c.groupId === groupId);
  }

  async createCut(cut: GroupCutRecord, serviceId: string): Promise<void> {
    refuseInvalid(`cut ${cut.epoch} of group ${cut.groupId}`, cutProblems(cut, serviceId));
    if (this.cuts.has(cutKey(cut.groupId, cut.epoch)) || cut.parts.some((p) => this.checkpoints.has(p.id))) {
      throw new DomainError('conflict', `cut ${cut.epoch} of group ${cut.groupId}, or one of its part ids (${cut.parts.map((p) => p.id).join(', ')}), already exists`);
    }
    this.cuts.set(cutKey(cut.groupId, cut.epoch), { groupId: cut.groupId, epoch: cut.epoch, serviceId, createdAt: new Date(cut.createdAt), complete: cut.complete });
    for (const p of cut.parts) this.checkpoints.set(p.id, copyCheckpoint({ ...p, serviceId, ...(cut.complete && { completedAt: cut.createdAt }) }));
  }

  async completeCut(groupId: string, epoch: number, completedAt: Date): Promise<boolean> {
    if (Number.isNaN(completedAt.getTime())) throw new DomainError('invalid-input', 'completedAt must be a valid time');
    const cut = this.cuts.get(cutKey(groupId, epoch));
    if (!cut || cut.complete) return false;
    cut.complete = true;
    for (const p of this.partsOf(cut)) Object.assign(p, { complete: true, completedAt: new Date(completedAt) });
    return true;
  }

  async getCut(groupId: string, epoch: number): Promise<GroupCutRecord | undefined> {
    const cut = this.cuts.get(cutKey(groupId, epoch));
    return cut ? this.cutRecord(cut) : undefined;
  }

  async listCuts(groupId: string): Promise<GroupCutRecord[]> {
    return [...this.cuts.values()]
      .filter((c) => c.groupId === groupId)
      .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || b.epoch - a.epoch)
      .map((c) => this.cutRecord(c));
  }

  async remove(ids: readonly string[]): Promise<number> {
    let removed = 0;
    for (const id of new Set(ids)) if (this.checkpoints.delete(id)) removed += 1;
    for (const [key, cut] of this.cuts) if (this.partsOf(cut).length === 0) this.cuts.delete(key);
    return removed;
  }

  private partsOf(cut: FakeCut): StoredCheckpoint[] {
    return [...this.checkpoints.values()].filter((c) => c.groupId === cut.groupId && c.epoch === cut.epoch).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  private cutRecord(cut: FakeCut): GroupCutRecord {
    const parts = this.partsOf(cut).map((p): CheckpointRecord => {
      const { serviceId: _serviceId, completedAt: _completedAt, ...rest } = copyCheckpoint(p);
      return { ...rest, sizeBytes: p.sizeBytes ?? 0, sha256: p.sha256 ?? '' };
    });
    return { groupId: cut.groupId, epoch: cut.epoch, createdAt: new Date(cut.createdAt), complete: cut.complete, parts };
  }

  private sorted(keep: (c: StoredCheckpoint) => boolean): StoredCheckpoint[] {
    return [...this.checkpoints.values()].filter(keep).sort(newestCheckpointFirst).map(copyCheckpoint);
  }
}

const cutKey = (groupId: string, epoch: number): string => `${groupId}\u0000${epoch}`;

function copyLocations(locations: readonly CheckpointLocation[]): CheckpointLocation[] {
  return locations.map((l) => ({ kind: l.kind, siteId: l.siteId, path: l.path, ...(l.hostId === undefined ? {} : { hostId: l.hostId }) }));
}

function copyCheckpoint(c: StoredCheckpoint): StoredCheckpoint {
  const copy: StoredCheckpoint = { ...c, createdAt: new Date(c.createdAt), locations: copyLocations(c.locations) };
  if (c.completedAt) copy.completedAt = new Date(c.completedAt);
  return copy;
}

/**
 * Virtual timers for schedulers that take a `(fn, ms) => cancel` function (the reconcile loop's `Scheduler`) and a
 * FakeClock: `advance(ms)` runs every due callback in time order, moving the clock to each one's time and letting
 * the promises it started settle before the next, then leaves the clock at the target.
 */
export class ManualScheduler {
  private timers: { at: number; seq: number; fn: () => void }[] = [];
  private seq = 0;

  constructor(readonly clock: FakeClock) {}

  readonly schedule = (fn: () => void, ms: number): (() => void) => {
    const timer = { at: this.clock.now().getTime() + Math.max(0, ms), seq: (this.seq += 1), fn };
    this.timers.push(timer);
    return () => void (this.timers = this.timers.filter((t) => t !== timer));
  };

  /** Timers waiting. */
  get pending(): number {
    return this.timers.length;
  }

  async advance(ms: number): Promise<void> {
    const target = this.clock.now().getTime() + ms;
    await settle();
    for (;;) {
      const next = [...this.timers].sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
      if (!next || next.at > target) break;
      this.timers = this.timers.filter((t) => t !== next);
      this.clock.advance(next.at - this.clock.now().getTime());
      next.fn();
      await settle();
    }
    this.clock.advance(target - this.clock.now().getTime());
  }
}

/** Lets every promise chain that can move on do so (a few macrotask turns). */
async function settle(): Promise<void> {
  for (let i = 0; i < 5; i += 1) await new Promise<void>((resolve) => setImmediate(resolve));
}
