import { type HypervisorConnection, type HypervisorFactory, type LifecycleEvent } from '@reservoir/domain/ports/hypervisor.port';

/** A host as the pool needs it. */
export interface HostAddress {
  id: string;
  uri: string;
}

/** Told of every lifecycle event on any pooled host; must not throw or block (it wakes a work queue). */
export type HostEventListener = (hostId: string, event: LifecycleEvent) => void;

/**
 * One open hypervisor connection per host, shared by the deployer, deletion and the reconcile loop. Lifecycle
 * events of every pooled connection are forwarded to the listeners (they only wake the reconcile loop). A
 * connection that could not be opened is not cached, so the next call tries again.
 */
export class HostConnections {
  private readonly open = new Map<string, Promise<HypervisorConnection>>();
  private readonly listeners = new Set<HostEventListener>();

  constructor(private readonly factory: HypervisorFactory) {}

  get(host: HostAddress): Promise<HypervisorConnection> {
    let conn = this.open.get(host.id);
    if (conn === undefined) {
      conn = this.factory.connect(host.uri).then((c) => {
        c.onLifecycleEvent((event) => {
          for (const listener of this.listeners) listener(host.id, event);
        });
        return c;
      });
      conn.catch(() => this.open.delete(host.id));
      this.open.set(host.id, conn);
    }
    return conn;
  }

  /** Returns the unsubscribe function. */
  onEvent(listener: HostEventListener): () => void {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  }

  /** Closes the host's connection (a host removed from the site). */
  async drop(hostId: string): Promise<void> {
    const conn = this.open.get(hostId);
    this.open.delete(hostId);
    await conn?.then((c) => c.close()).catch(() => undefined);
  }

  async closeAll(): Promise<void> {
    await Promise.all([...this.open.keys()].map((id) => this.drop(id)));
    this.listeners.clear();
  }
}
