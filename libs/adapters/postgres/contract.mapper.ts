import { type ContractPhase } from '@reservoir/domain/federation/contracts/contract-phase';
import { type ContractActor, type ContractHistoryEntry, type ContractRole } from '@reservoir/domain/federation/contracts/contract-record';
import { type TierDemand } from '@reservoir/domain/federation/protocol/envelope';
import { type ReplicaReport, type StoredContract } from '@reservoir/domain/ports/contract-store.port';
import { ContractEntity } from './entities/contract.entity';
import { ContractHistoryEntity } from './entities/contract-history.entity';

/** A ReplicaReport as kept in the `replica` jsonb column. */
type ReplicaJson = Omit<ReplicaReport, 'at'> & { at: string };

export function toContractEntity(c: StoredContract): ContractEntity {
  const e = new ContractEntity();
  Object.assign(e, {
    id: c.id, serviceId: c.serviceId, role: c.role, peer: c.peer, tiers: c.tiers, pricePerHour: c.pricePerHour,
    currency: c.currency, phase: c.phase, expiresAt: c.expiresAt, correlationId: c.correlationId ?? null,
    localServiceId: c.localServiceId ?? null, replica: c.replica ? toReplicaJson(c.replica) : null,
    createdAt: c.createdAt, updatedAt: c.updatedAt,
  });
  return e;
}

export function toStoredContract(e: ContractEntity): StoredContract {
  const c: StoredContract = {
    id: e.id,
    serviceId: e.serviceId,
    role: e.role as ContractRole,
    peer: e.peer,
    tiers: e.tiers as TierDemand[],
    pricePerHour: Number(e.pricePerHour),
    currency: e.currency,
    phase: e.phase as ContractPhase,
    expiresAt: new Date(e.expiresAt),
    createdAt: new Date(e.createdAt),
    updatedAt: new Date(e.updatedAt),
  };
  if (e.correlationId !== null) c.correlationId = e.correlationId;
  if (e.localServiceId !== null) c.localServiceId = e.localServiceId;
  if (e.replica !== null) c.replica = fromReplicaJson(e.replica as ReplicaJson);
  return c;
}

export function toReplicaJson(r: ReplicaReport): ReplicaJson {
  return { ...r, vees: r.vees.map((v) => ({ ...v })), at: r.at.toISOString() };
}

function fromReplicaJson(j: ReplicaJson): ReplicaReport {
  return { ...j, at: new Date(j.at) };
}

export function toContractHistoryEntity(h: ContractHistoryEntry): ContractHistoryEntity {
  const e = new ContractHistoryEntity();
  e.contractId = h.contractId;
  e.serviceId = h.serviceId;
  e.fromPhase = h.from;
  e.toPhase = h.to;
  e.reason = h.reason;
  e.by = h.by;
  e.at = h.at;
  e.expiresAt = h.expiresAt;
  return e;
}

export function toContractHistoryEntry(e: ContractHistoryEntity): ContractHistoryEntry {
  return {
    contractId: e.contractId,
    serviceId: e.serviceId,
    from: e.fromPhase as ContractPhase | null,
    to: e.toPhase as ContractPhase,
    reason: e.reason,
    by: e.by as ContractActor,
    at: new Date(e.at),
    expiresAt: new Date(e.expiresAt),
  };
}
