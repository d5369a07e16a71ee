// One trial of one candidate on a fresh counter guest: checkpoint while it ticks, let it run on, restore, and
// read from the console (and libvirt's events) how long it stopped and whether it came back at the checkpoint.
import { sleep, until } from './bench-broker';
import { type Candidate } from './checkpoint-candidates';
import { type CounterLine, widestGap } from './checkpoint-console';
import { libvirtDownMs } from './checkpoint-events';
import { type GuestPlan, startGuest } from './checkpoint-guest';
import { type Cleanup } from './cleanup';
import { median } from './stats';

const LINE_TIMEOUT_MS = 5_000;
/** How long the guest runs on after a checkpoint that leaves it running: > 3 ticks, so a restore is visible. */
const RUN_ON_MS = 350;
/** Slack for libvirt's event timestamps (ms resolution, stamped by the virsh client on receipt). */
const EVENT_SLACK_MS = 20;

/** One trial's figures, ms unless named otherwise. */
export interface Sample {
  /** Console: widest gap between counter lines around the operation, minus the guest's tick interval. */
  pauseMs: number;
  /** libvirt: Suspended/Stopped until Resumed/Started, for the stop that began during the operation. */
  libvirtMs?: number;
  opMs: number;
  bytes: number;
  /** The restore/revert command(s), until libvirt reports the guest running. */
  restoreMs: number;
  /** Of restoreMs, stopping the guest that ran on (external: virsh destroy). */
  stopMs?: number;
  checkpointed: number;
  firstAfterRestore: number;
  kept: boolean;
}

/** Median spacing of the lines before `until`: the guest's tick as the console shows it. */
function tick(lines: readonly CounterLine[], until: number): number {
  const before = lines.filter((l) => l.at <= until);
  return median(before.slice(1).map((l, i) => l.at - (before[i]?.at ?? l.at)));
}

/**
 * Runs one trial on a fresh guest. Its removal (virsh destroy waits ~1.6 s for a TCG QEMU to exit) is handed to
 * `retire` instead of awaited, so it overlaps the next trial's boot; it stays registered with `cleanup` until done.
 */
export async function runTrial(
  plan: GuestPlan,
  candidate: Candidate,
  memoryMib: number,
  rep: number,
  cleanup: Cleanup,
  retire: (removal: Promise<void>) => void,
): Promise<Sample> {
  const name = `${plan.prefix}${memoryMib}-${candidate.key}-${rep}`;
  const { guest, remove } = await startGuest(plan, name, memoryMib, cleanup);
  try {
    const { tail, watch } = guest;
    const w0 = Date.now();
    const t0 = performance.now();
    const checkpoint = await candidate.take(guest);
    const t1 = performance.now();
    const w1 = Date.now();
    if (!candidate.stopsGuest) {
      await tail.lineAfter(t1, LINE_TIMEOUT_MS);
      await sleep(RUN_ON_MS);
    }
    const lastBeforeRestore = tail.last();
    const r0 = performance.now();
    const stopMs = await checkpoint.restore();
    const r1 = performance.now();
    // The restored guest's first line: after r0 and, when the old guest ran on, from before where it had got to.
    const first = await until(
      `${name}: first counter line of the restored guest`,
      () => tail.lines.find((l) => l.at > r0 && (candidate.stopsGuest || l.n < (lastBeforeRestore?.n ?? 0) - 1)),
      LINE_TIMEOUT_MS,
      2,
    );
    await sleep(EVENT_SLACK_MS * 2); // let the last lifecycle events arrive
    const gap = widestGap(tail.lines, t0, candidate.stopsGuest ? r1 : t1);
    if (!gap) throw new Error(`${name}: no counter lines around the checkpoint`);
    return {
      pauseMs: Math.max(0, gap.ms - tick(tail.lines, t0)),
      libvirtMs: libvirtDownMs(watch.events, w0 - EVENT_SLACK_MS, w1 + EVENT_SLACK_MS),
      opMs: t1 - t0,
      bytes: checkpoint.bytes,
      restoreMs: r1 - r0,
      stopMs,
      checkpointed: gap.before.n,
      firstAfterRestore: first.n,
      kept: first.n === gap.before.n + 1,
    };
  } finally {
    retire(remove());
  }
}
