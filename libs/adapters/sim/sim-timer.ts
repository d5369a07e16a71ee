/**
 * Time for the simulated hypervisor, as an input (STYLE rule 2): delays (boot, shutdown, save, migration) and
 * CPU-time accounting read it. Production and the demo use {@link systemTimer}; tests use a zero delay or a
 * {@link ManualTimer} they move by hand.
 */
export interface SimTimer {
  /** Milliseconds on a monotonic scale (only differences matter). */
  now(): number;
  /** Resolves after `ms`; with `ms <= 0` the simulator does not call it at all. */
  sleep(ms: number): Promise<void>;
}

/** Wall time. */
export const systemTimer: SimTimer = {
  now: () => performance.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

interface Sleeper {
  due: number;
  seq: number;
  wake: () => void;
}

/** Virtual time that moves only through {@link ManualTimer.advance}; sleepers wake in due order. */
export class ManualTimer implements SimTimer {
  private current = 0;
  private seq = 0;
  private sleepers: Sleeper[] = [];

  now(): number {
    return this.current;
  }

  sleep(ms: number): Promise<void> {
    return new Promise((wake) => {
      this.sleepers.push({ due: this.current + ms, seq: this.seq++, wake });
    });
  }

  /** Sleepers still waiting. */
  get pending(): number {
    return this.sleepers.length;
  }

  /** Moves time forward by `ms`, waking each due sleeper in turn and letting its continuation run. */
  async advance(ms: number): Promise<void> {
    const target = this.current + ms;
    for (;;) {
      const next = this.sleepers.filter((s) => s.due <= target).sort((a, b) => a.due - b.due || a.seq - b.seq)[0];
      if (!next) break;
      this.sleepers = this.sleepers.filter((s) => s !== next);
      this.current = next.due;
      next.wake();
      await settle();
    }
    this.current = target;
    await settle();
  }
}

/** Lets promise continuations queued so far run (a macrotask turn). */
function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
