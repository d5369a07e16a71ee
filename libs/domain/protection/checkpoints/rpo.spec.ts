import fc from 'fast-check';
import { DomainError } from '../../shared/domain-error';
import { rpoReport, type CheckpointTiming, type RpoInput } from './rpo';

const at = (ms: number) => new Date(Date.UTC(2025, 0, 1) + ms);
const cp = (start: number, done: number): CheckpointTiming => ({ startedAt: at(start), completedAt: at(done) });
const input = (checkpoints: CheckpointTiming[], now: number, over: Partial<RpoInput> = {}): RpoInput => ({ intervalMs: 1000, checkpoints, since: at(0), now: at(now), ...over });

describe('rpoReport', () => {
  it.each<[string, RpoInput, { maxGapMs: number; sinceLastMs: number; achievedMs: number; degraded: boolean }]>([
    ['keeping up: 1 s interval, 100 ms checkpoints', input([cp(900, 1000), cp(1900, 2000), cp(2900, 3000)], 3500), { maxGapMs: 1100, sinceLastMs: 600, achievedMs: 1100, degraded: false }],
    ['one slow checkpoint within tolerance', input([cp(900, 1000), cp(1900, 2300)], 2500), { maxGapMs: 1400, sinceLastMs: 600, achievedMs: 1400, degraded: false }],
    ['a missed checkpoint', input([cp(900, 1000), cp(2900, 3000)], 3200), { maxGapMs: 2100, sinceLastMs: 300, achievedMs: 2100, degraded: true }],
    ['stopped checkpointing: the gap at now', input([cp(900, 1000)], 4000), { maxGapMs: 1000, sinceLastMs: 3100, achievedMs: 3100, degraded: true }],
    ['nothing completed yet, inside one interval', input([], 1200), { maxGapMs: 0, sinceLastMs: 1200, achievedMs: 1200, degraded: false }],
    ['nothing completed yet, far too long', input([], 1600), { maxGapMs: 0, sinceLastMs: 1600, achievedMs: 1600, degraded: true }],
    ['one still running at now is not counted', input([cp(900, 1000), cp(1900, 2500)], 2400), { maxGapMs: 1000, sinceLastMs: 1500, achievedMs: 1500, degraded: false }],
    ['overlapping: the newest capture completed counts', input([cp(500, 2000), cp(1000, 1100)], 2100), { maxGapMs: 1100, sinceLastMs: 1100, achievedMs: 1100, degraded: false }],
    ['a tighter tolerance', input([cp(900, 1000), cp(1900, 2300)], 2500, { tolerance: 1 }), { maxGapMs: 1400, sinceLastMs: 600, achievedMs: 1400, degraded: true }],
  ])('%s', (_label, i, expected) => {
    expect(rpoReport(i)).toMatchObject({ configuredMs: i.intervalMs, thresholdMs: i.intervalMs * (i.tolerance ?? 1.5), ...expected });
  });

  it('estimates the sustainable interval from the 95th percentile duration and says why it is degraded', () => {
    const slow = Array.from({ length: 20 }, (_, k) => cp(k * 3000, k * 3000 + (k === 19 ? 5000 : 2500)));
    const r = rpoReport(input(slow, 60_000));
    expect(r.sustainable).toEqual({ intervalMs: 2500, ratePerHour: 1440, keepsUp: false });
    expect(r.degraded).toBe(true);
    expect(r.message).toContain('checkpoints take 2500 ms (p95), so the host sustains at most one every 2500 ms');
    expect(rpoReport(input([cp(900, 1000)], 1100)).sustainable).toEqual({ intervalMs: 100, ratePerHour: 36_000, keepsUp: true });
    expect(rpoReport(input([], 10)).sustainable).toBeUndefined();
    expect(rpoReport(input([cp(900, 1000)], 4000)).message).toContain('no checkpoint has completed for 3100 ms');
  });

  it.each<[string, RpoInput]>([
    ['a zero interval', input([], 1, { intervalMs: 0 })],
    ['a tolerance below 1', input([], 1, { tolerance: 0.9 })],
    ['a window starting after now', input([], 1, { since: at(5) })],
    ['a checkpoint completing before it started', input([cp(10, 5)], 20)],
    ['an invalid time', input([{ startedAt: new Date(Number.NaN), completedAt: at(1) }], 20)],
  ])('refuses %s', (_label, i) => {
    expect(() => rpoReport(i)).toThrow(DomainError);
  });
});

describe('rpoReport (properties)', () => {
  const timings = fc.array(fc.tuple(fc.integer({ min: 0, max: 20_000 }), fc.integer({ min: 0, max: 3000 })), { maxLength: 25 }).map((l) => l.map(([s, d]) => cp(s, s + d)));
  const scenario = fc.record({ checkpoints: timings, now: fc.integer({ min: 0, max: 25_000 }), intervalMs: fc.integer({ min: 100, max: 5000 }) });

  it('bounds the achieved RPO by the window, takes the worse gap, and is order independent', () => {
    fc.assert(
      fc.property(scenario.chain((x) => fc.shuffledSubarray(x.checkpoints, { minLength: x.checkpoints.length }).map((shuffled) => ({ ...x, shuffled }))), ({ checkpoints, now, intervalMs, shuffled }) => {
        const r = rpoReport(input(checkpoints, now, { intervalMs }));
        expect(r.achievedMs).toBe(Math.max(r.maxGapMs, r.sinceLastMs));
        expect(r.achievedMs).toBeLessThanOrEqual(now);
        expect(r.degraded).toBe(r.achievedMs > intervalMs * 1.5);
        expect(rpoReport(input(shuffled, now, { intervalMs }))).toEqual(r);
      }),
      { numRuns: 400 },
    );
  });

  // The RPO at each instant can only drop when a checkpoint is added, so its peak does too. (maxGapMs alone may
  // grow: a checkpoint completing at `now` turns the open gap into a completed one.)
  it('one more completed checkpoint never makes the RPO worse', () => {
    fc.assert(
      fc.property(scenario, fc.integer({ min: 0, max: 25_000 }), fc.integer({ min: 0, max: 3000 }), ({ checkpoints, now, intervalMs }, s, d) => {
        const before = rpoReport(input(checkpoints, now, { intervalMs }));
        const after = rpoReport(input([...checkpoints, cp(s, s + d)], now, { intervalMs }));
        expect(after.achievedMs).toBeLessThanOrEqual(before.achievedMs);
        expect(after.sinceLastMs).toBeLessThanOrEqual(before.sinceLastMs);
      }),
      { numRuns: 400 },
    );
  });

  it('a steady schedule within the interval is never degraded', () => {
    fc.assert(
      fc.property(fc.integer({ min: 100, max: 5000 }), fc.integer({ min: 1, max: 30 }), fc.integer({ min: 0, max: 100 }), (intervalMs, n, pct) => {
        const d = Math.floor((intervalMs * pct) / 200); // a duration up to half the interval
        const list = Array.from({ length: n }, (_, k) => cp(k * intervalMs, k * intervalMs + d));
        const r = rpoReport(input(list, (n - 1) * intervalMs + d + Math.floor(intervalMs / 2), { intervalMs }));
        expect(r.degraded).toBe(false);
        expect(r.sustainable?.keepsUp).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
});
