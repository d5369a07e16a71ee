/**
 * A service's lifecycle phase (ARCHITECTURE.md, "Lifecycles"). One pure transition function decides every move;
 * adapters persist the result and log it in the service's phase history.
 */
export type ServicePhase =
  | 'accepted'
  | 'placing'
  | 'deploying'
  | 'running'
  | 'degraded'
  | 'evacuating'
  | 'failing-over'
  | 'failed'
  | 'deleting'
  | 'deleted';

export type ServiceEvent =
  | { type: 'submitted' }
  | { type: 'placement-started' }
  | { type: 'deploy-started' }
  | { type: 'all-running' }
  /** A tier update rolls through the service's VEEs (the reconcile loop leaves them alone meanwhile). */
  | { type: 'update-started'; reason: string }
  | { type: 'member-failed'; reason: string }
  | { type: 'evacuation-started' }
  | { type: 'failover-started' }
  | { type: 'gave-up'; reason: string }
  | { type: 'delete-requested' }
  | { type: 'torn-down' };

export interface PhaseTransition {
  next: ServicePhase;
  reason: string;
}

/** Phases from which the service never moves again. */
export function isFinalPhase(phase: ServicePhase): boolean {
  return phase === 'deleted';
}

const ACTIVE: readonly ServicePhase[] = ['running', 'degraded', 'evacuating', 'failing-over'];

/**
 * Returns the next phase for `event` in `phase`, or `undefined` when the event does not apply there
 * (the caller reports it as a conflict; nothing changes).
 */
export function transitionService(phase: ServicePhase | undefined, event: ServiceEvent): PhaseTransition | undefined {
  switch (event.type) {
    case 'submitted':
      return phase === undefined ? { next: 'accepted', reason: 'manifest accepted' } : undefined;
    case 'placement-started':
      return phase === 'accepted' || phase === 'failed' ? { next: 'placing', reason: 'placement started' } : undefined;
    case 'deploy-started':
      return phase === 'placing' ? { next: 'deploying', reason: 'placement found' } : undefined;
    case 'all-running':
      return phase === 'deploying' || (phase !== undefined && ACTIVE.includes(phase))
        ? { next: 'running', reason: 'every VEE running' }
        : undefined;
    case 'update-started':
      return phase === 'running' || phase === 'degraded' ? { next: 'deploying', reason: event.reason } : undefined;
    case 'member-failed':
      return phase === 'running' ? { next: 'degraded', reason: event.reason } : undefined;
    case 'evacuation-started':
      return phase === 'running' || phase === 'degraded' ? { next: 'evacuating', reason: 'evacuation started' } : undefined;
    case 'failover-started':
      return phase !== undefined && ACTIVE.includes(phase) ? { next: 'failing-over', reason: 'failover started' } : undefined;
    case 'gave-up':
      return phase !== undefined && !isFinalPhase(phase) && phase !== 'deleting' ? { next: 'failed', reason: event.reason } : undefined;
    case 'delete-requested':
      return phase !== undefined && !isFinalPhase(phase) && phase !== 'deleting' ? { next: 'deleting', reason: 'delete requested' } : undefined;
    case 'torn-down':
      return phase === 'deleting' ? { next: 'deleted', reason: 'every VEE removed' } : undefined;
    default: {
      const unreachable: never = event;
      return unreachable;
    }
  }
}
