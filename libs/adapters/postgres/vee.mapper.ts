import { type DomainSpec } from '@reservoir/domain/ports/hypervisor.port';
import { type VeePhase } from '@reservoir/domain/vee/vee-phase';
import { type TransitionActor, type VeeHistoryEntry, type VeeRecord, type VeeRole } from '@reservoir/domain/vee/vee-record';
import { VeeEntity } from './entities/vee.entity';
import { VeePhaseHistoryEntity } from './entities/vee-phase-history.entity';

export function toVeeEntity(r: VeeRecord): VeeEntity {
  const e = new VeeEntity();
  Object.assign(e, {
    id: r.id, serviceId: r.serviceId, serviceName: r.serviceName, tier: r.tier, index: r.index, hostId: r.hostId,
    hostName: r.hostName, role: r.role, phase: r.phase, domain: r.domain, consoleLog: r.consoleLog, spec: r.spec,
    createdAt: r.createdAt, updatedAt: r.updatedAt,
  });
  return e;
}

export function toVeeRecord(e: VeeEntity): VeeRecord {
  return {
    id: e.id,
    serviceId: e.serviceId,
    serviceName: e.serviceName,
    tier: e.tier,
    index: Number(e.index),
    hostId: e.hostId,
    hostName: e.hostName,
    role: e.role as VeeRole,
    phase: e.phase as VeePhase,
    domain: e.domain,
    consoleLog: e.consoleLog,
    spec: e.spec as DomainSpec,
    createdAt: new Date(e.createdAt),
    updatedAt: new Date(e.updatedAt),
  };
}

export function toVeeHistoryEntity(h: VeeHistoryEntry): VeePhaseHistoryEntity {
  const e = new VeePhaseHistoryEntity();
  e.veeId = h.veeId;
  e.serviceId = h.serviceId;
  e.fromPhase = h.from;
  e.toPhase = h.to;
  e.reason = h.reason;
  e.by = h.by;
  e.at = h.at;
  return e;
}

export function toVeeHistoryEntry(e: VeePhaseHistoryEntity): VeeHistoryEntry {
  return {
    veeId: e.veeId,
    serviceId: e.serviceId,
    from: e.fromPhase as VeePhase | null,
    to: e.toPhase as VeePhase,
    reason: e.reason,
    by: e.by as TransitionActor,
    at: new Date(e.at),
  };
}
