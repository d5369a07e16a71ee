/**
 * The recovery chain: issuing the next action of the ladder, failing a step (retry, escalate or lose), timing
 * out an unanswered action. Internal to `stepFailover`; every function returns a new draft.
 */
import { backoffMs, type FailoverSettings } from './failover-settings';
import { type FailoverAction, type FailoverPhase, type FailoverState, type FailoverTransition, type RecoveryAction } from './failover-state';
import { type RecoveryStep, usableStep } from './recovery-ladder';

export interface Draft {
  state: FailoverState;
  actions: FailoverAction[];
  transitions: FailoverTransition[];
}

/** The draft with `patch` applied, moved to `to` (a transition when the phase changes; `reason` either way). */
export function move(d: Draft, to: FailoverPhase, at: Date, reason: string, patch: Partial<FailoverState> = {}): Draft {
  const from = d.state.phase;
  if (from === to) return { ...d, state: { ...d.state, ...patch, reason } };
  const transition: FailoverTransition = { veeId: d.state.veeId, from, to, at, reason };
  return { ...d, state: { ...d.state, ...patch, phase: to, changedAt: at, reason }, transitions: [...d.transitions, transition] };
}

/** Final: no more actions; the application records the VEE lost with `reason`. */
export function lose(d: Draft, at: Date, reason: string): Draft {
  const lost = move(d, 'lost', at, reason, { outstanding: null, nextActionNotBefore: null });
  return { ...lost, actions: [...lost.actions, { type: 'declare-lost', veeId: d.state.veeId, reason }] };
}

/**
 * The current attempt failed at `at`: retry the step after the back-off, or escalate to the next step once it
 * had `maxAttemptsPerStep` attempts, or lose the VEE when the ladder is exhausted.
 */
export function failStep(d: Draft, at: Date, why: string, s: FailoverSettings): Draft {
  const st = d.state;
  const failures = st.failures + 1;
  const escalate = st.attempts >= s.maxAttemptsPerStep;
  const stepIndex = escalate ? st.stepIndex + 1 : st.stepIndex;
  if (stepIndex >= st.ladder.length) {
    return lose(d, at, `ladder ${st.ladder.join(' → ')} exhausted after ${st.chainActions} failed action(s); last: ${why}`);
  }
  return move(d, 'recovering', at, why, {
    failures,
    stepIndex,
    attempts: escalate ? 0 : st.attempts,
    failedChecks: 0,
    outstanding: null,
    nextActionNotBefore: new Date(at.getTime() + backoffMs(s, failures)),
  });
}

/** Fails the outstanding action if its deadline has passed (at the deadline, whatever the tick cadence). */
export function expire(d: Draft, at: Date, s: FailoverSettings): Draft {
  const out = d.state.outstanding;
  if (d.state.phase !== 'recovering' || out === null) return d;
  const deadline = out.issuedAt.getTime() + s.actionTimeoutMs;
  if (at.getTime() < deadline) return d;
  return failStep(d, new Date(deadline), `${out.step} (seq ${out.seq}) got no result within ${seconds(s.actionTimeoutMs)}`, s);
}

/**
 * Issues the next action when recovering, none is outstanding, the back-off is over and the last check did
 * not pass (a VEE that came back by itself is left alone). Steps that need a down host are skipped.
 */
export function act(d: Draft, at: Date, s: FailoverSettings): Draft {
  const st = d.state;
  if (st.phase !== 'recovering' || st.outstanding !== null || st.goodChecks > 0) return d;
  if (st.nextActionNotBefore !== null && at.getTime() < st.nextActionNotBefore.getTime()) return d;
  const index = usableStep(st.ladder, st.stepIndex, st.hostUp);
  if (index === undefined) {
    const rest = st.ladder.slice(st.stepIndex);
    return lose(d, at, rest.length === 0
      ? `protection '${st.protection}' has no recovery steps; ${st.reason}`
      : `host ${st.hostId} is down and no remaining step (${rest.join(', ')}) moves the VEE; ${st.reason}`);
  }
  const step = st.ladder[index];
  const skipped = st.ladder.slice(st.stepIndex, index);
  const attempt = index === st.stepIndex ? st.attempts + 1 : 1;
  const note = skipped.length > 0 ? ` (skipped ${skipped.join(', ')}: host ${st.hostId} is down)` : '';
  const reason = `${step} attempt ${attempt}/${s.maxAttemptsPerStep}${note}: ${st.reason}`;
  const action = recoveryAction(step, { veeId: st.veeId, seq: st.seq + 1, step, attempt, hostId: st.hostId, reason }, st.hostUp);
  const next: FailoverState = {
    ...st,
    stepIndex: index,
    attempts: attempt,
    seq: action.seq,
    chainActions: st.chainActions + 1,
    outstanding: { seq: action.seq, step, issuedAt: at },
    lastAction: action,
    nextActionNotBefore: null,
  };
  return { ...d, state: next, actions: [...d.actions, action] };
}

type Base = Omit<RecoveryAction, 'type' | 'where' | 'avoidHost'>;

function recoveryAction(step: RecoveryStep, base: Base, hostUp: boolean): RecoveryAction {
  switch (step) {
    case 'restart-in-place':
      return { ...base, type: 'restart-in-place' };
    case 'restart-elsewhere':
      return { ...base, type: 'restart-elsewhere', avoidHost: base.hostId };
    case 'restore-checkpoint-in-place':
      return { ...base, type: 'restore-checkpoint', where: 'in-place' };
    case 'restore-checkpoint-elsewhere':
      return { ...base, type: 'restore-checkpoint', where: 'elsewhere', avoidHost: base.hostId };
    case 'switch-to-standby':
      return { ...base, type: 'switch-to-standby' };
    case 'reinstall':
      return hostUp ? { ...base, type: 'reinstall' } : { ...base, type: 'reinstall', avoidHost: base.hostId };
    default: {
      const unreachable: never = step;
      throw new Error(`unknown recovery step ${String(unreachable)}`);
    }
  }
}

export function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}
