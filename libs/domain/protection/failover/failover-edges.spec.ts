import { DEFAULT_FAILOVER_SETTINGS, type FailoverSettings, resolveFailoverSettings } from './failover-settings';
import { type FailoverAction, type FailoverInput, type FailoverState, type FailoverTransition, watchVee } from './failover-state';
import { stepFailover } from './step-failover';

/** Host down, timeouts, stale inputs, chain memory: the table cases around the main path (failover.spec.ts). */
const S = DEFAULT_FAILOVER_SETTINGS;
const T0 = Date.parse('2026-01-01T00:00:00.000Z');
const at = (ms: number): Date => new Date(T0 + ms);
const check = (ms: number, ok: boolean, hostUp?: boolean): FailoverInput => ({ type: 'check', at: at(ms), ok, hostUp });
const result = (ms: number, seq: number, ok: boolean, hostId?: string): FailoverInput => ({ type: 'action-result', at: at(ms), seq, ok, hostId, error: ok ? undefined : 'boom' });
const tick = (ms: number): FailoverInput => ({ type: 'tick', at: at(ms) });

interface Run {
  state: FailoverState;
  actions: FailoverAction[];
  transitions: FailoverTransition[];
  ignored: string[];
}

function feed(inputs: FailoverInput[], s: FailoverSettings = S, start: FailoverState = watchVee('v1', 'h1', 'restart', at(0))): Run {
  const out: Run = { state: start, actions: [], transitions: [], ignored: [] };
  for (const input of inputs) {
    const r = stepFailover(out.state, input, s);
    out.state = r.state;
    out.actions.push(...r.actions);
    out.transitions.push(...r.transitions);
    if (r.ignored) out.ignored.push(r.ignored);
  }
  return out;
}
const summary = (a: FailoverAction): string => (a.type === 'declare-lost' ? 'declare-lost' : `${a.step}#${a.attempt}${'avoidHost' in a && a.avoidHost ? ` avoid ${a.avoidHost}` : ''}`);
const failing = [check(1000, false), check(2000, false)];
const hostDown = [check(1000, false, false), check(2000, false, false)];

describe('stepFailover: host down', () => {
  const table: [string, 'restart' | 'checkpoint' | 'live-standby', string][] = [
    ['restart: skips restart-in-place', 'restart', 'restart-elsewhere#1 avoid h1'],
    ['checkpoint: restores elsewhere', 'checkpoint', 'restore-checkpoint-elsewhere#1 avoid h1'],
    ['live-standby: switches to the standby (it needs no host)', 'live-standby', 'switch-to-standby#1'],
  ];
  it.each(table)('%s', (_label, level, first) => {
    const r = feed(hostDown, S, watchVee('v1', 'h1', level, at(0)));
    expect(r.actions.map(summary)).toEqual([first]);
  });

  it('says what it skipped and why', () => {
    const [action] = feed(hostDown).actions;
    expect(action.reason).toBe('restart-elsewhere attempt 1/2 (skipped restart-in-place: host h1 is down): 2 failed checks');
  });

  it('moves on when the host goes down between attempts, and reinstalls away from a down host', () => {
    const s = resolveFailoverSettings({ ladders: { restart: ['restart-in-place', 'reinstall'] } });
    const r = feed([...failing, result(2500, 1, false), check(3000, false, false), tick(3500)], s);
    expect(r.actions.map(summary)).toEqual(['restart-in-place#1', 'reinstall#1 avoid h1']);
  });

  it('is lost when only steps that need the down host remain', () => {
    const s = resolveFailoverSettings({ ladders: { restart: ['restart-in-place'] } });
    const r = feed(hostDown, s);
    expect(r.state).toMatchObject({ phase: 'lost', reason: 'host h1 is down and no remaining step (restart-in-place) moves the VEE; 2 failed checks' });
    expect(r.actions).toEqual([{ type: 'declare-lost', veeId: 'v1', reason: r.state.reason }]);
  });

  it('follows a move: the VEE now runs on the host the result names, which is up', () => {
    const r = feed([...hostDown, result(2500, 1, true, 'h7')]);
    expect(r.state).toMatchObject({ phase: 'probation', hostId: 'h7', hostUp: true, reason: 'restart-elsewhere succeeded (now on h7)' });
  });
});

describe('stepFailover: timeouts and stale inputs', () => {
  it('fails an unanswered action at its deadline and ignores its late result', () => {
    const r = feed([...failing, tick(121_999), tick(122_000), tick(122_999), tick(123_000), result(123_100, 1, true)]);
    expect(r.actions[1].reason).toBe('restart-in-place attempt 2/2: restart-in-place (seq 1) got no result within 120.0 s');
    expect(r.actions.map(summary)).toEqual(['restart-in-place#1', 'restart-in-place#2']);
    expect(r.ignored).toEqual(['no outstanding action with seq 1 (timed out, answered already, or never issued)']);
    expect(r.state.outstanding).toMatchObject({ seq: 2, issuedAt: at(123_000) });
  });

  it('times out at the deadline even when the next input comes much later', () => {
    const r = feed([...failing, check(200_000, false)]);
    expect(r.actions.map(summary)).toEqual(['restart-in-place#1', 'restart-in-place#2']);
  });

  it('ignores results for another seq, older inputs, and anything once lost', () => {
    const r = feed([...failing, result(2500, 7, true), check(1500, true)]);
    expect(r.ignored).toEqual(['no outstanding action with seq 7 (timed out, answered already, or never issued)', 'older than the last input']);
    expect(r.state.phase).toBe('recovering');
    const lost = feed(failing, S, watchVee('v1', 'h1', 'none', at(0))).state;
    expect(stepFailover(lost, check(3000, true), S)).toEqual({ state: lost, actions: [], transitions: [], ignored: expect.stringMatching(/^VEE is lost/) });
  });

  it('holds the next action while the VEE passes checks, and calls it healthy after m of them', () => {
    const base = [...failing, result(2500, 1, false), check(3000, true), tick(3500), tick(4000)];
    expect(feed(base).actions).toHaveLength(1);
    const r = feed([...base, check(4000, true), check(5000, true)]);
    expect(r.transitions.at(-1)).toMatchObject({ from: 'recovering', to: 'healthy', reason: '3 good checks in a row without a further action' });
    expect(r.actions).toHaveLength(1);
  });
});

describe('stepFailover: chain memory (flapping)', () => {
  const healed = [...failing, result(2500, 1, true), check(3000, true), check(4000, true), check(5000, true)];

  it('continues the chain when the VEE fails again soon: the step did not hold, so retry after the back-off', () => {
    const r = feed([...healed, check(60_000, false), check(61_000, false), tick(61_999), tick(62_000)]);
    expect(r.transitions.at(-1)).toMatchObject({ from: 'suspect', to: 'recovering', reason: '2 failed checks; restart-in-place did not hold' });
    expect(r.actions.map(summary)).toEqual(['restart-in-place#1', 'restart-in-place#2']);
    expect(r.state.outstanding?.issuedAt).toEqual(at(62_000));
  });

  it('starts afresh after forgetAfterHealthyMs of health: first step, at once', () => {
    const later = 5000 + S.forgetAfterHealthyMs;
    const r = feed([...healed, check(later, false), check(later + 1000, false)]);
    expect(r.actions.map(summary)).toEqual(['restart-in-place#1', 'restart-in-place#1']);
    expect(r.state).toMatchObject({ chainActions: 1, failures: 0, seq: 2 });
  });

  it('never mutates its input', () => {
    const s0 = feed(failing).state;
    const copy = structuredClone(s0);
    stepFailover(s0, result(2500, 1, false), S);
    stepFailover(s0, tick(500_000), S);
    expect(s0).toEqual(copy);
  });
});
