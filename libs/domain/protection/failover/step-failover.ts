/**
 * The failover state machine's one transition function: state × (check | action result | tick) × settings →
 * next state, actions, transitions. Pure and total; time comes only from the inputs. The deadline of an
 * outstanding action is checked first at every input, so the outcome barely depends on the tick cadence.
 */
import { type FailoverSettings } from './failover-settings';
import { type FailoverActionResult, type FailoverCheck, type FailoverInput, type FailoverState, type FailoverStep } from './failover-state';
import { act, type Draft, expire, failStep, lose, move } from './recovery-chain';

export function stepFailover(state: FailoverState, input: FailoverInput, settings: FailoverSettings): FailoverStep {
  if (state.phase === 'lost') return { state, actions: [], transitions: [], ignored: `VEE is lost (${state.reason}); watch it again to protect it` };
  if (input.at.getTime() < state.updatedAt.getTime()) {
    return { state, actions: [], transitions: [], ignored: 'older than the last input' };
  }
  let d: Draft = { state: { ...state, updatedAt: input.at }, actions: [], transitions: [] };
  d = expire(d, input.at, settings);
  let ignored: string | undefined;
  switch (input.type) {
    case 'check':
      d = applyCheck(d, input, settings);
      break;
    case 'action-result': {
      const out = d.state.outstanding;
      if (out !== null && out.seq === input.seq) d = applyResult(d, input, settings);
      else ignored = `no outstanding action with seq ${input.seq} (timed out, answered already, or never issued)`;
      break;
    }
    case 'tick':
      break;
    default: {
      const unreachable: never = input;
      throw new Error(`unknown failover input ${JSON.stringify(unreachable)}`);
    }
  }
  d = act(d, input.at, settings);
  return ignored === undefined ? d : { ...d, ignored };
}

function applyCheck(d0: Draft, c: FailoverCheck, s: FailoverSettings): Draft {
  const st = d0.state;
  const counted: FailoverState = {
    ...st,
    hostUp: c.hostUp ?? st.hostUp,
    goodChecks: c.ok ? st.goodChecks + 1 : 0,
    failedChecks: c.ok ? st.failedChecks : st.failedChecks + 1,
  };
  const d: Draft = { ...d0, state: counted };
  const detail = c.detail ? `: ${c.detail}` : '';
  switch (st.phase) {
    case 'healthy':
      return c.ok ? { ...d, state: { ...counted, goodChecks: 0 } } : suspect(d, c.at, detail, s);
    case 'suspect':
      if (c.ok) return counted.goodChecks >= s.healthyAfterGoodChecks ? healthy(d, c.at, `${counted.goodChecks} good checks in a row`) : d;
      return counted.failedChecks >= s.suspectAfterFailedChecks ? confirm(d, c.at, detail, s) : d;
    case 'recovering':
      if (counted.outstanding === null && counted.goodChecks >= s.healthyAfterGoodChecks) {
        return healthy(d, c.at, `${counted.goodChecks} good checks in a row without a further action`);
      }
      return d; // while an action is outstanding, its result decides
    case 'probation':
      if (c.ok) return counted.goodChecks >= s.healthyAfterGoodChecks ? healthy(d, c.at, `${counted.goodChecks} good checks in a row after ${st.lastAction?.step}`) : d;
      return failStep(d, c.at, `${st.lastAction?.step} did not hold: failed check during probation${detail}`, s);
    case 'lost':
      return d;
    default: {
      const unreachable: never = st.phase;
      throw new Error(`unknown failover phase ${String(unreachable)}`);
    }
  }
}

/** A first failed check. A VEE healthy long enough starts over; one that fails soon continues its chain. */
function suspect(d: Draft, at: Date, detail: string, s: FailoverSettings): Draft {
  const since = d.state.healthySince?.getTime() ?? Number.NEGATIVE_INFINITY;
  const forget = at.getTime() - since >= s.forgetAfterHealthyMs;
  const reset: Partial<FailoverState> = forget ? { ladder: [], stepIndex: 0, attempts: 0, failures: 0, chainActions: 0, nextActionNotBefore: null } : {};
  const next = move(d, 'suspect', at, `failed check${detail}`, { ...reset, failedChecks: 1 });
  return next.state.failedChecks >= s.suspectAfterFailedChecks ? confirm(next, at, detail, s) : next;
}

/** k failed checks: start a chain, or fail the step of the chain that brought the VEE back. */
function confirm(d: Draft, at: Date, detail: string, s: FailoverSettings): Draft {
  const st = d.state;
  const why = `${st.failedChecks} failed check${st.failedChecks === 1 ? '' : 's'}${detail}`;
  if (st.chainActions > 0) return failStep(d, at, `${why}; ${st.lastAction?.step} did not hold`, s);
  const ladder = s.ladders[st.protection];
  if (ladder.length === 0) return lose(d, at, `protection '${st.protection}' has no recovery steps; ${why}`);
  return move(d, 'recovering', at, why, { ladder, stepIndex: 0, attempts: 0, failures: 0, nextActionNotBefore: null, failedChecks: 0 });
}

function healthy(d: Draft, at: Date, reason: string): Draft {
  return move(d, 'healthy', at, reason, { goodChecks: 0, failedChecks: 0, healthySince: at, nextActionNotBefore: null });
}

function applyResult(d: Draft, r: FailoverActionResult, s: FailoverSettings): Draft {
  const step = d.state.outstanding?.step;
  if (!r.ok) return failStep(d, r.at, `${step} failed: ${r.error ?? 'no reason given'}`, s);
  const moved = r.hostId !== undefined && r.hostId !== d.state.hostId;
  return move(d, 'probation', r.at, `${step} succeeded${moved ? ` (now on ${r.hostId})` : ''}`, {
    outstanding: null,
    hostId: r.hostId ?? d.state.hostId,
    hostUp: moved ? true : d.state.hostUp,
    goodChecks: 0,
    failedChecks: 0,
  });
}
