/**
 * Logs an outcome per key only when it differs from the key's previous one: work repeated every checkpoint
 * (copies, standby refreshes, shipments) reports its first success, each failure that follows a success (or a
 * different failure), and the recovery — not one line per checkpoint.
 */
export class LogOnChange {
  private readonly last = new Map<string, string>();

  constructor(private readonly log: (line: string) => void) {}

  /** `outcome` names what happened in a stable way (e.g. 'ok', or the error's text); `line` is logged when it changed. */
  report(key: string, outcome: string, line: string): void {
    if (this.last.get(key) === outcome) return;
    this.last.set(key, outcome);
    this.log(line);
  }

  /** Forgets a key (its VEE or checkpoint went away). */
  forget(key: string): void {
    this.last.delete(key);
  }
}
