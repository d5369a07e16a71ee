import { In, type DataSource, type EntityManager } from 'typeorm';
import { type CheckpointLocation, type GroupCutRecord } from '@reservoir/domain/protection/checkpoints/checkpoint-record';
import {
  cutProblems, newCheckpointProblems, refuseInvalid,
  type CheckpointCompletion, type CheckpointStore, type NewCheckpoint, type StoredCheckpoint,
} from '@reservoir/domain/ports/checkpoint-store.port';
import { DomainError } from '@reservoir/domain/shared/domain-error';
import { CheckpointEntity } from './entities/checkpoint.entity';
import { GroupCutEntity } from './entities/group-cut.entity';
import { toCheckpointEntity, toGroupCutEntity, toGroupCutRecord, toLocationsJson, toStoredCheckpoint } from './checkpoint.mapper';
import { isUniqueViolation } from './unique-violation';

const NEWEST_FIRST = { createdAt: 'DESC', epoch: 'DESC', id: 'DESC' } as const;

/**
 * CheckpointStore on PostgreSQL (server or embedded PGlite) through TypeORM. Completion is one conditional UPDATE
 * (`WHERE id = ? AND NOT complete`), so of two concurrent completions exactly one matches a row. Sizes are bigint
 * columns (files beyond 2 GiB), read back as strings by the driver and turned into numbers by the mapper.
 */
export class TypeormCheckpointStore implements CheckpointStore {
  constructor(private readonly ds: DataSource) {}

  async create(checkpoint: NewCheckpoint): Promise<void> {
    if ((checkpoint as StoredCheckpoint).groupId !== undefined) throw new DomainError('invalid-input', `checkpoint ${checkpoint.id}: parts of a group cut are stored with createCut`);
    refuseInvalid(`checkpoint ${checkpoint.id}`, newCheckpointProblems(checkpoint));
    try {
      await this.ds.getRepository(CheckpointEntity).insert(toCheckpointEntity({ ...checkpoint, complete: false }));
    } catch (err) {
      if (!isUniqueViolation(err)) throw err;
      throw new DomainError('conflict', `checkpoint ${checkpoint.id} (VEE ${checkpoint.veeId}) already exists`);
    }
  }

  async complete(id: string, completion: CheckpointCompletion): Promise<boolean> {
    const existing = await this.get(id);
    if (!existing) return false;
    if (existing.groupId !== undefined) throw new DomainError('invalid-input', `checkpoint ${id} is a part of a cut of group ${existing.groupId}: complete it with completeCut`);
    refuseInvalid(`completion of checkpoint ${id}`, newCheckpointProblems({ ...existing, ...completion }));
    const updated = await this.ds
      .createQueryBuilder()
      .update(CheckpointEntity)
      .set({ sizeBytes: completion.sizeBytes, sha256: completion.sha256, locations: toLocationsJson(completion.locations), completedAt: completion.completedAt, complete: true })
      .where('id = :id AND NOT complete', { id })
      .execute();
    return (updated.affected ?? 0) > 0;
  }

  async addLocation(id: string, location: CheckpointLocation): Promise<void> {
    await this.ds.transaction(async (m) => {
      const e = await m.findOne(CheckpointEntity, { where: { id }, lock: { mode: 'pessimistic_write' } });
      if (!e) throw DomainError.notFound('checkpoint', id);
      const locations = toStoredCheckpoint(e).locations;
      if (locations.some((l) => l.siteId === location.siteId && l.path === location.path)) return;
      const next = [...locations, location];
      refuseInvalid(`location of checkpoint ${id}`, newCheckpointProblems({ ...toStoredCheckpoint(e), locations: next }));
      await m.update(CheckpointEntity, { id }, { locations: toLocationsJson(next) });
    });
  }

  async get(id: string): Promise<StoredCheckpoint | undefined> {
    const e = await this.ds.getRepository(CheckpointEntity).findOneBy({ id });
    return e ? toStoredCheckpoint(e) : undefined;
  }

  async listByVee(veeId: string): Promise<StoredCheckpoint[]> {
    const rows = await this.ds.getRepository(CheckpointEntity).find({ where: { veeId }, order: NEWEST_FIRST });
    return rows.map(toStoredCheckpoint);
  }

  async listByGroup(groupId: string): Promise<StoredCheckpoint[]> {
    const rows = await this.ds.getRepository(CheckpointEntity).find({ where: { groupId }, order: NEWEST_FIRST });
    return rows.map(toStoredCheckpoint);
  }

  async createCut(cut: GroupCutRecord, serviceId: string): Promise<void> {
    refuseInvalid(`cut ${cut.epoch} of group ${cut.groupId}`, cutProblems(cut, serviceId));
    const completedAt = cut.complete ? cut.createdAt : null;
    try {
      await this.ds.transaction(async (m) => {
        await m.insert(GroupCutEntity, toGroupCutEntity(cut, serviceId, completedAt));
        const parts = cut.parts.map((p) => toCheckpointEntity({ ...p, serviceId, ...(completedAt && { completedAt }) }));
        await m.insert(CheckpointEntity, parts);
      });
    } catch (err) {
      if (!isUniqueViolation(err)) throw err;
      throw new DomainError('conflict', `cut ${cut.epoch} of group ${cut.groupId}, or one of its part ids (${cut.parts.map((p) => p.id).join(', ')}), already exists`);
    }
  }

  async completeCut(groupId: string, epoch: number, completedAt: Date): Promise<boolean> {
    if (Number.isNaN(completedAt.getTime())) throw new DomainError('invalid-input', 'completedAt must be a valid time');
    return this.ds.transaction(async (m) => {
      const updated = await m
        .createQueryBuilder()
        .update(GroupCutEntity)
        .set({ complete: true, completedAt })
        .where('group_id = :groupId AND epoch = :epoch AND NOT complete', { groupId, epoch })
        .execute();
      if ((updated.affected ?? 0) === 0) return false;
      await m.update(CheckpointEntity, { groupId, epoch }, { complete: true, completedAt });
      return true;
    });
  }

  async getCut(groupId: string, epoch: number): Promise<GroupCutRecord | undefined> {
    const e = await this.ds.getRepository(GroupCutEntity).findOneBy({ groupId, epoch });
    if (!e) return undefined;
    const parts = await this.ds.getRepository(CheckpointEntity).find({ where: { groupId, epoch }, order: { id: 'ASC' } });
    return toGroupCutRecord(e, parts);
  }

  async listCuts(groupId: string): Promise<GroupCutRecord[]> {
    const cuts = await this.ds.getRepository(GroupCutEntity).find({ where: { groupId }, order: { createdAt: 'DESC', epoch: 'DESC' } });
    const parts = await this.ds.getRepository(CheckpointEntity).find({ where: { groupId }, order: { id: 'ASC' } });
    return cuts.map((c) => toGroupCutRecord(c, parts.filter((p) => p.epoch === c.epoch)));
  }

  async remove(ids: readonly string[]): Promise<number> {
    if (ids.length === 0) return 0;
    return this.ds.transaction(async (m) => {
      const doomed = await m.find(CheckpointEntity, { where: { id: In([...ids]) } });
      if (doomed.length === 0) return 0;
      await m.delete(CheckpointEntity, { id: In(doomed.map((d) => d.id)) });
      await this.removeEmptyCuts(m, doomed);
      return doomed.length;
    });
  }

  /** Deletes the cuts that the removed parts belonged to and that have no part left. */
  private async removeEmptyCuts(m: EntityManager, removed: readonly CheckpointEntity[]): Promise<void> {
    const groups = [...new Set(removed.flatMap((r) => (r.groupId === null ? [] : [r.groupId])))];
    if (groups.length === 0) return;
    await m.query(
      `DELETE FROM group_cuts g WHERE g.group_id = ANY($1::text[])
         AND NOT EXISTS (SELECT 1 FROM checkpoints c WHERE c.group_id = g.group_id AND c.epoch = g.epoch)`,
      [groups],
    );
  }
}
