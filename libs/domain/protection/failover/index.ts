// Public API of failover: the per-VEE failover state machine with hysteresis and a data-driven escalation
// ladder per protection level (3RC-style). Pure, in virtual time; see README.md.
export {
  backoffMs,
  DEFAULT_FAILOVER_SETTINGS,
  maxActionsInWindow,
  resolveFailoverSettings,
  type FailoverSettings,
  type FailoverSettingsInput,
} from './failover-settings';
export {
  isFinalFailoverPhase,
  watchVee,
  type DeclareLost,
  type FailoverAction,
  type FailoverActionResult,
  type FailoverCheck,
  type FailoverInput,
  type FailoverPhase,
  type FailoverState,
  type FailoverStep,
  type FailoverTick,
  type FailoverTransition,
  type OutstandingAction,
  type RecoveryAction,
} from './failover-state';
export { DEFAULT_LADDERS, ladderAttempts, needsHost, RECOVERY_STEPS, type FailoverLadders, type RecoveryStep } from './recovery-ladder';
export { stepFailover } from './step-failover';
