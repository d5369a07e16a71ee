/** Schedules a callback; returns the function that cancels it. Time as an input (tests pass fake timers). */
export type Scheduler = (fn: () => void, ms: number) => () => void;

export const timerScheduler: Scheduler = (fn, ms) => {
  const t = setTimeout(fn, ms);
  t.unref?.();
  return () => clearTimeout(t);
};

export interface WorkQueueOptions {
  /** First retry delay after a failed pass; doubles per consecutive failure of the key. */
  baseDelayMs: number;
  maxDelayMs: number;
  scheduler: Scheduler;
  log: (line: string) => void;
}

/**
 * A keyed work queue in the manner of client-go's: a key is queued at most once however often it is added; a key
 * added while it is being processed runs once more afterwards; a failed pass requeues the key with exponential
 * backoff, a successful one forgets its failures. One worker, so passes never overlap.
 */
export class KeyedWorkQueue {
  private readonly queued = new Set<string>();
  private readonly dirty = new Set<string>();
  private readonly failures = new Map<string, number>();
  private readonly retries = new Map<string, () => void>();
  private processing: string | undefined;
  private worker: Promise<void> | undefined;
  private stopped = false;

  constructor(
    private readonly handle: (key: string) => Promise<void>,
    private readonly options: WorkQueueOptions,
  ) {}

  add(key: string): void {
    if (this.stopped) return;
    if (this.processing === key) {
      this.dirty.add(key);
      return;
    }
    this.queued.add(key);
    // Started on a later microtask, so keys added in the same turn coalesce into one pass each.
    this.worker ??= Promise.resolve()
      .then(() => this.drain())
      .finally(() => (this.worker = undefined));
  }

  /** Resolves once nothing is queued or being processed (retries scheduled for later do not count). */
  async idle(): Promise<void> {
    while (this.worker) await this.worker;
  }

  /** Stops taking keys, cancels pending retries and waits for the pass under way. */
  async shutDown(): Promise<void> {
    this.stopped = true;
    this.queued.clear();
    for (const cancel of this.retries.values()) cancel();
    this.retries.clear();
    await this.idle();
  }

  private async drain(): Promise<void> {
    for (;;) {
      const key = this.queued.values().next().value;
      if (key === undefined || this.stopped) return;
      this.queued.delete(key);
      this.processing = key;
      try {
        await this.handle(key);
        this.failures.delete(key);
      } catch (err) {
        this.retryLater(key, err);
      } finally {
        this.processing = undefined;
      }
      if (this.dirty.delete(key)) this.queued.add(key);
    }
  }

  private retryLater(key: string, err: unknown): void {
    const n = (this.failures.get(key) ?? 0) + 1;
    this.failures.set(key, n);
    const delay = Math.min(this.options.maxDelayMs, this.options.baseDelayMs * 2 ** (n - 1));
    this.options.log(`reconcile ${key}: ${err instanceof Error ? err.message : String(err)}; retrying in ${delay} ms`);
    this.retries.get(key)?.();
    this.retries.set(
      key,
      this.options.scheduler(() => {
        this.retries.delete(key);
        this.add(key);
      }, delay),
    );
  }
}
