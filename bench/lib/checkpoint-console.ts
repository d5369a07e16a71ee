// Line arrival times on a guest's serial console file, and what they say about a pause: the counter guest prints
// `counter=N` every interval on the guest's virtual clock, which stops while QEMU is paused, so the widest gap
// between two lines minus the interval is how long the guest made no progress.
import { closeSync, existsSync, fstatSync, openSync, readSync, statSync } from 'node:fs';
import { sleep } from './bench-broker';

/** One `counter=N` line and performance.now() when the poller first saw it. */
export interface CounterLine {
  n: number;
  at: number;
}

const COUNTER = /^counter=(\d+)$/;

/** Polls a (growing, appended-to) console file every `everyMs` and timestamps each complete `counter=N` line. */
export class ConsoleTail {
  readonly lines: CounterLine[] = [];
  private fd: number | undefined;
  private offset = 0;
  private partial = '';
  private running = true;
  private readonly loop: Promise<void>;

  constructor(
    private readonly path: string,
    private readonly everyMs = 1,
  ) {
    this.loop = this.poll();
  }

  private async poll(): Promise<void> {
    const buf = Buffer.alloc(64 * 1024);
    while (this.running) {
      this.readOnce(buf);
      await sleep(this.everyMs);
    }
  }

  private readOnce(buf: Buffer): void {
    if (this.fd === undefined) {
      if (!existsSync(this.path)) return;
      this.fd = openSync(this.path, 'r');
    }
    this.reopenIfReplaced();
    if (this.fd === undefined) return;
    for (;;) {
      const n = readSync(this.fd, buf, 0, buf.length, this.offset);
      if (n <= 0) return;
      this.offset += n;
      const at = performance.now();
      const parts = (this.partial + buf.toString('latin1', 0, n)).split('\n');
      this.partial = parts.pop() ?? '';
      for (const raw of parts) {
        const m = COUNTER.exec(raw.replace(/\r/g, '').trim());
        if (m) this.lines.push({ n: Number(m[1]), at });
      }
    }
  }

  /** QEMU opens the log with append='on', but a truncated or replaced file is followed from its start all the same. */
  private reopenIfReplaced(): void {
    if (this.fd === undefined || !existsSync(this.path)) return;
    const open = fstatSync(this.fd);
    const now = statSync(this.path);
    if (open.ino !== now.ino) {
      closeSync(this.fd);
      this.fd = openSync(this.path, 'r');
      this.offset = 0;
      this.partial = '';
    } else if (now.size < this.offset) {
      this.offset = 0;
      this.partial = '';
    }
  }

  /** The most recent line, if any. */
  last(): CounterLine | undefined {
    return this.lines[this.lines.length - 1];
  }

  /** Resolves with the first line seen after `after` (performance.now()); throws after `timeoutMs`. */
  async lineAfter(after: number, timeoutMs: number): Promise<CounterLine> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const line = this.lines.find((l) => l.at > after);
      if (line) return line;
      if (performance.now() > deadline) throw new Error(`no counter line on ${this.path} within ${timeoutMs} ms`);
      await sleep(this.everyMs);
    }
  }

  /** Waits until the guest has printed at least `n`. */
  async reach(n: number, timeoutMs: number): Promise<CounterLine> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const line = this.lines.find((l) => l.n >= n);
      if (line) return line;
      if (performance.now() > deadline) throw new Error(`counter=${n} not seen on ${this.path} within ${timeoutMs} ms`);
      await sleep(this.everyMs);
    }
  }

  async close(): Promise<void> {
    this.running = false;
    await this.loop;
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}

/** The widest gap between consecutive lines that straddles [from, to]; `before` is the last line the guest printed before it. */
export interface Gap {
  before: CounterLine;
  after: CounterLine;
  ms: number;
}

/**
 * The widest gap between consecutive lines among the last line before `from`, the lines up to `to`, and the first
 * line after `to`. Undefined when there is no line on either side.
 */
export function widestGap(lines: readonly CounterLine[], from: number, to: number): Gap | undefined {
  const start = lines.reduce((idx, l, i) => (l.at <= from ? i : idx), -1);
  const end = lines.findIndex((l) => l.at > to);
  if (start < 0 || end < 0) return undefined;
  let best: Gap | undefined;
  for (let i = start; i < end; i += 1) {
    const before = lines[i];
    const after = lines[i + 1];
    if (!before || !after) continue;
    const ms = after.at - before.at;
    if (!best || ms > best.ms) best = { before, after, ms };
  }
  return best;
}
