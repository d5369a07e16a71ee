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
