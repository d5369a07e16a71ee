// libvirt's own view of a pause: `virsh event --loop --timestamp` for one domain's lifecycle events, turned into
// the intervals in which libvirt reported the domain not running (Suspended/Stopped until Resumed/Started).
import { type ChildProcess, spawn } from 'node:child_process';

/** One lifecycle event: epoch ms (libvirt's timestamp, ms resolution) and its text, e.g. `Suspended Paused`. */
export interface LifecycleEvent {
  at: number;
  what: string;
}

const LINE = /^(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d\.\d{3})([+-]\d{4}): event 'lifecycle' for domain '[^']*': (.+)$/;

/** Runs `virsh event` for `domain` until close(); collects its lifecycle events. */
export class LifecycleWatch {
  readonly events: LifecycleEvent[] = [];
  private readonly child: ChildProcess;
  private buffered = '';

  constructor(uri: string, domain: string) {
    this.child = spawn('virsh', ['-c', uri, 'event', domain, '--event', 'lifecycle', '--loop', '--timestamp'], { stdio: ['ignore', 'pipe', 'ignore'] });
    this.child.stdout?.setEncoding('utf8');
    this.child.stdout?.on('data', (chunk: string) => this.take(chunk));
    this.child.on('error', () => undefined); // no virsh: no events, the column shows '-'
  }

  private take(chunk: string): void {
    const parts = (this.buffered + chunk).split('\n');
    this.buffered = parts.pop() ?? '';
    for (const line of parts) {
      const m = LINE.exec(line.trim());
      if (!m) continue;
      const tz = m[3] ?? '+0000';
      this.events.push({ at: Date.parse(`${m[1]}T${m[2]}${tz.slice(0, 3)}:${tz.slice(3)}`), what: m[4] ?? '' });
    }
  }

  /** Stops the virsh process (this process's own child, by its handle). */
  close(): void {
    if (this.child.exitCode === null) this.child.kill('SIGTERM');
  }
}

const isDown = (what: string): boolean => what.startsWith('Suspended') || what.startsWith('Stopped');
const isUp = (what: string): boolean => what.startsWith('Resumed') || what.startsWith('Started');

/**
 * ms libvirt reported the domain not running, summed over the down intervals that begin within [from, to]
 * (epoch ms) and last until the next Resumed/Started event. Undefined when none began in that window.
 */
export function libvirtDownMs(events: readonly LifecycleEvent[], from: number, to: number): number | undefined {
  let total: number | undefined;
  let downSince: number | undefined;
  for (const e of events) {
    if (isDown(e.what) && downSince === undefined && e.at >= from && e.at <= to) downSince = e.at;
    else if (isUp(e.what) && downSince !== undefined) {
      total = (total ?? 0) + (e.at - downSince);
      downSince = undefined;
    }
  }
  return total;
}
