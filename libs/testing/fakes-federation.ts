/** In-memory stores for the federation use cases, with the same contracts as the PostgreSQL ones. */
import { isFinalContractPhase } from '@reservoir/domain/federation/contracts/contract-phase';
import { type ContractChange, type ContractHistoryEntry, type ContractRole } from '@reservoir/domain/federation/contracts/contract-record';
import { type ContractStore, type ReplicaReport, type StoredContract } from '@reservoir/domain/ports/contract-store.port';
import { DomainError } from '@reservoir/domain/shared/domain-error';

/**
 * ContractStore in memory: duplicate ids are a `conflict`, `apply` writes only from the expected phase (and a
 * renewal only when it extends the term), lists come oldest first. Everything handed in or out is a copy (made
 * by hand, not with structuredClone, whose Dates fail `instanceof Date` inside jest's VM context).
 */
export class FakeContractStore implements ContractStore {
  readonly contracts = new Map<string, StoredContract>();
  readonly histories: ContractHistoryEntry[] = [];

  async create(change: ContractChange, extra: { correlationId?: string } = {}): Promise<void> {
    const c = change.contract;
    if (this.contracts.has(c.id)) {
      throw new DomainError('conflict', `contract ${c.id} (service ${c.serviceId}, peer ${c.peer}) already exists`);
    }
    this.contracts.set(c.id, copyContract({ ...c, ...(extra.correlationId !== undefined && { correlationId: extra.correlationId }) }));
    this.histories.push(copyEntry(change.entry));
  }

  async apply({ contract, entry }: ContractChange): Promise<boolean> {
    if (entry.from === null) {
      throw new DomainError('invalid-input', `contract ${contract.id}: an opening change (from null) is stored with create, not apply`);
    }
    const stored = this.contracts.get(contract.id);
    if (!stored || stored.phase !== entry.from) return false;
    if (entry.from === entry.to && stored.expiresAt.getTime() >= contract.expiresAt.getTime()) return false;
    stored.phase = contract.phase;
    stored.expiresAt = new Date(contract.expiresAt);
    stored.updatedAt = new Date(contract.updatedAt);
    this.histories.push(copyEntry(entry));
    return true;
  }

  async get(id: string): Promise<StoredContract | undefined> {
    const c = this.contracts.get(id);
    return c ? copyContract(c) : undefined;
  }

  async listByService(serviceId: string): Promise<StoredContract[]> {
    return this.sorted((c) => c.serviceId === serviceId);
  }

  async listLive(filter: { role?: ContractRole; peer?: string } = {}): Promise<StoredContract[]> {
    return this.sorted(
      (c) => !isFinalContractPhase(c.phase) && (filter.role === undefined || c.role === filter.role) && (filter.peer === undefined || c.peer === filter.peer),
    );
  }

  async history(id: string): Promise<ContractHistoryEntry[]> {
    return this.histories.filter((h) => h.contractId === id).map(copyEntry);
  }

  async setLocalService(id: string, serviceId: string): Promise<void> {
    this.existing(id).localServiceId = serviceId;
  }

  async setReplicaReport(id: string, report: ReplicaReport): Promise<void> {
    this.existing(id).replica = copyReport(report);
  }

  private existing(id: string): StoredContract {
    const c = this.contracts.get(id);
    if (!c) throw DomainError.notFound('contract', id);
    return c;
  }

  private sorted(keep: (c: StoredContract) => boolean): StoredContract[] {
    return [...this.contracts.values()]
      .filter(keep)
      .sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime() || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
      .map(copyContract);
  }
}

function copyContract(c: StoredContract): StoredContract {
  const copy: StoredContract = {
    ...c, tiers: c.tiers.map((t) => ({ ...t })), expiresAt: new Date(c.expiresAt), createdAt: new Date(c.createdAt), updatedAt: new Date(c.updatedAt),
  };
  if (c.replica) copy.replica = copyReport(c.replica);
  return copy;
}

function copyReport(r: ReplicaReport): ReplicaReport {
  return { ...r, vees: r.vees.map((v) => ({ ...v })), at: new Date(r.at) };
}

function copyEntry(h: ContractHistoryEntry): ContractHistoryEntry {
  return { ...h, at: new Date(h.at), expiresAt: new Date(h.expiresAt) };
}
