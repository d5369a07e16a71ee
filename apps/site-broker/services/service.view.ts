import { type PhaseHistoryEntry, type ServiceRecord } from '@reservoir/domain/service/service-record';
import { isLiveStandby, type VeeRecord } from '@reservoir/domain/vee/vee-record';
import { type PlacementError } from '@reservoir/domain/deploy/plan-deployment';
import { type TransitionEvent } from '@reservoir/application/services/service-queries';
import { type FailoverStatus } from '@reservoir/application/protection/failover-supervisor';
import { type StandbyInfo, type VeeProtectionDetails } from '@reservoir/application/protection/vee-protection-details';
import { type RpoView, type VeeCondition } from '@reservoir/application/protection/checkpoint-scheduler';

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
  /**
   * What failover makes of the VEE, while the failover supervisor watches it (an active VEE of a running or degraded
   * service, `none` tiers included: they show why they were declared lost). Kept in the broker's memory.
   */
  failover?: FailoverView;
  /** For a `checkpoint`/`live-standby` VEE the scheduler watches: configured vs achieved RPO, degraded or not. */
  rpo?: RpoView;
  /** For a `checkpoint`/`live-standby` VEE: its protection conditions (e.g. RpoDegraded, CheckpointFailing). */
  conditions?: VeeCondition[];
  /** For a live-standby VEE, once a standby provider is wired: its standby, as that provider shows it. */
  standby?: StandbyInfo;
}

/** A watched VEE's failover: machine state (healthy, suspect, recovering, probation, lost), since when, why, last action. */
export interface FailoverView {
  state: string;
  since: string;
  reason: string;
  lastAction?: { type: string; step: string; attempt: number; at: string };
}

export function toFailoverView(status: FailoverStatus): FailoverView {
  const { state, lastActionAt } = status;
  const view: FailoverView = { state: state.phase, since: state.changedAt.toISOString(), reason: state.reason };
  if (state.lastAction && lastActionAt) {
    view.lastAction = { type: state.lastAction.type, step: state.lastAction.step, attempt: state.lastAction.attempt, at: lastActionAt.toISOString() };
  }
  return view;
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

export function toVeeView(v: VeeRecord, protection?: string, failover?: FailoverStatus, details?: VeeProtectionDetails): VeeView {
  const view: VeeView = {
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
  if (failover) view.failover = toFailoverView(failover);
  if (details) {
    if (details.rpo) view.rpo = details.rpo;
    view.conditions = details.conditions;
    if (details.standby) view.standby = details.standby;
  }
  return view;
}

export function toServiceView(
  r: ServiceRecord,
  history?: PhaseHistoryEntry[],
  vees?: VeeRecord[],
  failoverOf: (veeId: string) => FailoverStatus | undefined = () => undefined,
  detailsOf: (veeId: string) => VeeProtectionDetails | undefined = () => undefined,
): ServiceView {
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
  if (vees) view.vees = vees.filter((v) => v.phase !== 'deleted' && !isLiveStandby(v)).map((v) => toVeeView(v, protectionOf(v.tier), failoverOf(v.id), detailsOf(v.id)));
  if (r.placementErrors && r.placementErrors.length > 0) view.placementErrors = r.placementErrors;
  if (r.replicaOf) view.replicaOf = r.replicaOf;
  return view;
}

/** One line of `GET /v1/services/:id/events`. */
export function toEventView(e: TransitionEvent): Omit<TransitionEvent, 'at'> & { at: string } {
  return { ...e, at: e.at.toISOString() };
}
