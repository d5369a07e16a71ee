import {
  HypervisorError, isDomainActive,
  type DiskSpec, type DomainInfo, type DomainSpec, type DomainSummary, type HostCapacity, type HostFeatures, type HypervisorConnection,
  type LifecycleEvent, type LifecycleListener, type MigrateOptions, type SnapshotInfo, type UndefineOptions,
  type CheckpointBundle, type CheckpointFile,
} from '@reservoir/domain/ports/hypervisor.port';
import { rm, statfs } from 'node:fs/promises';
import { dirname } from 'node:path';
import * as bundles from './libvirt-checkpoint-bundles';
import * as checkpoints from './libvirt-checkpoints';
import { Flags } from './libvirt-codes';
import { migrate, type MigrationSettings } from './libvirt-migration';
import { type LibvirtSession, toDomainInfo } from './libvirt-session';
import { renderDomainXml, unescapeXml } from './domain-xml';
import { ensureSegments, joinedNetworks, listSegments, probeBandwidthQoS, releaseSegments } from './libvirt-segments';
import { noDiskProvisioning, type DiskProvisioner, type ProvisionedDisk } from './overlay';
import { type NativeHandle } from './native-binding';

/** What a connection needs from its factory. */
export interface LibvirtConnectionSettings {
  domainType: 'qemu' | 'kvm';
  /** Where disks without a `path` are created on the host. */
  diskDir: string;
  /** The host path of a catalogue image. */
  resolveImage(ref: string): string;
  provisioner: DiskProvisioner;
  migration: MigrationSettings;
}

/**
 * One libvirt host behind the Hypervisor port. libvirt is the truth for every check: the port's rules that libvirt
 * does not enforce itself (define never updates, undefine only inactive domains, state checks that drivers report
 * inconsistently) are checked here against a fresh lookup, then libvirt's own error covers the races.
 */
export class LibvirtConnection implements HypervisorConnection {
  private readonly listeners = new Set<LifecycleListener>();
  private probedFeatures: Promise<HostFeatures> | undefined;

  constructor(
    private readonly session: LibvirtSession,
    /** Canonical URI (virConnectGetURI). */
    readonly uri: string,
    private readonly settings: LibvirtConnectionSettings,
  ) {}

  /** For the factory: the session's events go to this connection's listeners; a throwing listener is ignored. */
  deliver(event: LifecycleEvent): void {
    for (const listener of [...this.listeners]) {
      try {
        listener(event);
      } catch {
        // listeners must not throw (port rule); one that does cannot stop the others
      }
    }
  }

  /**
   * Storage is the host's active storage pools; a local host without pools, whose disks this adapter creates in its
   * disk directory, has the size of that directory's file system instead.
   */
  async capacity(): Promise<HostCapacity> {
    const [cpus, memoryKiB, pools] = await this.session.run('capacity', this.uri, (h) => this.session.native.nodeInfo(h));
    const storageBytes = pools === 0 && this.settings.provisioner !== noDiskProvisioning ? await fileSystemBytes(this.settings.diskDir) : pools;
    return { vcpu: cpus, memoryMiB: Math.floor(memoryKiB / 1024), diskGiB: Math.floor(storageBytes / 2 ** 30) };
  }

  /** Probed once per connection (a failed probe is retried next time). */
  features(): Promise<HostFeatures> {
    this.probedFeatures ??= this.session
      .run('features', this.uri, async (h) => ({ bandwidthQoS: await probeBandwidthQoS(this.session.native, h) }))
      .catch((error: unknown) => {
        this.probedFeatures = undefined;
        throw error;
      });
    return this.probedFeatures;
  }

  segments(): Promise<string[]> {
    return this.session.run('segments', this.uri, (h) => listSegments(this.session.native, h));
  }

  info(name: string): Promise<DomainInfo> {
    return this.session.run('info', name, (h) => this.session.require(h, name));
  }

  async list(): Promise<DomainSummary[]> {
    const domains = await this.session.run('list', this.uri, (h) => this.session.native.list(h));
    return domains.map(toDomainInfo).map(({ name, uuid, state }) => ({ name, uuid, state }));
  }

  onLifecycleEvent(listener: LifecycleListener): () => void {
    const wrapped: LifecycleListener = (event) => listener(event);
    this.listeners.add(wrapped);
    return () => this.listeners.delete(wrapped);
  }

  /** Create-only: libvirt's define would update a domain of the same name and uuid, so both are looked up first. */
  define(spec: DomainSpec): Promise<void> {
    return this.session.run('define', spec.name, async (h) => {
      const byName = await this.session.find(h, spec.name);
      const byUuid = byName ? undefined : await this.session.find(h, spec.uuid, true);
      if (byName || byUuid) {
        const taken = byName ? `name '${spec.name}'` : `uuid ${spec.uuid} (domain '${byUuid?.name}')`;
        throw new HypervisorError('already-exists', `define ${spec.name}: ${taken} is taken on ${this.uri}`);
      }
      const shape = spec.networks.some((n) => n.bandwidthMbps !== undefined) ? (await this.features()).bandwidthQoS.enforced : true;
      const xml = renderDomainXml(spec, { domainType: this.domainType(), diskPath: (disk) => this.diskPath(spec, disk), bandwidth: shape });
      const undo = await this.settings.provisioner.provision(spec.disks.map((disk) => this.provisioned(spec, disk)));
      try {
        await ensureSegments(this.session.native, h, spec.networks.map((n) => n.segment));
        await this.session.native.define(h, xml, Flags.DEFINE_VALIDATE);
      } catch (error) {
        await releaseSegments(this.session.native, h, spec.networks.map((n) => n.segment)).catch(() => undefined);
        await undo();
        throw error;
      }
    });
  }

  start(name: string): Promise<void> {
    return this.session.run('start', name, async (h) => {
      const domain = await this.inState(h, 'start', name, (s) => !isDomainActive(s), 'shut off or crashed');
      const { usedKiB, totalKiB } = await this.session.memory(h);
      if (usedKiB + domain.memoryMiB * 1024 > totalKiB) {
        throw new HypervisorError('insufficient-capacity',
          `start ${name}: ${domain.memoryMiB} MiB does not fit next to ${Math.round(usedKiB / 1024)} MiB of active domains in ${Math.floor(totalKiB / 1024)} MiB on ${this.uri}`);
      }
      await ensureSegments(this.session.native, h, joinedNetworks(await this.session.native.xml(h, name, 0)));
      await this.session.native.start(h, name);
    });
  }

  shutdown(name: string): Promise<void> {
    return this.act('shutdown', name, isDomainActive, 'active', (h) => this.session.native.shutdown(h, name));
  }
  destroy(name: string): Promise<void> {
    return this.act('destroy', name, isDomainActive, 'active', (h) => this.session.native.destroy(h, name));
  }
  /**
   * libvirt would turn an active persistent domain transient instead of refusing: checked here. `removeDisks`
   * deletes the disk files this adapter created (its disk directory) once the domain is gone, where it provisions.
   * The domain's segments that no other domain joins are removed with it.
   */
  undefine(name: string, options: UndefineOptions = {}): Promise<void> {
    const flags = Flags.UNDEFINE_MANAGED_SAVE | Flags.UNDEFINE_SNAPSHOTS_METADATA;
    return this.act('undefine', name, (s) => !isDomainActive(s), 'inactive', async (h) => {
      const provisions = this.settings.provisioner !== noDiskProvisioning;
      const xml = await this.session.native.xml(h, name, 0);
      const owned = options.removeDisks && provisions ? ownedDiskFiles(xml, this.settings.diskDir) : [];
      await this.session.native.undefine(h, name, flags);
      await Promise.all(owned.map((path) => rm(path, { force: true })));
      await releaseSegments(this.session.native, h, joinedNetworks(xml));
    });
  }
  pause(name: string): Promise<void> {
    return this.act('pause', name, (s) => s === 'running' || s === 'blocked', 'running', (h) => this.session.native.suspend(h, name));
  }
  resume(name: string): Promise<void> {
    return this.act('resume', name, (s) => s === 'paused', 'paused', (h) => this.session.native.resume(h, name));
  }

  snapshotCreate(name: string, snapshot: string): Promise<void> {
    return checkpoints.snapshotCreate(this.session, name, snapshot);
  }
  snapshotRevert(name: string, snapshot: string): Promise<void> {
    return checkpoints.snapshotApply(this.session, 'snapshotRevert', name, snapshot);
  }
  snapshotDelete(name: string, snapshot: string): Promise<void> {
    return checkpoints.snapshotApply(this.session, 'snapshotDelete', name, snapshot);
  }
  snapshotList(name: string): Promise<SnapshotInfo[]> {
    return checkpoints.snapshotList(this.session, name);
  }
  save(name: string, path: string): Promise<void> {
    return this.act('save', name, isDomainActive, 'active', (h) => this.session.native.save(h, name, path));
  }
  restore(path: string): Promise<string> {
    return checkpoints.restore(this.session, path);
  }

  /** External live snapshot, disk copies, block commit back; see libvirt-checkpoint-bundles.ts. Local hosts only. */
  checkpointWrite(name: string, dir: string): Promise<CheckpointBundle> {
    return bundles.checkpointWrite(this.session, (listener) => this.onLifecycleEvent(listener), name, dir);
  }
  checkpointMeasure(dir: string): Promise<CheckpointFile[]> {
    return bundles.checkpointMeasure(dir);
  }
  checkpointRestore(name: string, dir: string, options: { paused: boolean; expected: readonly CheckpointFile[] }): Promise<void> {
    return bundles.checkpointRestore(this.session, name, dir, options);
  }
  checkpointRemove(dir: string): Promise<void> {
    return bundles.checkpointRemove(dir);
  }
  checkpointReadFile(dir: string, file: string): AsyncIterable<Uint8Array> {
    return bundles.checkpointReadFile(dir, file);
  }
  checkpointWriteFile(dir: string, file: string, data: AsyncIterable<Uint8Array>): Promise<CheckpointFile> {
    return bundles.checkpointWriteFile(dir, file, data);
  }

  async migrate(name: string, destUri: string, options: MigrateOptions): Promise<void> {
    const segments = await migrate(this.session, this.uri, name, destUri, options, this.settings.migration);
    // The domain is on the destination: a segment left empty here is cleanup, and its failure is no migration failure.
    await this.releaseSegments(segments).catch(() => undefined);
  }

  /** Idempotent; drops this connection's listeners. */
  async close(): Promise<void> {
    this.listeners.clear();
    this.session.close();
  }

  /** For a migration or restore landing here: the segments the domain joins exist and are active first. */
  prepareSegments(segments: readonly string[]): Promise<void> {
    return this.session.run('segments', this.uri, (h) => ensureSegments(this.session.native, h, segments));
  }

  /** After a domain left this host: its segments that nothing else joins go. */
  releaseSegments(segments: readonly string[]): Promise<void> {
    return this.session.run('segments', this.uri, (h) => releaseSegments(this.session.native, h, segments));
  }

  /** Memory held by active domains and the host's total, for a destination's capacity check. */
  memory(): Promise<{ usedKiB: number; totalKiB: number }> {
    return this.session.run('capacity', this.uri, (h) => this.session.memory(h));
  }

  private act(
    operation: 'shutdown' | 'destroy' | 'undefine' | 'pause' | 'resume' | 'save', name: string,
    allowed: (state: DomainInfo['state']) => boolean, wanted: string, call: (h: NativeHandle) => Promise<void>,
  ): Promise<void> {
    return this.session.run(operation, name, async (h) => {
      await this.inState(h, operation, name, allowed, wanted);
      await call(h);
    });
  }

  /** The domain, when its state allows the operation; else 'not-found' or a non-retryable 'invalid-state'. */
  private async inState(h: NativeHandle, operation: string, name: string, allowed: (state: DomainInfo['state']) => boolean, wanted: string): Promise<DomainInfo> {
    const domain = await this.session.require(h, name);
    if (!allowed(domain.state)) throw new HypervisorError('invalid-state', `${operation} ${name}: the domain is ${domain.state}, not ${wanted}`);
    return domain;
  }

  private domainType(): 'qemu' | 'kvm' | 'test' {
    return this.session.driver === 'TEST' ? 'test' : this.settings.domainType;
  }

  private diskPath(spec: DomainSpec, disk: DiskSpec): string {
    return disk.path ?? `${this.settings.diskDir}/${spec.name}-${disk.name}.${disk.format}`;
  }

  private provisioned(spec: DomainSpec, disk: DiskSpec): ProvisionedDisk {
    const base = disk.baseImage && { path: this.settings.resolveImage(disk.baseImage.ref), sha256: disk.baseImage.sha256 };
    return { path: this.diskPath(spec, disk), format: disk.format, sizeGiB: disk.sizeGiB, owned: disk.path === undefined, ...(base ? { base } : {}) };
  }
}

/** The file disks of a domain's XML that lie directly in `diskDir` (the ones the adapter chose paths for). */
export function ownedDiskFiles(xml: string, diskDir: string): string[] {
  const dir = `${diskDir.replace(/\/+$/, '')}/`;
  const paths = [...xml.matchAll(/<disk\b[\s\S]*?<\/disk>/g)]
    .map((m) => /<source\s+file=(['"])(.*?)\1/.exec(m[0])?.[2])
    .filter((p): p is string => p !== undefined)
    .map(unescapeXml);
  return paths.filter((p) => p.startsWith(dir) && !p.slice(dir.length).includes('/'));
}

/** Size of the file system holding `dir` (or its nearest existing parent); 0 when none can be read. */
async function fileSystemBytes(dir: string): Promise<number> {
  for (let d = dir; ; d = dirname(d)) {
    const fs = await statfs(d).catch(() => undefined);
    if (fs) return fs.blocks * fs.bsize;
    if (dirname(d) === d) return 0;
  }
}
