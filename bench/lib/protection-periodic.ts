// Periodic checkpoints (`checkpoint-interval-ms`): the guest's counter rate over a window, the achieved RPO
// (GET /v1/vees/:id `rpo` when the broker shows it, else `rpoReport` of the domain's rpo module over the
// checkpoint list's capture/completion times) and what the host sustains (its p95 checkpoint duration).
import { rpoReport, type RpoReport } from '@reservoir/domain/protection/checkpoints/rpo';
import { sleep, until } from './bench-broker';
import { type CheckpointJson, getVee, listCheckpoints } from './protection-broker';
import { counterRate, type Observed, tickMs } from './protection-guest';

export interface RateWindow {
  seconds: number;
  /** Counter lines per second. */
  rate: number;
  /** The guest's tick (median line spacing) before the window. */
  tickMs: number;
}

/** The counter rate over `seconds` from now. */
export async function rateWindow(o: Observed, seconds: number): Promise<RateWindow> {
  const t0 = performance.now();
  const tick = tickMs(o.tail.lines, t0);
  await sleep(seconds * 1000);
  await o.tail.lineAfter(performance.now(), 10_000);
  return { seconds, rate: counterRate(o.tail.lines, t0, t0 + seconds * 1000), tickMs: tick };
}

export interface PeriodicResult {
  intervalMs: number;
  window: RateWindow;
  /** Checkpoints completed in the window (after the first). */
  count: number;
  /** completedAt − createdAt of those, ms. */
  durations: number[];
  report: RpoReport;
  /** GET /v1/vees/:id `rpo.achievedMs`, when the broker has it. */
  brokerRpoMs?: number;
  sizes: number[];
}

const complete = (c: CheckpointJson): c is CheckpointJson & { completedAt: string } => c.complete && c.completedAt !== undefined;

/** Waits for the scheduler's first checkpoint (taken at once), then measures a window of `seconds`. */
export async function measurePeriodic(url: string, veeId: string, o: Observed, intervalMs: number, seconds: number): Promise<PeriodicResult> {
  const first = await until('the first periodic checkpoint', async () => (await listCheckpoints(url, veeId)).filter(complete).at(-1), 120_000, 50);
  await o.tail.lineAfter(performance.now(), 10_000);
  const window = await rateWindow(o, seconds);
  const now = new Date();
  const since = new Date(first.createdAt);
  const all = (await listCheckpoints(url, veeId)).filter(complete).filter((c) => Date.parse(c.createdAt) >= since.getTime());
  const report = rpoReport({
    intervalMs,
    checkpoints: all.map((c) => ({ startedAt: new Date(c.createdAt), completedAt: new Date(c.completedAt) })),
    since,
    now,
  });
  const later = all.filter((c) => c.id !== first.id);
  const vee = await getVee(url, veeId);
  return {
    intervalMs, window, count: later.length, report,
    durations: later.map((c) => Date.parse(c.completedAt) - Date.parse(c.createdAt)),
    sizes: later.map((c) => c.sizeBytes ?? Number.NaN),
    ...(vee.rpo?.achievedMs === undefined ? {} : { brokerRpoMs: vee.rpo.achievedMs }),
  };
}
