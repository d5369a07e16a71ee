import { Not, type DataSource } from 'typeorm';
import { type VeeMove, type VeeStore } from '@reservoir/domain/ports/vee-store.port';
import { type VeeHistoryEntry, type VeeRecord } from '@reservoir/domain/vee/vee-record';
import { VeeEntity } from './entities/vee.entity';
import { VeePhaseHistoryEntity } from './entities/vee-phase-history.entity';
import { toVeeEntity, toVeeHistoryEntity, toVeeHistoryEntry, toVeeRecord } from './vee.mapper';

/** VeeStore on PostgreSQL (server or embedded) through TypeORM. */
export class TypeormVeeStore implements VeeStore {
  constructor(private readonly ds: DataSource) {}

  async create(vee: VeeRecord, history: VeeHistoryEntry): Promise<void> {
    await this.ds.transaction(async (m) => {
      await m.insert(VeeEntity, toVeeEntity(vee));
      await m.insert(VeePhaseHistoryEntity, toVeeHistoryEntity(history));
    });
  }

  async get(id: string): Promise<VeeRecord | undefined> {
    const e = await this.ds.getRepository(VeeEntity).findOneBy({ id });
    return e ? toVeeRecord(e) : undefined;
  }

  async transition(entry: VeeHistoryEntry): Promise<boolean> {
    return this.ds.transaction(async (m) => {
      const updated = await m
        .createQueryBuilder()
        .update(VeeEntity)
        .set({ phase: entry.to, updatedAt: entry.at })
        .where('id = :id AND phase = :from', { id: entry.veeId, from: entry.from })
        .execute();
      if ((updated.affected ?? 0) === 0) return false;
      await m.insert(VeePhaseHistoryEntity, toVeeHistoryEntity(entry));
      return true;
    });
  }

  async updateSpec(id: string, spec: VeeRecord['spec'], at: Date): Promise<boolean> {
    const updated = await this.ds.createQueryBuilder().update(VeeEntity).set({ spec: spec as unknown as VeeEntity['spec'], updatedAt: at }).where('id = :id', { id }).execute();
    return (updated.affected ?? 0) > 0;
  }

  async moveHost(id: string, to: VeeMove, at: Date): Promise<boolean> {
    const updated = await this.ds
      .createQueryBuilder()
      .update(VeeEntity)
      .set({ hostId: to.hostId, hostName: to.hostName, spec: to.spec as unknown as VeeEntity['spec'], updatedAt: at })
      .where('id = :id', { id })
      .execute();
    return (updated.affected ?? 0) > 0;
  }

  async listByService(serviceId: string): Promise<VeeRecord[]> {
    const rows = await this.ds.getRepository(VeeEntity).find({ where: { serviceId }, order: { createdAt: 'ASC', tier: 'ASC', index: 'ASC' } });
    return rows.map(toVeeRecord);
  }

  async listLive(): Promise<VeeRecord[]> {
    const rows = await this.ds.getRepository(VeeEntity).find({ where: { phase: Not('deleted') }, order: { createdAt: 'ASC', id: 'ASC' } });
    return rows.map(toVeeRecord);
  }

  async countOnHost(hostId: string): Promise<number> {
    return this.ds.getRepository(VeeEntity).countBy({ hostId, phase: Not('deleted') });
  }

  async history(serviceId: string): Promise<VeeHistoryEntry[]> {
    const rows = await this.ds.getRepository(VeePhaseHistoryEntity).find({ where: { serviceId }, order: { seq: 'ASC' } });
    return rows.map(toVeeHistoryEntry);
  }
}
