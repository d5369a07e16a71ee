import fc from 'fast-check';
import { type LivenessSettings, resolveLivenessSettings, suspectAfterMs } from './liveness-settings';
import { observeHeartbeat } from './observe-heartbeat';
import { tick, watchPeer, type LivenessTransition, type PeerLiveness, type SiteLiveness } from './peer-liveness';

/**
 * Virtual-time runs of the detector: a peer's beats (with gaps, bursts, duplicates and restarts drawn by
 * fast-check) interleaved with periodic checks. No timers: the fake clock is the event list.
 */
const T0 = Date.parse('2025-01-01T00:00:00.000Z');
const runs = { numRuns: 300 };

type Event = { kind: 'tick'; ms: number } | { kind: 'beat'; ms: number; seq: number; incarnation: string };

interface Trace {
  /** After each event: the event, the state after it, transitions, and the accepted-beat bookkeeping. */
  steps: { event: Event; state: SiteLiveness; transitions: LivenessTransition[]; accepted: boolean; silenceMs: number }[];
}

function run(events: Event[], settings: LivenessSettings): Trace {
  let peer: PeerLiveness = watchPeer('b', new Date(T0));
  let last = T0;
  const steps: Trace['steps'] = [];
  for (const event of events) {
    const now = new Date(T0 + event.ms);
    if (event.kind === 'tick') {
      const r = tick(peer, now, settings);
      peer = r.peer;
      steps.push({ event, state: peer.state, transitions: r.transitions, accepted: false, silenceMs: now.getTime() - last });
    } else {
      const r = observeHeartbeat(peer, { at: now, seq: event.seq, incarnation: event.incarnation }, settings);
      peer = r.peer;
      if (r.accepted) last = now.getTime();
      steps.push({ event, state: peer.state, transitions: r.transitions, accepted: r.accepted, silenceMs: now.getTime() - last });
    }
  }
  return { steps };
}

/** Beats at the given gaps (seq by kind), checks every `checkMs` until `tailMs` after the last beat; ticks first on ties. */
function timeline(gaps: { gapMs: number; kind: 'next' | 'dup' | 'restart' }[], checkMs: number, tailMs: number): Event[] {
  const beats: Event[] = [];
  let t = 0;
  let seq = 0;
  let inc = 1;
  for (const g of gaps) {
    t += g.gapMs;
    if (g.kind === 'restart') {
      inc += 1;
      seq = 1;
    } else if (g.kind === 'next' || seq === 0) seq += 1;
    beats.push({ kind: 'beat', ms: t, seq: g.kind === 'dup' ? Math.max(1, seq - 1) : seq, incarnation: `i${inc}` });
  }
  const ticks: Event[] = [];
  for (let m = checkMs; m <= t + tailMs; m += checkMs) ticks.push({ kind: 'tick', ms: m });
  return [...ticks, ...beats].sort((a, b) => a.ms - b.ms || (a.kind === 'tick' ? -1 : 1));
}

const settingsArb: fc.Arbitrary<LivenessSettings> = fc
  .record({
    heartbeatIntervalMs: fc.constantFrom(200, 500, 1000),
    suspectAfterMissed: fc.integer({ min: 1, max: 5 }),
    aliveAfterGoodBeats: fc.integer({ min: 1, max: 5 }),
    deadExtra: fc.integer({ min: 1, max: 8 }),
  })
  .map(({ deadExtra, ...s }) => resolveLivenessSettings({ ...s, deadAfterMs: s.heartbeatIntervalMs * (s.suspectAfterMissed + deadExtra) }));

/** Flapping link: on-time beats, jittered beats, bursts, long outages, duplicates and restarts. */
const flappingGaps = (s: LivenessSettings) =>
  fc.array(
    fc.record({
      gapMs: fc.oneof(
        fc.integer({ min: 0, max: 5 }),
        fc.integer({ min: s.heartbeatIntervalMs / 2, max: s.heartbeatIntervalMs * 2 }),
        fc.integer({ min: s.heartbeatIntervalMs, max: s.deadAfterMs * 2 }),
      ),
      kind: fc.constantFrom<'next' | 'dup' | 'restart'>('next', 'next', 'next', 'next', 'dup', 'restart'),
    }),
    { maxLength: 60 },
  );

const flapping = settingsArb.chain((s) =>
  fc.record({ s: fc.constant(s), gaps: flappingGaps(s), checkMs: fc.integer({ min: 50, max: s.heartbeatIntervalMs }) }),
);

describe('liveness (properties, virtual time)', () => {
  it('under a flapping link, every return to alive follows m accepted beats since the peer left alive', () => {
    fc.assert(
      fc.property(flapping, ({ s, gaps, checkMs }) => {
        const trace = run(timeline(gaps, checkMs, s.deadAfterMs), s);
        let sinceLeft = 0;
        let entries = 0;
        let accepted = 0;
        for (const step of trace.steps) {
          for (const t of step.transitions.filter((x) => x.to !== 'alive')) if (t.from === 'alive') sinceLeft = 0;
          if (step.accepted) {
            sinceLeft += 1;
            accepted += 1;
          }
          if (step.transitions.some((x) => x.to === 'alive')) {
            expect(sinceLeft).toBeGreaterThanOrEqual(s.aliveAfterGoodBeats);
            entries += 1;
            sinceLeft = 0;
          }
        }
        expect(entries).toBeLessThanOrEqual(Math.floor(accepted / s.aliveAfterGoodBeats));
      }),
      runs,
    );
  });

  it('chains transitions, never suspects before k intervals of silence nor kills before deadAfter, and kills within one check of it', () => {
    fc.assert(
      fc.property(flapping, ({ s, gaps, checkMs }) => {
        const trace = run(timeline(gaps, checkMs, s.deadAfterMs + 2 * checkMs), s);
        let state: SiteLiveness = 'suspect';
        for (const step of trace.steps) {
          for (const t of step.transitions) {
            expect(t.from).toBe(state);
            expect(t.to).not.toBe(t.from);
            state = t.to;
          }
          expect(step.state).toBe(state);
          if (step.event.kind !== 'tick') continue;
          const silence = step.silenceMs;
          for (const t of step.transitions) {
            if (t.to === 'suspect') expect(silence).toBeGreaterThanOrEqual(suspectAfterMs(s));
            if (t.to === 'dead') expect(silence).toBeGreaterThanOrEqual(s.deadAfterMs);
          }
          if (silence >= s.deadAfterMs) expect(step.state).toBe('dead');
          else if (silence >= suspectAfterMs(s)) expect(step.state).not.toBe('alive');
        }
      }),
      runs,
    );
  });

  it('declares a silent peer dead at a silence in [deadAfter, deadAfter + one check)', () => {
    const silent = settingsArb.chain((s) =>
      fc.record({
        s: fc.constant(s),
        beats: fc.integer({ min: 0, max: 8 }),
        checkMs: fc.integer({ min: 1, max: s.heartbeatIntervalMs * 2 }),
      }),
    );
    fc.assert(
      fc.property(silent, ({ s, beats, checkMs }) => {
        const gaps = Array.from({ length: beats }, () => ({ gapMs: s.heartbeatIntervalMs, kind: 'next' as const }));
        const trace = run(timeline(gaps, checkMs, s.deadAfterMs + checkMs), s);
        const deaths = trace.steps.filter((st) => st.transitions.some((t) => t.to === 'dead'));
        expect(deaths).toHaveLength(1);
        expect(deaths[0].silenceMs).toBeGreaterThanOrEqual(s.deadAfterMs);
        expect(deaths[0].silenceMs).toBeLessThan(s.deadAfterMs + checkMs);
      }),
      runs,
    );
  });

  it('a steady peer becomes alive after m beats and never leaves alive', () => {
    const steady = settingsArb.chain((s) => {
      const lo = Math.ceil(s.heartbeatIntervalMs * s.goodGapMin);
      const hi = Math.min(Math.floor(s.heartbeatIntervalMs * s.goodGapMax), suspectAfterMs(s) - 1);
      return fc.record({
        s: fc.constant(s),
        gaps: fc.array(fc.record({ gapMs: fc.integer({ min: lo, max: hi }), kind: fc.constantFrom<'next' | 'restart'>('next', 'next', 'next', 'restart') }), {
          minLength: s.aliveAfterGoodBeats,
          maxLength: 80,
        }),
        checkMs: fc.integer({ min: 10, max: s.heartbeatIntervalMs }),
      });
    });
    fc.assert(
      fc.property(steady, ({ s, gaps, checkMs }) => {
        // The first beat comes within the suspect threshold of watching, so the peer is never declared dead.
        const trace = run(timeline(gaps, checkMs, 0), s);
        const all = trace.steps.flatMap((st) => st.transitions);
        expect(all.map((t) => `${t.from}->${t.to}`)).toEqual(['suspect->alive']);
        const beatsBefore = trace.steps.findIndex((st) => st.transitions.length > 0);
        expect(trace.steps.slice(0, beatsBefore + 1).filter((st) => st.accepted)).toHaveLength(s.aliveAfterGoodBeats);
      }),
      runs,
    );
  });

  it('accepts beats only with a growing seq within an incarnation', () => {
    fc.assert(
      fc.property(flapping, ({ s, gaps, checkMs }) => {
        const trace = run(timeline(gaps, checkMs, 0), s);
        const lastSeq = new Map<string, number>();
        for (const step of trace.steps) {
          if (step.event.kind !== 'beat' || !step.accepted) continue;
          expect(step.event.seq).toBeGreaterThan(lastSeq.get(step.event.incarnation) ?? 0);
          lastSeq.set(step.event.incarnation, step.event.seq);
        }
      }),
      runs,
    );
  });
});
