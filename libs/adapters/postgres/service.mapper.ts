import { type ServiceDefinition } from '@reservoir/domain/manifest/service-definition';
import { type PlacementError } from '@reservoir/domain/deploy/plan-deployment';
import { type TransitionActor } from '@reservoir/domain/vee/vee-record';
import { type ServicePhase } from '@reservoir/domain/service/service-phase';
import { type PhaseHistoryEntry, type ServiceRecord } from '@reservoir/domain/service/service-record';
import { ServiceEntity } from './entities/service.entity';
import { ServicePhaseHistoryEntity } from './entities/service-phase-history.entity';

export function toServiceEntity(r: ServiceRecord): ServiceEntity {
  const e = new ServiceEntity();
  e.id = r.id;
  e.siteId = r.siteId;
  e.name = r.name;
  e.phase = r.phase;
  e.definition = r.definition;
  e.manifestXml = Buffer.from(r.manifest);
  e.placementErrors = r.placementErrors ?? null;
  e.replicaOf = r.replicaOf ?? null;
  e.revision = r.revision ?? 0;
  e.createdAt = r.createdAt;
  e.updatedAt = r.updatedAt;
  return e;
}

export function toServiceRecord(e: ServiceEntity): ServiceRecord {
  return {
    id: e.id,
    siteId: e.siteId,
    name: e.name,
    phase: e.phase as ServicePhase,
    definition: e.definition as unknown as ServiceDefinition,
    // pg yields a Buffer, PGlite a Uint8Array: normalise to a fresh Uint8Array view.
    manifest: new Uint8Array(e.manifestXml),
    ...(e.placementErrors ? { placementErrors: e.placementErrors as PlacementError[] } : {}),
    ...(e.replicaOf ? { replicaOf: e.replicaOf } : {}),
    revision: Number(e.revision ?? 0),
    createdAt: new Date(e.createdAt),
    updatedAt: new Date(e.updatedAt),
  };
}

export function toHistoryEntity(serviceId: string, h: PhaseHistoryEntry): ServicePhaseHistoryEntity {
  const e = new ServicePhaseHistoryEntity();
  e.serviceId = serviceId;
  e.fromPhase = h.from;
  e.toPhase = h.to;
  e.reason = h.reason;
  e.by = h.by ?? null;
  e.at = h.at;
  return e;
}

export function toHistoryEntry(e: ServicePhaseHistoryEntity): PhaseHistoryEntry {
  const entry: PhaseHistoryEntry = { from: e.fromPhase as ServicePhase | null, to: e.toPhase as ServicePhase, reason: e.reason, at: new Date(e.at) };
  if (e.by !== null) entry.by = e.by as TransitionActor;
  return entry;
}
