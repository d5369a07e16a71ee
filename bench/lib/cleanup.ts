// Undo steps for whatever the benchmark creates outside the process (domains, disk files, temp dirs, brokers),
// run newest first at the end, on a failure, or on SIGINT/SIGTERM.

interface Step {
  what: string;
  run: () => Promise<void> | void;
}

export class Cleanup {
  private steps: Step[] = [];

  /** Registers an undo step; the returned function drops it (the thing was already removed the normal way). */
  add(what: string, run: () => Promise<void> | void): () => void {
    const step = { what, run };
    this.steps.push(step);
    return () => {
      this.steps = this.steps.filter((s) => s !== step);
    };
  }

  /** Runs every step once, newest first; a failing step does not stop the others. Returns the failures. */
  async runAll(): Promise<string[]> {
    const steps = this.steps.reverse();
    this.steps = [];
    const failures: string[] = [];
    for (const step of steps) {
      try {
        await step.run();
      } catch (err) {
        failures.push(`${step.what}: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    return failures;
  }
}

/** Runs every step and reports the failures on stderr; a failed step makes the benchmark's exit code 1. */
export async function finishCleanup(cleanup: Cleanup): Promise<void> {
  const failures = await cleanup.runAll();
  for (const f of failures) console.error(`cleanup failed: ${f}`);
  if (failures.length > 0) process.exitCode = 1;
}

/**
 * Runs a benchmark's `main` with a Cleanup whose steps also run when main fails and on SIGINT/SIGTERM (then the
 * process exits 130). `main` runs them itself at its normal end (finishCleanup).
 */
export function runBenchmark(main: (cleanup: Cleanup) => Promise<void>): void {
  const cleanup = new Cleanup();
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      console.error(`${signal}: cleaning up`);
      void cleanup.runAll().finally(() => process.exit(130));
    });
  }
  main(cleanup).catch(async (error: unknown) => {
    console.error(error);
    process.exitCode = 1;
    for (const f of await cleanup.runAll()) console.error(`cleanup failed: ${f}`);
  });
}
