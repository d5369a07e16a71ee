import { describeError } from './domain-operations';

interface InFlight {
  controller: AbortController;
  done: Promise<void>;
}

/**
 * Runs deployments in the background, one per service: `POST /v1/services` answers at once and the service moves
 * through placing and deploying on its own. A deployment can be cancelled (delete, shutdown): it rolls back and
 * the canceller waits until it has. Errors are logged here; the deployment itself records them as the phase.
 */
export class DeploymentRunner {
  private readonly inFlight = new Map<string, InFlight>();
  private closed = false;

  constructor(
    private readonly deploy: { execute(serviceId: string, signal: AbortSignal): Promise<void> },
    private readonly log: (line: string) => void = () => undefined,
  ) {}

  /** Starts deploying the service unless a deployment of it is under way or the runner is closed. */
  start(serviceId: string): void {
    if (this.closed || this.inFlight.has(serviceId)) return;
    const controller = new AbortController();
    const entry: InFlight = {
      controller,
      done: this.deploy
        .execute(serviceId, controller.signal)
        .catch((err: unknown) => this.log(`deployment of service ${serviceId} stopped: ${describeError(err)}`))
        .finally(() => {
          if (this.inFlight.get(serviceId) === entry) this.inFlight.delete(serviceId);
        }),
    };
    this.inFlight.set(serviceId, entry);
  }

  /** Cancels the service's deployment, if any, and waits until it has rolled back. */
  async cancel(serviceId: string, reason: string): Promise<void> {
    const entry = this.inFlight.get(serviceId);
    if (!entry) return;
    entry.controller.abort(reason);
    await entry.done;
  }

  /** Resolves once no deployment is under way. */
  async idle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight.values()].map((e) => e.done));
  }

  /** Refuses new deployments, cancels those under way and waits for their rollbacks. */
  async close(): Promise<void> {
    this.closed = true;
    for (const entry of this.inFlight.values()) entry.controller.abort('broker stopping');
    await this.idle();
  }
}
