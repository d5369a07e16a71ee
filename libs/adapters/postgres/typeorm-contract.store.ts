import { In, type DataSource, type FindOptionsWhere } from 'typeorm';
import { CONTRACT_PHASES, isFinalContractPhase } from '@reservoir/domain/federation/contracts/contract-phase';
import { type ContractChange, type ContractHistoryEntry, type ContractRole } from '@reservoir/domain/federation/contracts/contract-record';
import { type ContractStore, type ReplicaReport, type StoredContract } from '@reservoir/domain/ports/contract-store.port';
import { DomainError } from '@reservoir/domain/shared/domain-error';
import { ContractEntity } from './entities/contract.entity';
import { ContractHistoryEntity } from './entities/contract-history.entity';
import { toContractEntity, toContractHistoryEntity, toContractHistoryEntry, toReplicaJson, toStoredContract } from './contract.mapper';
import { isUniqueViolation } from './unique-violation';

const LIVE_PHASES = CONTRACT_PHASES.filter((p) => !isFinalContractPhase(p));

/**
 * ContractStore on PostgreSQL (server or embedded PGlite) through TypeORM. A transition is one conditional
 * UPDATE (`WHERE id = ? AND phase = ?`) plus the history insert in one transaction: on the server a concurrent
 * writer of the same row waits for the first to commit and then matches no row; on PGlite transactions are
 * serialized by the single-session pool, so the second sees the new phase.
 */
export class TypeormContractStore implements ContractStore {
  constructor(private readonly ds: DataSource) {}

  async create(change: ContractChange, extra: { correlationId?: string } = {}): Promise<void> {
    const stored: StoredContract = { ...change.contract, ...(extra.correlationId !== undefined && { correlationId: extra.correlationId }) };
    try {
      await this.ds.transaction(async (m) => {
        await m.insert(ContractEntity, toContractEntity(stored));
        await m.insert(ContractHistoryEntity, toContractHistoryEntity(change.entry));
      });
    } catch (err) {
      if (!isUniqueViolation(err)) throw err;
      throw new DomainError('conflict', `contract ${stored.id} (service ${stored.serviceId}, peer ${stored.peer}) already exists`);
    }
  }

  async apply({ contract, entry }: ContractChange): Promise<boolean> {
    if (entry.from === null) {
      throw new DomainError('invalid-input', `contract ${contract.id}: an opening change (from null) is stored with create, not apply`);
    }
    return this.ds.transaction(async (m) => {
      const update = m
        .createQueryBuilder()
        .update(ContractEntity)
        .set({ phase: contract.phase, expiresAt: contract.expiresAt, updatedAt: contract.updatedAt })
        .where('id = :id AND phase = :from', { id: contract.id, from: entry.from });
      // A renewal only ever extends the term: a stale or repeated one must not shorten it or log twice.
      if (entry.from === entry.to) update.andWhere('expires_at < :expiresAt', { expiresAt: contract.expiresAt });
      const updated = await update.execute();
      if ((updated.affected ?? 0) === 0) return false;
      await m.insert(ContractHistoryEntity, toContractHistoryEntity(entry));
      return true;
    });
  }

  async get(id: string): Promise<StoredContract | undefined> {
    const e = await this.ds.getRepository(ContractEntity).findOneBy({ id });
    return e ? toStoredContract(e) : undefined;
  }

  async listByService(serviceId: string): Promise<StoredContract[]> {
    const rows = await this.ds.getRepository(ContractEntity).find({ where: { serviceId }, order: { createdAt: 'ASC', id: 'ASC' } });
    return rows.map(toStoredContract);
  }

  async listLive(filter: { role?: ContractRole; peer?: string } = {}): Promise<StoredContract[]> {
    const where: FindOptionsWhere<ContractEntity> = { phase: In(LIVE_PHASES) };
    if (filter.role !== undefined) where.role = filter.role;
    if (filter.peer !== undefined) where.peer = filter.peer;
    const rows = await this.ds.getRepository(ContractEntity).find({ where, order: { createdAt: 'ASC', id: 'ASC' } });
    return rows.map(toStoredContract);
  }

  async history(id: string): Promise<ContractHistoryEntry[]> {
    const rows = await this.ds.getRepository(ContractHistoryEntity).find({ where: { contractId: id }, order: { seq: 'ASC' } });
    return rows.map(toContractHistoryEntry);
  }

  async setLocalService(id: string, serviceId: string): Promise<void> {
    await this.updateOrNotFound(id, { localServiceId: serviceId });
  }

  async setReplicaReport(id: string, report: ReplicaReport): Promise<void> {
    await this.updateOrNotFound(id, { replica: toReplicaJson(report) });
  }

  private async updateOrNotFound(id: string, set: Partial<Pick<ContractEntity, 'localServiceId' | 'replica'>>): Promise<void> {
    const updated = await this.ds.createQueryBuilder().update(ContractEntity).set(set).where('id = :id', { id }).execute();
    if ((updated.affected ?? 0) === 0) throw DomainError.notFound('contract', id);
  }
}
