import { type DomainSpec } from '../ports/hypervisor.port';
import { type VeePhase } from './vee-phase';

/** `active` serves traffic; `standby` copies (later issues) never reach phase `running`. */
export type VeeRole = 'active' | 'standby';

/**
 * One VM instance of a tier, as the broker keeps it. The record is written before the domain is defined, so it
 * doubles as the capacity reservation on its host: a crash between the two leaves a record, never an orphan.
 */
export interface VeeRecord {
  /** Also the libvirt domain UUID. */
  id: string;
  serviceId: string;
  serviceName: string;
  tier: string;
  index: number;
  hostId: string;
  hostName: string;
  role: VeeRole;
  phase: VeePhase;
  /** The libvirt domain name (`rsv-<service>-<tier>-<index>-<short id>`). */
  domain: string;
  /** Host path of the serial console log. */
  consoleLog: string;
  /** What was (or will be) defined; kept so a missing domain can be recreated exactly. */
  spec: DomainSpec;
  createdAt: Date;
  updatedAt: Date;
}

/**
 * A same-site live standby of another VEE (`live-standby` tiers): role `standby`, with the active VEE's spec, so its
 * `spec.uuid` is the active VEE's id and not its own. The standby VEEs a replica site runs for a whole service have
 * `spec.uuid === id`. Live standbys are not members of their service: they are listed under their VEE's `standby`.
 */
export function isLiveStandby(v: Pick<VeeRecord, 'id' | 'role' | 'spec'>): boolean {
  return v.role === 'standby' && v.spec.uuid.toLowerCase() !== v.id.toLowerCase();
}

/** Who moved a phase: the deployer, the reconcile loop, a user request through the API, or a peer site (RS-RS). */
export type TransitionActor = 'deploy' | 'reconcile' | 'api' | 'peer';

/** One logged VEE phase transition. */
export interface VeeHistoryEntry {
  veeId: string;
  serviceId: string;
  from: VeePhase | null;
  to: VeePhase;
  reason: string;
  by: TransitionActor;
  at: Date;
}
