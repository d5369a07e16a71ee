import {
  HypervisorError,
  type DomainInfo, type DomainSpec, type DomainSummary, type HostCapacity, type HostFeatures, type HypervisorConnection, type LifecycleListener,
  type MigrateOptions, type SnapshotInfo, type CheckpointBundle, type CheckpointFile,
} from '@reservoir/domain/ports/hypervisor.port';
import * as bundles from './sim-checkpoint-bundles';
import * as checkpoints from './sim-checkpoints';
import { type SimHost } from './sim-host';
import * as lifecycle from './sim-lifecycle';
import { migrate, type SimHostResolver } from './sim-migration';

/**
 * A connection to one simulated host. Every call is async and rejects with a HypervisorError, as the libvirt
 * adapter's do; a connection survives its host going down and coming back. After `close` calls are refused.
 */
export class SimHypervisorConnection implements HypervisorConnection {
  private closed = false;
  private readonly subscriptions = new Set<() => void>();

  constructor(private readonly host: SimHost, private readonly resolve: SimHostResolver) {}

  get uri(): string {
    return this.host.uri;
  }

  async capacity(): Promise<HostCapacity> {
    return lifecycle.capacity(this.open());
  }
  async features(): Promise<HostFeatures> {
    return lifecycle.features(this.open());
  }
  async segments(): Promise<string[]> {
    return lifecycle.segments(this.open());
  }
  async info(name: string): Promise<DomainInfo> {
    return lifecycle.info(this.open(), name);
  }
  async list(): Promise<DomainSummary[]> {
    return lifecycle.list(this.open());
  }
  onLifecycleEvent(listener: LifecycleListener): () => void {
    const unsubscribe = this.open().subscribe(listener);
    const tracked = () => {
      unsubscribe();
      this.subscriptions.delete(tracked);
    };
    this.subscriptions.add(tracked);
    return tracked;
  }

  async define(spec: DomainSpec): Promise<void> {
    lifecycle.define(this.open(), spec);
  }
  async start(name: string): Promise<void> {
    await lifecycle.start(this.open(), name);
  }
  async shutdown(name: string): Promise<void> {
    lifecycle.shutdown(this.open(), name);
  }
  async destroy(name: string): Promise<void> {
    lifecycle.destroy(this.open(), name);
  }
  async undefine(name: string): Promise<void> {
    lifecycle.undefine(this.open(), name);
  }
  async pause(name: string): Promise<void> {
    lifecycle.pause(this.open(), name);
  }
  async resume(name: string): Promise<void> {
    lifecycle.resume(this.open(), name);
  }

  async snapshotCreate(name: string, snapshot: string): Promise<void> {
    checkpoints.snapshotCreate(this.open(), name, snapshot);
  }
  async snapshotRevert(name: string, snapshot: string): Promise<void> {
    await checkpoints.snapshotRevert(this.open(), name, snapshot);
  }
  async snapshotDelete(name: string, snapshot: string): Promise<void> {
    checkpoints.snapshotDelete(this.open(), name, snapshot);
  }
  async snapshotList(name: string): Promise<SnapshotInfo[]> {
    return checkpoints.snapshotList(this.open(), name);
  }
  async save(name: string, path: string): Promise<void> {
    await checkpoints.save(this.open(), name, path);
  }
  async restore(path: string): Promise<string> {
    return checkpoints.restore(this.open(), path);
  }

  async checkpointWrite(name: string, dir: string): Promise<CheckpointBundle> {
    return bundles.checkpointWrite(this.open(), name, dir);
  }
  async checkpointMeasure(dir: string): Promise<CheckpointFile[]> {
    return bundles.checkpointMeasure(this.open(), dir);
  }
  async checkpointRestore(name: string, dir: string, options: { paused: boolean; expected: readonly CheckpointFile[] }): Promise<void> {
    await bundles.checkpointRestore(this.open(), name, dir, options);
  }
  async checkpointRemove(dir: string): Promise<void> {
    bundles.checkpointRemove(this.open(), dir);
  }
  /** Lazy: nothing is checked before the first read. */
  async *checkpointReadFile(dir: string, file: string): AsyncIterable<Uint8Array> {
    yield* bundles.checkpointReadFile(this.open(), dir, file);
  }
  async checkpointWriteFile(dir: string, file: string, data: AsyncIterable<Uint8Array>): Promise<CheckpointFile> {
    return bundles.checkpointWriteFile(this.open(), dir, file, data);
  }

  async migrate(name: string, destUri: string, options: MigrateOptions): Promise<void> {
    await migrate(this.open(), name, destUri, options, this.resolve);
  }

  /** Idempotent; drops this connection's listeners. */
  async close(): Promise<void> {
    this.closed = true;
    for (const unsubscribe of [...this.subscriptions]) unsubscribe();
  }

  private open(): SimHost {
    if (this.closed) throw new HypervisorError('invalid-state', `the connection to ${this.host.uri} is closed`);
    return this.host;
  }
}
