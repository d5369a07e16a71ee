/**
 * What the broker knows about one protected VEE's failover, and the inputs and outputs of `stepFailover`.
 * Plain data: the application persists one `FailoverState` per VEE, feeds it check results, the results of
 * the actions it carried out and clock ticks, logs the transitions and carries out the actions.
 */
import { type ProtectionLevel } from '../../manifest/service-definition';
import { type RecoveryStep } from './recovery-ladder';

/**
 * healthy → suspect (a failed check) → recovering (k failed checks; one action at a time) → probation (the
 * action worked) → healthy (m good checks in a row). `lost` is final: the ladder is exhausted, or nothing can
 * recover the VEE; `reason` says why. See README.md.
 */
export type FailoverPhase = 'healthy' | 'suspect' | 'recovering' | 'probation' | 'lost';

export function isFinalFailoverPhase(phase: FailoverPhase): boolean {
  return phase === 'lost';
}

/** The recovery action issued and not yet answered (at most one). */
export interface OutstandingAction {
  seq: number;
  step: RecoveryStep;
  issuedAt: Date;
}

export interface FailoverState {
  veeId: string;
  protection: ProtectionLevel;
  /** Where the VEE runs (or last ran); a successful move reports the new host. */
  hostId: string;
  /** As the last check that said so reported it; steps that need the host are skipped while it is down. */
  hostUp: boolean;
  phase: FailoverPhase;
  changedAt: Date;
  /** Time of the last accepted input; older inputs are ignored. */
  updatedAt: Date;
  /** Why the VEE is in this phase (for `lost`: why it could not be recovered). */
  reason: string;
  /** Failed checks since the VEE was last healthy (suspect → recovering at k). */
  failedChecks: number;
  /** Good checks in a row (suspect or probation → healthy at m). */
  goodChecks: number;
  /** Entry into `healthy`; a chain is forgotten when the VEE fails after `forgetAfterHealthyMs` of health. */
  healthySince: Date | null;
  /** The current recovery chain: its ladder (fixed when the chain starts), rung, attempts there, failures. */
  ladder: readonly RecoveryStep[];
  stepIndex: number;
  attempts: number;
  failures: number;
  /** Actions issued in the current chain. */
  chainActions: number;
  /** No action before this (back-off after a failed attempt). */
  nextActionNotBefore: Date | null;
  outstanding: OutstandingAction | null;
  /** The last recovery action issued, for the VEE's status. */
  lastAction: RecoveryAction | null;
  /** Recovery actions issued over the VEE's life; each action's `seq`, echoed by its result. */
  seq: number;
}

interface ActionBase {
  veeId: string;
  /** Echo it in the `action-result`; a result for another `seq` is ignored. */
  seq: number;
  step: RecoveryStep;
  /** 1-based attempt at this step. */
  attempt: number;
  /** The host the VEE is on (or was on). */
  hostId: string;
  reason: string;
}

/** What the application should do to bring the VEE back. Exactly one is outstanding while recovering. */
export type RecoveryAction =
  | (ActionBase & { type: 'restart-in-place' })
  | (ActionBase & { type: 'restart-elsewhere'; avoidHost: string })
  | (ActionBase & { type: 'restore-checkpoint'; where: 'in-place' })
  | (ActionBase & { type: 'restore-checkpoint'; where: 'elsewhere'; avoidHost: string })
  | (ActionBase & { type: 'switch-to-standby' })
  /** A fresh VEE from the tier's image and the manifest's disks; `avoidHost` when its host is down. */
  | (ActionBase & { type: 'reinstall'; avoidHost?: string });

/** Record the VEE lost (phase `lost`, service degraded) and tell its owner; expects no result. */
export interface DeclareLost {
  type: 'declare-lost';
  veeId: string;
  reason: string;
}

export type FailoverAction = RecoveryAction | DeclareLost;

/** A health check of the VEE (domain state, guest heartbeat). `hostUp` when the check knows its host's state. */
export interface FailoverCheck {
  type: 'check';
  at: Date;
  ok: boolean;
  detail?: string;
  hostUp?: boolean;
}

/** How the action `seq` went. `hostId`: where the VEE runs now, when the action moved it. */
export interface FailoverActionResult {
  type: 'action-result';
  at: Date;
  seq: number;
  ok: boolean;
  hostId?: string;
  error?: string;
}

/** The clock: times out actions and issues those whose back-off is over. */
export interface FailoverTick {
  type: 'tick';
  at: Date;
}

export type FailoverInput = FailoverCheck | FailoverActionResult | FailoverTick;

export interface FailoverTransition {
  veeId: string;
  from: FailoverPhase;
  to: FailoverPhase;
  at: Date;
  reason: string;
}

export interface FailoverStep {
  state: FailoverState;
  actions: FailoverAction[];
  transitions: FailoverTransition[];
  /** Set when the input changed nothing and why (stale result, older input, lost VEE). */
  ignored?: string;
}

/** A newly protected VEE, running on `hostId` and presumed healthy since `now`. */
export function watchVee(veeId: string, hostId: string, protection: ProtectionLevel, now: Date): FailoverState {
  return {
    veeId,
    protection,
    hostId,
    hostUp: true,
    phase: 'healthy',
    changedAt: now,
    updatedAt: now,
    reason: 'protected from now on',
    failedChecks: 0,
    goodChecks: 0,
    healthySince: now,
    ladder: [],
    stepIndex: 0,
    attempts: 0,
    failures: 0,
    chainActions: 0,
    nextActionNotBefore: null,
    outstanding: null,
    lastAction: null,
    seq: 0,
  };
}
