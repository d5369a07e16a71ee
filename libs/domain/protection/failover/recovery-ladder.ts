/**
 * Recovery steps and the escalation ladders built from them. A ladder is data: the steps a protection level
 * tries, in order, each up to `maxAttemptsPerStep` times. Steps that act on the VEE's current host are
 * skipped while that host is reported down (the next step that moves the VEE runs instead).
 */
import { type ProtectionLevel } from '../../manifest/service-definition';

/** One rung of a ladder; each maps to one `RecoveryAction` the application carries out. */
export type RecoveryStep =
  | 'restart-in-place'
  | 'restart-elsewhere'
  | 'restore-checkpoint-in-place'
  | 'restore-checkpoint-elsewhere'
  | 'switch-to-standby'
  | 'reinstall';

export const RECOVERY_STEPS: readonly RecoveryStep[] = [
  'restart-in-place',
  'restart-elsewhere',
  'restore-checkpoint-in-place',
  'restore-checkpoint-elsewhere',
  'switch-to-standby',
  'reinstall',
];

/** The ladder of each protection level. `none` has no steps: a confirmed failure is reported as `lost`. */
export type FailoverLadders = Readonly<Record<ProtectionLevel, readonly RecoveryStep[]>>;

export const DEFAULT_LADDERS: FailoverLadders = {
  none: [],
  restart: ['restart-in-place', 'restart-elsewhere', 'reinstall'],
  checkpoint: ['restore-checkpoint-in-place', 'restore-checkpoint-elsewhere', 'reinstall'],
  'live-standby': ['switch-to-standby', 'restore-checkpoint-in-place', 'restore-checkpoint-elsewhere', 'reinstall'],
};

/** Steps that need the VEE's current host; they are skipped while it is down. */
export function needsHost(step: RecoveryStep): boolean {
  return step === 'restart-in-place' || step === 'restore-checkpoint-in-place';
}

/** The first step at or after `from` that can run with the host up or down; `undefined` when none is left. */
export function usableStep(ladder: readonly RecoveryStep[], from: number, hostUp: boolean): number | undefined {
  for (let i = from; i < ladder.length; i += 1) if (hostUp || !needsHost(ladder[i])) return i;
  return undefined;
}

/** Recovery actions a VEE that never comes back receives before it is lost (host up, or down throughout). */
export function ladderAttempts(ladder: readonly RecoveryStep[], maxAttemptsPerStep: number, hostUp = true): number {
  return ladder.filter((s) => hostUp || !needsHost(s)).length * maxAttemptsPerStep;
}
