/**
 * Achieved recovery point objective of a periodically checkpointed VEE (or group), against the configured
 * `checkpoint-interval-ms`. The RPO at an instant is how much work a failure then would lose: the time since
 * the state of the newest checkpoint *completed by then* was captured. It peaks just before each completion and
 * at `now`, so those are the only instants measured.
 */
import { DomainError } from '../../shared/domain-error';

/** One checkpoint that completed: its state was captured at `startedAt` (the pause), usable from `completedAt`. */
export interface CheckpointTiming {
  startedAt: Date;
  completedAt: Date;
}

export interface RpoInput {
  /** The configured checkpoint interval: the RPO bound asked for. */
  intervalMs: number;
  /** Completed checkpoints, any order. Those completing before `since` or after `now` are not counted. */
  checkpoints: readonly CheckpointTiming[];
  /** Start of the measured window: when protection began (or a window start); the first gap runs from here. */
  since: Date;
  now: Date;
  /** Degraded when the achieved RPO exceeds `intervalMs × tolerance`. Default 1.5; at least 1. */
  tolerance?: number;
}

/** What the host can keep up with, from measured checkpoint durations (95th percentile, nearest rank). */
export interface Sustainable {
  /** The shortest interval the host sustains: a checkpoint cannot start before the previous one is done. */
  intervalMs: number;
  ratePerHour: number;
  /** Whether the configured interval is at least that long. */
  keepsUp: boolean;
}

export interface RpoReport {
  configuredMs: number;
  /** max(maxGapMs, sinceLastMs): what the VEE shows as its achieved RPO. */
  achievedMs: number;
  /** Worst RPO just before a completion inside the window. 0 when nothing completed in it. */
  maxGapMs: number;
  /** RPO at `now`: since the newest completed checkpoint's capture (or since `since` when there is none). */
  sinceLastMs: number;
  thresholdMs: number;
  degraded: boolean;
  /** Set when degraded: the line for the VEE's condition. */
  message?: string;
  /** Undefined when no checkpoint in the window gives a duration. */
  sustainable?: Sustainable;
}

export const DEFAULT_RPO_TOLERANCE = 1.5;

export function rpoReport(input: RpoInput): RpoReport {
  const tolerance = input.tolerance ?? DEFAULT_RPO_TOLERANCE;
  check(input, tolerance);
  const since = input.since.getTime();
  const now = input.now.getTime();
  const counted = input.checkpoints
    .map((c) => ({ start: c.startedAt.getTime(), done: c.completedAt.getTime() }))
    .filter((c) => c.done >= since && c.done <= now)
    .sort((a, b) => a.done - b.done || a.start - b.start);
  let captured = since;
  let maxGapMs = 0;
  for (const c of counted) {
    maxGapMs = Math.max(maxGapMs, c.done - captured);
    captured = Math.max(captured, c.start);
  }
  const sinceLastMs = now - captured;
  const achievedMs = Math.max(maxGapMs, sinceLastMs);
  const thresholdMs = input.intervalMs * tolerance;
  const degraded = achievedMs > thresholdMs;
  const sustainable = sustainableOf(counted.map((c) => c.done - c.start), input.intervalMs);
  const report: RpoReport = { configuredMs: input.intervalMs, achievedMs, maxGapMs, sinceLastMs, thresholdMs, degraded, sustainable };
  if (degraded) report.message = degradedMessage(report, tolerance);
  return report;
}

function degradedMessage(r: RpoReport, tolerance: number): string {
  const base = `achieved RPO ${r.achievedMs} ms exceeds the configured ${r.configuredMs} ms × ${tolerance}`;
  if (r.sustainable && !r.sustainable.keepsUp) return `${base}; checkpoints take ${r.sustainable.intervalMs} ms (p95), so the host sustains at most one every ${r.sustainable.intervalMs} ms`;
  return r.sinceLastMs >= r.maxGapMs ? `${base}; no checkpoint has completed for ${r.sinceLastMs} ms` : base;
}

function sustainableOf(durations: number[], intervalMs: number): Sustainable | undefined {
  if (durations.length === 0) return undefined;
  const sorted = [...durations].sort((a, b) => a - b);
  const p95 = sorted[Math.ceil(0.95 * sorted.length) - 1] ?? 0;
  const shortest = Math.max(1, p95);
  return { intervalMs: shortest, ratePerHour: 3_600_000 / shortest, keepsUp: shortest <= intervalMs };
}

function check(input: RpoInput, tolerance: number): void {
  if (!(Number.isFinite(input.intervalMs) && input.intervalMs > 0)) throw new DomainError('invalid-input', `checkpoint interval must be > 0 ms (got ${input.intervalMs})`);
  if (!(Number.isFinite(tolerance) && tolerance >= 1)) throw new DomainError('invalid-input', `RPO tolerance must be ≥ 1 (got ${tolerance})`);
  const times = [input.since, input.now, ...input.checkpoints.flatMap((c) => [c.startedAt, c.completedAt])];
  if (times.some((t) => Number.isNaN(t.getTime()))) throw new DomainError('invalid-input', 'RPO input holds an invalid time');
  if (input.since.getTime() > input.now.getTime()) throw new DomainError('invalid-input', 'the RPO window starts after now');
  const backwards = input.checkpoints.find((c) => c.startedAt.getTime() > c.completedAt.getTime());
  if (backwards) throw new DomainError('invalid-input', `a checkpoint completed (${backwards.completedAt.toISOString()}) before it started (${backwards.startedAt.toISOString()})`);
}
