import { type ProtectionLevel } from '../../manifest/service-definition';
import { DEFAULT_FAILOVER_SETTINGS, type FailoverSettings, resolveFailoverSettings } from './failover-settings';
import { type FailoverAction, type FailoverInput, type FailoverState, type FailoverTransition, watchVee } from './failover-state';
import { stepFailover } from './step-failover';

const S = DEFAULT_FAILOVER_SETTINGS;
const T0 = Date.parse('2026-01-01T00:00:00.000Z');
const at = (ms: number): Date => new Date(T0 + ms);
const check = (ms: number, ok: boolean, hostUp?: boolean): FailoverInput => ({ type: 'check', at: at(ms), ok, hostUp, detail: ok ? undefined : 'domain crashed' });
const result = (ms: number, seq: number, ok: boolean, hostId?: string): FailoverInput => ({ type: 'action-result', at: at(ms), seq, ok, hostId, error: ok ? undefined : 'boom' });
const tick = (ms: number): FailoverInput => ({ type: 'tick', at: at(ms) });

interface Run {
  state: FailoverState;
  actions: (FailoverAction & { at: number })[];
  transitions: FailoverTransition[];
  ignored: string[];
}

function feed(inputs: FailoverInput[], s: FailoverSettings = S, start: FailoverState = watchVee('v1', 'h1', 'restart', at(0))): Run {
  const out: Run = { state: start, actions: [], transitions: [], ignored: [] };
  for (const input of inputs) {
    const r = stepFailover(out.state, input, s);
    out.state = r.state;
    out.actions.push(...r.actions.map((a) => ({ ...a, at: input.at.getTime() - T0 })));
    out.transitions.push(...r.transitions);
    if (r.ignored) out.ignored.push(r.ignored);
  }
  return out;
}
const phases = (r: Run): string[] => r.transitions.map((t) => `${t.from}->${t.to}`);
const kinds = (r: Run): string[] => r.actions.map((a) => (a.type === 'declare-lost' ? a.type : a.step));

/**
 * The application in virtual time: a check every second from `from`, every action answered `answerAfter`
 * ms later with `ok(seq)`; checks pass once the VEE is `up` (after a successful action).
 */
function simulate(protection: ProtectionLevel, opts: { until: number; ok: (seq: number) => boolean; hostUp?: boolean; s?: FailoverSettings; answerAfter?: number }): Run {
  const s = opts.s ?? S;
  let run: Run = { state: watchVee('v1', 'h1', protection, at(0)), actions: [], transitions: [], ignored: [] };
  let up = false;
  const answers: { ms: number; seq: number; moves: boolean }[] = [];
  for (let ms = 1000; ms <= opts.until; ms += 100) {
    for (const a of answers.filter((x) => x.ms === ms)) {
      up = opts.ok(a.seq);
      run = merge(run, feed([result(ms, a.seq, up, up && a.moves ? 'h2' : undefined)], s, run.state));
    }
    const input = ms % s.checkIntervalMs === 0 ? check(ms, up, opts.hostUp) : tick(ms);
    const step = feed([input], s, run.state);
    for (const a of step.actions) {
      if (a.type !== 'declare-lost') answers.push({ ms: ms + (opts.answerAfter ?? 500), seq: a.seq, moves: a.step !== 'restart-in-place' && a.step !== 'restore-checkpoint-in-place' });
    }
    run = merge(run, step);
  }
  return run;
}
function merge(a: Run, b: Run): Run {
  return { state: b.state, actions: [...a.actions, ...b.actions], transitions: [...a.transitions, ...b.transitions], ignored: [...a.ignored, ...b.ignored] };
}

describe('stepFailover: detection and hysteresis', () => {
  it('leaves a healthy VEE alone', () => {
    const r = feed([check(1000, true), tick(1500), check(2000, true), check(3000, true)]);
    expect(r).toMatchObject({ actions: [], transitions: [], state: { phase: 'healthy' } });
  });

  it('suspects at the first failed check and restarts in place at the k-th, at once', () => {
    const r = feed([check(1000, false), check(2000, false)]);
    expect(phases(r)).toEqual(['healthy->suspect', 'suspect->recovering']);
    expect(r.actions).toEqual([
      { type: 'restart-in-place', veeId: 'v1', seq: 1, step: 'restart-in-place', attempt: 1, hostId: 'h1', at: 2000, reason: 'restart-in-place attempt 1/2: 2 failed checks: domain crashed' },
    ]);
    expect(r.state).toMatchObject({ phase: 'recovering', outstanding: { seq: 1, step: 'restart-in-place', issuedAt: at(2000) } });
  });

  const suspicion: [string, boolean[], string][] = [
    ['one failed check: suspect', [false], 'suspect'],
    ['cleared only after m good checks', [false, true, true], 'suspect'],
    ['... three in a row clear it', [false, true, true, true], 'healthy'],
    ['failures need not be consecutive', [false, true, true, false], 'recovering'],
    ['a failure restarts the good run', [false, true, true, false, true, true, true], 'recovering'],
  ];
  it.each(suspicion)('%s', (_label, oks, phase) => {
    expect(feed(oks.map((ok, i) => check(1000 * (i + 1), ok))).state.phase).toBe(phase);
  });

  it('ends probation after m good checks, and fails the step on a failed check during it', () => {
    const base = [check(1000, false), check(2000, false), result(2500, 1, true)];
    const good = feed([...base, check(3000, true), check(4000, true), check(5000, true)]);
    expect(phases(good)).toEqual(['healthy->suspect', 'suspect->recovering', 'recovering->probation', 'probation->healthy']);
    const bad = feed([...base, check(3000, true), check(4000, false), tick(4900), tick(5000)]);
    expect(phases(bad).slice(-1)).toEqual(['probation->recovering']);
    expect(bad.actions.map((a) => [a.at, a.type, a.type !== 'declare-lost' && a.attempt])).toEqual([
      [2000, 'restart-in-place', 1],
      [5000, 'restart-in-place', 2],
    ]);
  });
});

describe('stepFailover: ladders, back-off and limits', () => {
  const ladders: [ProtectionLevel, string[]][] = [
    ['restart', ['restart-in-place', 'restart-in-place', 'restart-elsewhere', 'restart-elsewhere', 'reinstall', 'reinstall', 'declare-lost']],
    ['checkpoint', ['restore-checkpoint-in-place', 'restore-checkpoint-in-place', 'restore-checkpoint-elsewhere', 'restore-checkpoint-elsewhere', 'reinstall', 'reinstall', 'declare-lost']],
    ['live-standby', ['switch-to-standby', 'switch-to-standby', 'restore-checkpoint-in-place', 'restore-checkpoint-in-place', 'restore-checkpoint-elsewhere', 'restore-checkpoint-elsewhere', 'reinstall', 'reinstall', 'declare-lost']],
    ['none', ['declare-lost']],
  ];
  it.each(ladders)('%s: climbs its ladder, then is lost with the reason', (level, expected) => {
    const r = simulate(level, { until: 120_000, ok: () => false });
    expect(kinds(r)).toEqual(expected);
    expect(r.state.phase).toBe('lost');
    expect(r.state.reason).toMatch(level === 'none' ? /^protection 'none' has no recovery steps; 2 failed checks/ : /exhausted after \d failed action\(s\); last: reinstall failed: boom$/);
  });

  it('backs off 1, 2, 4, 8, 16 s after successive failures (each answered 0.5 s after it was issued)', () => {
    const r = simulate('restart', { until: 120_000, ok: () => false });
    expect(r.actions.map((a) => a.at)).toEqual([2000, 3500, 6000, 10_500, 19_000, 35_500, 36_000]);
  });

  it('caps the back-off and honours configured limits', () => {
    const s = resolveFailoverSettings({ maxAttemptsPerStep: 3, initialBackoffMs: 2000, maxBackoffMs: 3000, ladders: { restart: ['restart-in-place'] } });
    const r = simulate('restart', { until: 60_000, ok: () => false, s });
    expect(r.actions.map((a) => [a.at, a.type])).toEqual([[2000, 'restart-in-place'], [4500, 'restart-in-place'], [8000, 'restart-in-place'], [8500, 'declare-lost']]);
  });

  it('escalates after a step that works but does not hold, and returns to healthy when one holds', () => {
    const r = simulate('restart', { until: 60_000, ok: (seq) => seq >= 3 });
    expect(kinds(r)).toEqual(['restart-in-place', 'restart-in-place', 'restart-elsewhere']);
    expect(r.state).toMatchObject({ phase: 'healthy', hostId: 'h2' });
  });

  it('a killed restart VEE runs again within 30 s by default, even when the first restart fails', () => {
    const r = simulate('restart', { until: 30_000, ok: (seq) => seq >= 2, answerAfter: 10_000 });
    const back = r.transitions.find((t) => t.to === 'probation');
    expect(back?.at.getTime()).toBeLessThanOrEqual(at(30_000).getTime());
    expect(r.state.phase).toBe('healthy');
  });
});
