/**
 * Polls `probe` until it answers something other than undefined and returns that, or fails after `ms` with what
 * was awaited (and `context()`, e.g. the logs of the processes involved). For e2e tests of asynchronous systems.
 */
export async function eventually<T>(
  what: string,
  probe: () => Promise<T | undefined> | T | undefined,
  options: { ms?: number; everyMs?: number; context?: () => string } = {},
): Promise<T> {
  const deadline = Date.now() + (options.ms ?? 30_000);
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${options.context ? `\n${options.context()}` : ''}`);
    await new Promise((r) => setTimeout(r, options.everyMs ?? 50));
  }
}
