import { type DataSource } from 'typeorm';
import { DomainError } from '@reservoir/domain/shared/domain-error';
import { type PhaseHistoryEntry, type ServiceRecord } from '@reservoir/domain/service/service-record';
import { type Page, type ServiceChanges, type ServiceStore } from '@reservoir/domain/ports/service-store.port';
import { ServiceEntity } from './entities/service.entity';
import { ServicePhaseHistoryEntity } from './entities/service-phase-history.entity';
import { toHistoryEntity, toHistoryEntry, toServiceEntity, toServiceRecord } from './service.mapper';
import { isUniqueViolation } from './unique-violation';

/** ServiceStore on PostgreSQL (server or embedded) through TypeORM. */
export class TypeormServiceStore implements ServiceStore {
  constructor(private readonly ds: DataSource) {}

  async create(record: ServiceRecord, history: PhaseHistoryEntry): Promise<void> {
    try {
      await this.ds.transaction(async (m) => {
        await m.insert(ServiceEntity, toServiceEntity(record));
        await m.insert(ServicePhaseHistoryEntity, toHistoryEntity(record.id, history));
      });
    } catch (err) {
      if (isUniqueViolation(err)) {
        throw new DomainError('conflict', `a service named '${record.name}' already exists`, [
          { path: '/service/@name', message: `a service named '${record.name}' already exists on this site` },
        ]);
      }
      throw err;
    }
  }

  async get(id: string): Promise<ServiceRecord | undefined> {
    const e = await this.ds.getRepository(ServiceEntity).findOneBy({ id });
    return e ? toServiceRecord(e) : undefined;
  }

  async list(limit: number, offset: number): Promise<Page<ServiceRecord>> {
    const [rows, total] = await this.ds
      .getRepository(ServiceEntity)
      .findAndCount({ order: { createdAt: 'DESC', id: 'ASC' }, take: limit, skip: offset });
    return { items: rows.map(toServiceRecord), total };
  }

  async history(id: string): Promise<PhaseHistoryEntry[]> {
    const rows = await this.ds
      .getRepository(ServicePhaseHistoryEntity)
      .find({ where: { serviceId: id }, order: { seq: 'ASC' } });
    return rows.map(toHistoryEntry);
  }

  async updatePhase(id: string, entry: PhaseHistoryEntry, changes: ServiceChanges = {}): Promise<boolean> {
    return this.ds.transaction(async (m) => {
      const set: Partial<ServiceEntity> = { phase: entry.to, updatedAt: entry.at };
      if (changes.placementErrors !== undefined) set.placementErrors = changes.placementErrors;
      if (changes.definition !== undefined) set.definition = changes.definition;
      if (changes.revision !== undefined) set.revision = changes.revision;
      const updated = await m
        .createQueryBuilder()
        .update(ServiceEntity)
        .set(set)
        .where('id = :id AND phase = :from', { id, from: entry.from })
        .execute();
      if ((updated.affected ?? 0) === 0) return false;
      await m.insert(ServicePhaseHistoryEntity, toHistoryEntity(id, entry));
      return true;
    });
  }

  async remove(id: string): Promise<boolean> {
    const result = await this.ds.getRepository(ServiceEntity).delete({ id });
    return (result.affected ?? 0) > 0;
  }

  async ping(): Promise<void> {
    await this.ds.query('SELECT 1');
  }
}
