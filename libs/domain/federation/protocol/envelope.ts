/**
 * The RS-RS envelope and message bodies (docs/rsrs-protocol.md, schemas/rsrs/). Types only: the canonical encoding,
 * signing and the checks on receipt live next to this file and in the application's inbound gate.
 *
 * Every message about a service carries the service's primary `term` (grows each time the primary role moves) so
 * a stale primary can be fenced. `v` is "MAJOR.MINOR": an unknown major is rejected, a newer minor is accepted and
 * its unknown optional fields are ignored.
 */

/** The protocol version this code speaks. */
export const PROTOCOL_VERSION = '1.0';

/** Addressee of a broadcast (heartbeats, calls for proposals). */
export const BROADCAST = '*';

export type MessageType =
  | 'Heartbeat'
  | 'CallForProposals'
  | 'Offer'
  | 'Award'
  | 'Reject'
  | 'ContractConfirm'
  | 'ReplicaShip'
  | 'ReplicaStatus'
  | 'ContractRenew'
  | 'ContractRelease'
  | 'CooperationUpdate';

export interface Envelope<T extends MessageType = MessageType> {
  /** Protocol version "MAJOR.MINOR". */
  v: string;
  type: T;
  /** UUID, unique per message: the replay check's key. */
  id: string;
  /** Sender site id. */
  from: string;
  /** Addressee site id, or {@link BROADCAST}. */
  to: string;
  /** ISO 8601 UTC with milliseconds; checked against the receiver's clock window. */
  sentAt: string;
  /** The conversation: a CFP's id for its offers, awards and contract messages; the message's own id otherwise. */
  correlationId: string;
  /** The service's primary term, on every message about a service. */
  term?: number;
  body: BodyOf<T>;
  /** Ed25519 signature (base64url, no padding) over the canonical encoding of every other field. */
  sig: string;
}

/** An envelope before signing. */
export type UnsignedEnvelope<T extends MessageType = MessageType> = Omit<Envelope<T>, 'sig'>;

/** Resources asked for one tier. */
export interface TierDemand {
  tier: string;
  vcpu: number;
  memoryMiB: number;
  diskGiB: number;
  instances: number;
  /** The tier's protection level: `live-standby` and `checkpoint` tiers run as standbys at a replica. */
  protection: 'none' | 'restart' | 'checkpoint' | 'live-standby';
}

export interface HeartbeatBody {
  /** Grows by one per beat from a sender's start; a restart begins again at 1 with a new `incarnation`. */
  seq: number;
  /** Random per broker process start. */
  incarnation: string;
  /** Free capacity after reservations, informative. */
  free?: { vcpu: number; memoryMiB: number; diskGiB: number };
}

export interface CallForProposalsBody {
  serviceId: string;
  serviceName: string;
  purpose: 'replica' | 'capacity';
  tiers: TierDemand[];
  /** Offers arriving after this instant are rejected. */
  deadline: string;
  /** Contract length asked for, in seconds. */
  durationS: number;
}

export interface OfferBody {
  serviceId: string;
  /** What the site reserves for the caller until `validUntil` (every tier of the CFP, in full). */
  tiers: TierDemand[];
  /** Price per hour of the whole offer, in the site's price-list currency units. */
  pricePerHour: number;
  currency: string;
  validUntil: string;
}

export interface AwardBody {
  serviceId: string;
  /** The offer's envelope id. */
  offerId: string;
  contractId: string;
  expiresAt: string;
}

export interface RejectBody {
  serviceId: string;
  offerId: string;
  reason: string;
}

export interface ContractConfirmBody {
  contractId: string;
  serviceId: string;
  expiresAt: string;
}

export interface ReplicaShipBody {
  contractId: string;
  serviceId: string;
  serviceName: string;
  /** The service manifest, verbatim XML. */
  manifest: string;
  /** The contracted resources (what the offer reserved). */
  tiers: TierDemand[];
}

export type ReplicaPhase = 'deploying' | 'running' | 'standby' | 'failed' | 'released';

export interface ReplicaStatusBody {
  contractId: string;
  serviceId: string;
  phase: ReplicaPhase;
  vees: { tier: string; phase: string; role: 'active' | 'standby' }[];
  reason?: string;
}

export interface ContractRenewBody {
  contractId: string;
  serviceId: string;
  expiresAt: string;
}

export interface ContractReleaseBody {
  contractId: string;
  serviceId: string;
  reason: string;
}

export interface CooperationUpdateBody {
  serviceId: string;
  /** Grows with each update of the service; a replica applies an update once and never an older one. */
  revision: number;
  /** A tier's new image, software or configuration. */
  tier?: {
    name: string;
    image?: { ref: string; sha256?: string };
    software?: { name: string; version: string }[];
    configuration?: { name: string; value: string }[];
  };
  /** Load-balancing weights per site id, summing to 1 (or all 0 when no site is healthy). */
  weights?: Record<string, number>;
}

export interface BodyMap {
  Heartbeat: HeartbeatBody;
  CallForProposals: CallForProposalsBody;
  Offer: OfferBody;
  Award: AwardBody;
  Reject: RejectBody;
  ContractConfirm: ContractConfirmBody;
  ReplicaShip: ReplicaShipBody;
  ReplicaStatus: ReplicaStatusBody;
  ContractRenew: ContractRenewBody;
  ContractRelease: ContractReleaseBody;
  CooperationUpdate: CooperationUpdateBody;
}

export type BodyOf<T extends MessageType> = BodyMap[T];

/** Message types that concern one service and therefore carry `term`; they are keyed by service id on the bus. */
export const SERVICE_MESSAGES: ReadonlySet<MessageType> = new Set<MessageType>([
  'CallForProposals', 'Offer', 'Award', 'Reject', 'ContractConfirm', 'ReplicaShip', 'ReplicaStatus', 'ContractRenew',
  'ContractRelease', 'CooperationUpdate',
]);
