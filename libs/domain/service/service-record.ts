import { type ServiceDefinition } from '../manifest/service-definition';
import { type PlacementError } from '../deploy/plan-deployment';
import { type TransitionActor } from '../vee/vee-record';
import { type ServicePhase } from './service-phase';

/** A service as the broker keeps it: the validated definition plus the manifest exactly as submitted. */
export interface ServiceRecord {
  id: string;
  siteId: string;
  name: string;
  phase: ServicePhase;
  definition: ServiceDefinition;
  /** The original manifest bytes, returned unchanged by `GET /v1/services/:id/manifest`. */
  manifest: Uint8Array;
  /** Why the service could not be placed (per tier, one reason per host); set when it failed placing. */
  placementErrors?: PlacementError[];
  /** Set when this site runs the service as a replica of another site's (primary's) service, under a contract. */
  replicaOf?: ReplicaOrigin;
  /** Tier updates applied so far (0 as submitted); a replica takes its primary's revision. */
  revision?: number;
  createdAt: Date;
  updatedAt: Date;
}

/** Whose replica a service is: the primary site, its service id there, and the contract it runs under. */
export interface ReplicaOrigin {
  site: string;
  serviceId: string;
  contractId: string;
}

/** One logged phase transition. */
export interface PhaseHistoryEntry {
  from: ServicePhase | null;
  to: ServicePhase;
  reason: string;
  at: Date;
  /** Who made the move; absent in rows written before actors were recorded. */
  by?: TransitionActor;
}
