import { type PhaseHistoryEntry, type ServiceRecord } from '@reservoir/domain/service/service-record';
import { type VeeRecord } from '@reservoir/domain/vee/vee-record';
import { type PlacementError } from '@reservoir/domain/deploy/plan-deployment';
import { type TransitionEvent } from '@reservoir/application/services/service-queries';

/** The API's JSON for one VEE. */
export interface VeeView {
  id: string;
  tier: string;
  index: number;
  host: string;
  hostId: string;
  phase: string;
  role: string;
  /** The tier's protection level (`<tier-QoS protection>`): none, restart, checkpoint or live-standby. */
  protection?: string;
  domain: string;
  consoleLog: string;
  createdAt: string;
  updatedAt: string;
}

/** The API's JSON for a service (a mapped view; storage rows never leave the adapter). */
export interface ServiceView {
  id: string;
  name: string;
  siteId: string;
  phase: string;
  tiers: ServiceRecord['definition']['tiers'];
  relations: ServiceRecord['definition']['relations'];
  qos: ServiceRecord['definition']['qos'];
  createdAt: string;
  updatedAt: string;
  phaseHistory?: { from: string | null; to: string; reason: string; at: string }[];
  /** Every VEE that is not deleted (one service view: always present, possibly empty). */
  vees?: VeeView[];
  /** Why the service could not be placed, per tier; only when it failed placing. */
  placementErrors?: PlacementError[];
  /** Tier updates applied so far (PATCH …/tiers/:tier; a replica shows its primary's). */
  revision: number;
  /** At a replica site: whose replica this is (primary site, its service id, the contract). */
  replicaOf?: { site: string; serviceId: string; contractId: string };
  /** At the primary: the replica sites under contract and their last reported phase (one service view: always present). */
  replicas?: { site: string; phase: string; contract: { id: string; phase: string; expiresAt: string } }[];
  /** At the primary of a federated site: load-balancing weight per site (sums to 1, or all 0 when none serves). */
  loadBalancing?: Record<string, number>;
}

export function toVeeView(v: VeeRecord, protection?: string): VeeView {
  return {
    id: v.id,
    tier: v.tier,
    index: v.index,
    host: v.hostName,
    hostId: v.hostId,
    phase: v.phase,
    role: v.role,
    ...(protection === undefined ? {} : { protection }),
    domain: v.domain,
    consoleLog: v.consoleLog,
    createdAt: v.createdAt.toISOString(),
    updatedAt: v.updatedAt.toISOString(),
  };
}

export function toServiceView(r: ServiceRecord, history?: PhaseHistoryEntry[], vees?: VeeRecord[]): ServiceView {
  const view: ServiceView = {
    id: r.id,
    name: r.name,
    siteId: r.siteId,
    phase: r.phase,
    tiers: r.definition.tiers,
    relations: r.definition.relations,
    qos: r.definition.qos,
    revision: r.revision ?? 0,
    createdAt: r.createdAt.toISOString(),
    updatedAt: r.updatedAt.toISOString(),
  };
  if (history) view.phaseHistory = history.map((h) => ({ from: h.from, to: h.to, reason: h.reason, at: h.at.toISOString() }));
  const protectionOf = (tier: string) => r.definition.tiers.find((t) => t.name === tier)?.qos.protection;
  if (vees) view.vees = vees.filter((v) => v.phase !== 'deleted').map((v) => toVeeView(v, protectionOf(v.tier)));
  if (r.placementErrors && r.placementErrors.length > 0) view.placementErrors = r.placementErrors;
  if (r.replicaOf) view.replicaOf = r.replicaOf;
  return view;
}

/** One line of `GET /v1/services/:id/events`. */
export function toEventView(e: TransitionEvent): Omit<TransitionEvent, 'at'> & { at: string } {
  return { ...e, at: e.at.toISOString() };
}
