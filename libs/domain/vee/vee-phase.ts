/**
 * A VEE's lifecycle phase (ARCHITECTURE.md, "Lifecycles"): defined → starting → running → (paused |
 * checkpointing | migrating) → running; failed → recovering → running | lost; running → recovering (rolled back
 * to a group cut with a member it depends on) → running; deleted. One pure transition
 * function decides every move; use cases persist the result with a history row (who, what, when, why).
 */
export type VeePhase =
  | 'defined'
  | 'starting'
  | 'running'
  | 'paused'
  | 'checkpointing'
  | 'migrating'
  | 'failed'
  | 'recovering'
  | 'lost'
  | 'standby'
  | 'deleted';

/** What happened to a VEE. Reasons travel into the history row. */
export type VeeEvent =
  | { type: 'defined' }
  | { type: 'start-requested' }
  | { type: 'started'; reason?: string }
  /** A standby copy booted and was paused, ready to take over (role `standby`, never phase `running`). */
  | { type: 'standby-ready'; reason?: string }
  | { type: 'paused' }
  | { type: 'resumed' }
  | { type: 'checkpoint-started' }
  | { type: 'checkpoint-done' }
  | { type: 'migration-started' }
  | { type: 'migration-done' }
  | { type: 'crashed'; reason: string }
  | { type: 'recovery-started'; reason: string }
  /**
   * A running member of a checkpoint group is rolled back to a cut with the member that failed (it depends on it):
   * it goes through recovering like the failed one, and back to running with `started` once restored.
   */
  | { type: 'rollback-started'; reason: string }
  | { type: 'recovery-failed'; reason: string }
  | { type: 'gave-up'; reason: string }
  | { type: 'removed'; reason: string };

export interface VeeTransition {
  next: VeePhase;
  reason: string;
}

/** Phases from which the VEE never moves again. */
export function isFinalVeePhase(phase: VeePhase): boolean {
  return phase === 'deleted';
}

/** Phases in which the VEE holds (or should hold) a domain on its host: everything but lost and deleted. */
export function holdsDomain(phase: VeePhase): boolean {
  return phase !== 'lost' && phase !== 'deleted';
}

/** Returns the next phase for `event` in `phase`, or `undefined` when the event does not apply there. */
export function transitionVee(phase: VeePhase | undefined, event: VeeEvent): VeeTransition | undefined {
  const when = (from: readonly (VeePhase | undefined)[], next: VeePhase, reason: string): VeeTransition | undefined =>
    from.includes(phase) ? { next, reason } : undefined;
  switch (event.type) {
    case 'defined':
      return when([undefined], 'defined', 'domain defined');
    case 'start-requested':
      return when(['defined'], 'starting', 'start requested');
    case 'started':
      return when(['starting', 'recovering', 'failed'], 'running', event.reason ?? 'domain running');
    case 'standby-ready':
      return when(['starting'], 'standby', event.reason ?? 'standby ready (booted, paused)');
    case 'paused':
      return when(['running'], 'paused', 'paused');
    case 'resumed':
      return when(['paused'], 'running', 'resumed');
    case 'checkpoint-started':
      return when(['running'], 'checkpointing', 'checkpoint started');
    case 'checkpoint-done':
      return when(['checkpointing'], 'running', 'checkpoint done');
    case 'migration-started':
      return when(['running'], 'migrating', 'migration started');
    case 'migration-done':
      return when(['migrating'], 'running', 'migration done');
    case 'crashed':
      return when(['starting', 'running', 'paused', 'checkpointing', 'migrating'], 'failed', event.reason);
    case 'recovery-started':
      return when(['failed'], 'recovering', event.reason);
    case 'rollback-started':
      return when(['running'], 'recovering', event.reason);
    case 'recovery-failed':
      return when(['recovering'], 'failed', event.reason);
    case 'gave-up':
      return when(['failed', 'recovering'], 'lost', event.reason);
    case 'removed':
      return phase !== undefined && !isFinalVeePhase(phase) ? { next: 'deleted', reason: event.reason } : undefined;
    default: {
      const unreachable: never = event;
      return unreachable;
    }
  }
}
