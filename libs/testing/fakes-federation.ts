/** In-memory stores for the federation use cases, with the same contracts as the PostgreSQL ones, and test helpers. */
import { isFinalContractPhase } from '@reservoir/domain/federation/contracts/contract-phase';
import { type ContractChange, type ContractHistoryEntry, type ContractRole } from '@reservoir/domain/federation/contracts/contract-record';
import { type Envelope, type MessageType } from '@reservoir/domain/federation/protocol/envelope';
import { type HostRecord } from '@reservoir/domain/hosts/host-record';
import { type ServiceDefinition } from '@reservoir/domain/manifest/service-definition';
import { type IdGenerator } from '@reservoir/domain/ports/clock.port';
import { type ContractStore, type ReplicaReport, type StoredContract } from '@reservoir/domain/ports/contract-store.port';
import { type BusMessage, type EventBus } from '@reservoir/domain/ports/event-bus.port';
import { type ServiceRecord } from '@reservoir/domain/service/service-record';
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

/**
 * An EventBus that records what is published and nothing else: subscribe, ping and close fail the test. Set
 * `failWith` to make publishing throw (a bus outage).
 */
export class RecordingBus implements EventBus {
  readonly published: BusMessage[] = [];
  failWith?: Error;

  async publish(message: BusMessage): Promise<void> {
    if (this.failWith) throw this.failWith;
    this.published.push(message);
  }
  async subscribe(): Promise<void> {
    throw new Error('unexpected subscribe');
  }
  async ping(): Promise<void> {
    throw new Error('unexpected ping');
  }
  async close(): Promise<void> {
    throw new Error('unexpected close');
  }

  /** The RS-RS envelopes published (topics `rsrs.*`), in order, optionally of one type. */
  envelopes<T extends MessageType>(type?: T): Envelope<T>[] {
    return this.published
      .filter((m) => m.topic.startsWith('rsrs.'))
      .map((m) => JSON.parse(m.value) as Envelope<T>)
      .filter((e) => type === undefined || e.type === type);
  }

  /** The parsed values published on `topic`. */
  values<T = unknown>(topic: string): T[] {
    return this.published.filter((m) => m.topic === topic).map((m) => JSON.parse(m.value) as T);
  }

  clear(): void {
    this.published.length = 0;
  }
}

/**
 * UUID-shaped ids with a per-site prefix (8 hex digits): `<prefix>-0000-4000-8000-000000000001`, ... Sites of one
 * test federation need distinct ones, as real UUIDs are: a contract is named by the provider's offer id.
 */
export class PrefixedIds implements IdGenerator {
  private n = 0;
  constructor(private readonly prefix: string) {
    if (!/^[0-9a-f]{8}$/.test(prefix)) throw new Error(`prefix must be 8 hex digits, got '${prefix}'`);
  }
  next(): string {
    this.n += 1;
    return `${this.prefix}-0000-4000-8000-${String(this.n).padStart(12, '0')}`;
  }
}

/** A host record as the host registry stores it: up, no overcommit unless given. */
export function buildHostRecord(id: string, capacity: HostRecord['capacity'], fields: Partial<HostRecord> = {}): HostRecord {
  const at = new Date('2026-01-01T00:00:00.000Z');
  return {
    id, name: id, uri: `sim://${id}?vcpu=${capacity.vcpu}&memory-mib=${capacity.memoryMiB}&disk-gib=${capacity.diskGiB}`, failureDomain: `fd-${id}`,
    labels: {}, overcommit: { cpu: 1, memory: 1 }, capacity, features: { bandwidthQoS: { enforced: true } }, health: 'up', createdAt: at, updatedAt: at,
    ...fields,
  };
}

/** A service record for `definition` (phase `running` unless given), its manifest a stand-in text naming it. */
export function buildServiceRecord(id: string, definition: ServiceDefinition, fields: Partial<ServiceRecord> = {}): ServiceRecord {
  const at = new Date('2026-01-01T00:00:00.000Z');
  return {
    id, siteId: 'site-a', name: definition.name, phase: 'running', definition,
    manifest: new TextEncoder().encode(`<service name="${definition.name}"/>`), createdAt: at, updatedAt: at,
    ...fields,
  };
}
