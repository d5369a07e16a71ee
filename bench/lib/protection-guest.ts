// Watching one counter guest (the broker's VEE or the raw clone): its console lines with arrival times and its
// libvirt lifecycle events, plus what they say: the guest's tick, its counter rate over a window, its pause.
import { widestGap, ConsoleTail, type CounterLine } from './checkpoint-console';
import { libvirtDownMs, LifecycleWatch } from './checkpoint-events';
import { median } from './stats';

/** Slack for libvirt's event timestamps (ms resolution, stamped by the virsh client on receipt). */
const EVENT_SLACK_MS = 20;
const LINE_TIMEOUT_MS = 10_000;

export interface Observed {
  domain: string;
  tail: ConsoleTail;
  watch: LifecycleWatch;
  close(): Promise<void>;
}

/** Starts tailing `consoleLog` and watching `domain`'s lifecycle events (the domain must be defined). */
export function observe(uri: string, domain: string, consoleLog: string): Observed {
  const tail = new ConsoleTail(consoleLog);
  const watch = new LifecycleWatch(uri, domain);
  return {
    domain, tail, watch,
    async close() {
      watch.close();
      await tail.close();
    },
  };
}

/** Median spacing of the (up to 50) lines before `until`: the guest's tick as the console shows it. */
export function tickMs(lines: readonly CounterLine[], until: number): number {
  const before = lines.filter((l) => l.at <= until).slice(-50);
  return median(before.slice(1).map((l, i) => l.at - (before[i]?.at ?? l.at)));
}

/** Counter lines per second between the first line at/after `from` and the last at/before `to`. */
export function counterRate(lines: readonly CounterLine[], from: number, to: number): number {
  const inside = lines.filter((l) => l.at >= from && l.at <= to);
  const a = inside[0];
  const b = inside[inside.length - 1];
  if (!a || !b || b.at <= a.at) return Number.NaN;
  return (b.n - a.n) / ((b.at - a.at) / 1000);
}

/** How long the guest stopped around an operation run over [t0, t1] (performance.now()) / [w0, w1] (epoch ms). */
export interface PauseSeen {
  /** Console: widest line gap straddling the operation minus the guest's tick. */
  consoleMs: number;
  /** libvirt: Suspended → Resumed for the stop begun during the operation; undefined when no event came. */
  libvirtMs?: number;
  /** The last counter value printed before the pause: the state the checkpoint holds. */
  before: number;
}

/** Waits for the first line after the operation (it closes the gap) and for late events, then reads the pause. */
export async function pauseAround(o: Observed, t0: number, t1: number, w0: number, w1: number): Promise<PauseSeen> {
  await o.tail.lineAfter(t1, LINE_TIMEOUT_MS);
  await new Promise((r) => setTimeout(r, EVENT_SLACK_MS * 2));
  const gap = widestGap(o.tail.lines, t0, t1);
  if (!gap) throw new Error(`${o.domain}: no counter lines around the operation`);
  return {
    consoleMs: Math.max(0, gap.ms - tickMs(o.tail.lines, t0)),
    libvirtMs: libvirtDownMs(o.watch.events, w0 - EVENT_SLACK_MS, w1 + EVENT_SLACK_MS),
    before: gap.before.n,
  };
}
