import fc from 'fast-check';
import { PROTECTION_LEVELS, type ProtectionLevel } from '../../manifest/service-definition';
import { type FailoverSettings, maxActionsInWindow, resolveFailoverSettings } from './failover-settings';
import { type FailoverInput, type FailoverPhase, type FailoverStep, watchVee } from './failover-state';
import { ladderAttempts, needsHost, RECOVERY_STEPS } from './recovery-ladder';
import { stepFailover } from './step-failover';

/**
 * Virtual-time runs of the failover machine against a simulated application: checks (failing, flapping,
 * host up/down) drawn by fast-check, periodic ticks, and a result for each action after a drawn delay (ok,
 * failed, or never). No timers: the event queue is the clock.
 */
const T0 = Date.parse('2026-01-01T00:00:00.000Z');
const runs = { numRuns: 300 };

type Answer = { delayMs: number; outcome: 'ok' | 'fail' | 'drop' };
/** The chaos (checks at cumulative gaps, actions answered in turn by `answers`), then `calmMs` of good checks on an up host, every action answered ok. */
type Scenario = { s: FailoverSettings; protection: ProtectionLevel; checks: Check[]; answers: Answer[]; tickMs: number; calmMs: number };
type Check = { gapMs: number; ok: boolean; hostUp?: boolean };
type Queued = { ms: number; input: FailoverInput };
type Trace = { steps: { ms: number; input: FailoverInput; out: FailoverStep; before: FailoverPhase }[]; final: FailoverStep['state'] };

function run(sc: Scenario): Trace {
  const at = (ms: number) => new Date(T0 + ms);
  const timeline: Queued[] = [];
  let t = 0;
  for (const c of sc.checks) timeline.push({ ms: (t += c.gapMs), input: { type: 'check', at: at(t), ok: c.ok, hostUp: c.hostUp, detail: c.ok ? undefined : 'down' } });
  const calmFrom = t;
  const end = calmFrom + sc.calmMs;
  for (let ms = calmFrom + sc.s.checkIntervalMs; ms <= end; ms += sc.s.checkIntervalMs) timeline.push({ ms, input: { type: 'check', at: at(ms), ok: true, hostUp: true } });
  for (let ms = sc.tickMs; ms <= end; ms += sc.tickMs) timeline.push({ ms, input: { type: 'tick', at: at(ms) } });
  timeline.sort((a, b) => a.ms - b.ms); // stable: checks before ticks at the same time
  const results: Queued[] = []; // kept sorted; a result due at the same time as a check comes first
  let state = watchVee('v', 'h0', sc.protection, at(0));
  let issued = 0;
  let next = 0;
  const steps: Trace['steps'] = [];
  while (next < timeline.length || results.length > 0) {
    const fromResults = results.length > 0 && (next >= timeline.length || results[0].ms <= timeline[next].ms);
    const { ms, input } = fromResults ? (results.shift() as Queued) : timeline[next++];
    const out = stepFailover(state, input, sc.s);
    steps.push({ ms, input, out, before: state.phase });
    state = out.state;
    for (const a of out.actions) {
      if (a.type === 'declare-lost') continue;
      const answer: Answer = ms >= calmFrom ? { delayMs: 200, outcome: 'ok' } : (sc.answers[issued % Math.max(1, sc.answers.length)] ?? { delayMs: 0, outcome: 'drop' });
      issued += 1;
      if (answer.outcome === 'drop') continue;
      const when = ms + answer.delayMs;
      const ok = answer.outcome === 'ok';
      results.push({ ms: when, input: { type: 'action-result', at: at(when), seq: a.seq, ok, hostId: ok ? `h${a.seq}` : undefined, error: ok ? undefined : 'failed' } });
      results.sort((x, y) => x.ms - y.ms);
    }
  }
  return { steps, final: state };
}

const count = (max: number) => fc.integer({ min: 1, max });
const settingsArb: fc.Arbitrary<FailoverSettings> = fc
  .record({
    checkIntervalMs: fc.constantFrom(500, 1000, 2000),
    suspectAfterFailedChecks: count(4),
    healthyAfterGoodChecks: count(4),
    maxAttemptsPerStep: count(3),
    initialBackoffMs: fc.constantFrom(200, 1000, 3000),
    backoffFactor: count(30),
    backoffMultiplier: fc.constantFrom(1, 1.5, 2),
    actionTimeoutMs: fc.constantFrom(2000, 10_000, 30_000),
    forgetAfterHealthyMs: fc.constantFrom(5000, 60_000, 600_000),
    ladder: fc.shuffledSubarray([...RECOVERY_STEPS], { minLength: 1, maxLength: 4 }), // the `restart` ladder
  })
  .map(({ backoffFactor, ladder, ...s }) => resolveFailoverSettings({ ...s, maxBackoffMs: s.initialBackoffMs * backoffFactor, ladders: { restart: ladder } }));

/** Runs of failing, passing and flapping checks (a flapping host alternates), on time, jittered or in bursts. */
const checksArb = (s: FailoverSettings, oks: fc.Arbitrary<'up' | 'down' | 'flap'> = fc.constantFrom('up', 'down', 'flap')) =>
  fc
    .array(
      fc.record({
        kind: oks,
        count: count(12),
        gapMs: fc.oneof(fc.constant(s.checkIntervalMs), fc.integer({ min: 0, max: 50 }), fc.integer({ min: 100, max: s.checkIntervalMs * 3 })),
        hostUp: fc.option(fc.boolean(), { nil: undefined }),
      }),
      { maxLength: 25, size: 'large' },
    )
    .map((runs) =>
      runs.flatMap(({ kind, count, gapMs, hostUp }) =>
        Array.from({ length: count }, (_, i): Check => {
          const ok = kind === 'up' || (kind === 'flap' && i % 2 === 1);
          return { gapMs, ok, hostUp: kind === 'flap' ? ok : hostUp };
        }),
      ),
    );
const answersArb = (maxDelayMs: number, ...outcomes: Answer['outcome'][]) =>
  fc.array(fc.record({ delayMs: fc.integer({ min: 0, max: maxDelayMs }), outcome: fc.constantFrom(...outcomes) }), { maxLength: 10 });

const scenarioArb: fc.Arbitrary<Scenario> = settingsArb.chain((s) =>
  fc.record({
    s: fc.constant(s),
    protection: fc.constantFrom(...PROTECTION_LEVELS),
    checks: checksArb(s),
    answers: answersArb(40_000, 'ok', 'ok', 'fail', 'drop'),
    tickMs: fc.constantFrom(100, 250, 1000, 5000),
    calmMs: fc.constant(s.actionTimeoutMs + 40_000 + s.maxBackoffMs + (s.healthyAfterGoodChecks + 3) * s.checkIntervalMs),
  }),
);

const recoveryTimes = (trace: Trace): number[] => trace.steps.flatMap((st) => st.out.actions.filter((a) => a.type !== 'declare-lost').map(() => st.ms));

describe('failover (properties, virtual time)', () => {
  it('no action storms: recovery actions in any window stay within the bound the settings give', () => {
    fc.assert(
      fc.property(scenarioArb, (sc) => {
        const times = recoveryTimes(run(sc));
        for (const windowMs of [0, sc.s.initialBackoffMs, 10_000, 60_000, 2 * sc.s.forgetAfterHealthyMs]) {
          const bound = maxActionsInWindow(sc.s, sc.protection, windowMs);
          const worst = Math.max(0, ...times.map((from, i) => times.slice(i).filter((x) => x <= from + windowMs).length));
          expect(worst).toBeLessThanOrEqual(bound);
        }
      }),
      runs,
    );
  });

  it('once failures stop, every run ends healthy or lost with a reason; one action outstanding at most; transitions chain', () => {
    fc.assert(
      fc.property(scenarioArb, (sc) => {
        const trace = run(sc);
        const problems: string[] = []; // collected, not expect()ed per step: runs have thousands of steps
        let pending: { seq: number; issuedAt: number } | null = null;
        let lost = 0;
        for (const { ms, input, out, before } of trace.steps) {
          let phase = before;
          for (const tr of out.transitions) {
            if (tr.from !== phase) problems.push(`${ms}: transition from ${tr.from} while ${phase}`);
            phase = tr.to;
          }
          if (out.state.phase !== phase) problems.push(`${ms}: state ${out.state.phase} after transitions to ${phase}`);
          if (input.type === 'action-result' && out.ignored === undefined && input.seq === pending?.seq) pending = null;
          for (const a of out.actions) {
            if (a.type === 'declare-lost') {
              lost += 1;
              if (a.reason === '') problems.push(`${ms}: lost without a reason`);
              continue;
            }
            if (pending !== null && ms < pending.issuedAt + sc.s.actionTimeoutMs) problems.push(`${ms}: seq ${a.seq} while ${pending.seq} is outstanding`);
            pending = { seq: a.seq, issuedAt: ms };
          }
        }
        expect(problems).toEqual([]);
        expect(['healthy', 'lost']).toContain(trace.final.phase);
        expect(lost).toBe(trace.final.phase === 'lost' ? 1 : 0);
      }),
      runs,
    );
  });

  it('a steady healthy VEE never gets an action, whatever the cadence, host reports or stray results', () => {
    const steady = settingsArb.chain((s) =>
      fc.record({ s: fc.constant(s), protection: fc.constantFrom(...PROTECTION_LEVELS), checks: checksArb(s, fc.constant('up')) }),
    );
    fc.assert(
      fc.property(steady, fc.constantFrom(100, 1000, 7000), fc.array(fc.nat(5), { maxLength: 5 }), (sc, tickMs, strays) => {
        const trace = run({ ...sc, answers: [], tickMs, calmMs: 0 });
        let state = trace.final;
        for (const seq of strays) state = stepFailover(state, { type: 'action-result', at: state.updatedAt, seq, ok: false }, sc.s).state;
        expect(trace.steps.flatMap((st) => [...st.out.actions, ...st.out.transitions])).toEqual([]);
        expect(state).toMatchObject({ phase: 'healthy', seq: 0 });
      }),
      runs,
    );
  });

  it('a VEE that never comes back is lost after exactly its ladder’s attempts (fewer steps while its host is down)', () => {
    const failing = settingsArb.chain((s) =>
      fc.record({ s: fc.constant(s), protection: fc.constantFrom(...PROTECTION_LEVELS), hostUp: fc.boolean(), answers: answersArb(5000, 'fail', 'drop'), tickMs: fc.constantFrom(100, 1000) }),
    );
    fc.assert(
      fc.property(failing, ({ s, protection, hostUp, answers, tickMs }) => {
        const ladder = s.ladders[protection];
        const attempts = ladderAttempts(ladder, s.maxAttemptsPerStep, hostUp);
        const perAction = s.actionTimeoutMs + s.maxBackoffMs + 2 * s.checkIntervalMs;
        const n = Math.ceil(((attempts + 1) * perAction) / s.checkIntervalMs) + s.suspectAfterFailedChecks;
        const checks = Array.from({ length: n }, () => ({ gapMs: s.checkIntervalMs, ok: false, hostUp }));
        const trace = run({ s, protection, checks, answers, tickMs, calmMs: 0 });
        const steps = trace.steps.flatMap((st) => st.out.actions.flatMap((a) => (a.type === 'declare-lost' ? [] : [a.step])));
        expect(steps).toHaveLength(attempts);
        expect(steps).toEqual(ladder.filter((x) => hostUp || !needsHost(x)).flatMap((x) => Array<string>(s.maxAttemptsPerStep).fill(x)));
        expect(trace.steps.flatMap((st) => st.out.actions).at(-1)).toMatchObject({ type: 'declare-lost', reason: expect.stringMatching(/.+/) });
        expect(trace.final.phase).toBe('lost');
      }),
      runs,
    );
  });
});
