import { type Clock } from '@reservoir/domain/ports/clock.port';
import { type HypervisorConnection, HypervisorError, isDomainActive, isHypervisorError } from '@reservoir/domain/ports/hypervisor.port';

/** How long to wait for a started domain to report running, and how often to look. */
export interface StartWait {
  timeoutMs: number;
  pollMs: number;
  clock: Clock;
  delay: (ms: number) => Promise<void>;
}

/**
 * Starts the domain and waits (bounded) until `info` reports it up. A domain that ends crashed or shut off, or is
 * still not up at the deadline, is an 'operation-failed' error naming what was seen.
 */
export async function startAndWait(conn: HypervisorConnection, name: string, wait: StartWait): Promise<void> {
  await conn.start(name);
  const deadline = wait.clock.now().getTime() + wait.timeoutMs;
  for (;;) {
    const { state } = await conn.info(name);
    if (state === 'running' || state === 'blocked') return;
    if (state === 'crashed' || state === 'shutoff') {
      throw new HypervisorError('operation-failed', `domain '${name}' is ${state} right after starting`);
    }
    if (wait.clock.now().getTime() >= deadline) {
      throw new HypervisorError('operation-failed', `domain '${name}' still ${state} ${wait.timeoutMs} ms after starting`);
    }
    await wait.delay(wait.pollMs);
  }
}

/**
 * Removes a domain and its disks (overlays): hard stop if active, then undefine. Idempotent: a domain that is
 * already gone is fine. Other errors (host down, …) propagate: the caller keeps the VEE record so the domain
 * stays owned, never orphaned.
 */
export async function removeDomain(conn: HypervisorConnection, name: string): Promise<void> {
  try {
    const { state } = await conn.info(name);
    if (isDomainActive(state)) await conn.destroy(name);
    await conn.undefine(name, { removeDisks: true });
  } catch (err) {
    if (isHypervisorError(err, 'not-found')) return;
    throw err;
  }
}

/** One line for logs and reasons. */
export function describeError(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
