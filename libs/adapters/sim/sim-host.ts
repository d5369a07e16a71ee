import {
  HypervisorError, isDomainActive,
  type DomainSpec, type DomainState, type HypervisorOperation, type LifecycleEventType, type LifecycleListener, type LifecycleReason,
} from '@reservoir/domain/ports/hypervisor.port';
import { type SimCheckpointBundle } from './sim-checkpoint-bundles';
import { type SimDomain, type SimSnapshot } from './sim-domain';
import { type SimImageCatalogue } from './sim-image-catalogue';
import { formatSimUri, type SimHostConfig } from './sim-uri';
import { type SimTimer } from './sim-timer';

/** How long simulated operations take, in milliseconds of the {@link SimTimer}. Zero completes at once. */
export interface SimDelays {
  /** `start` and the start half of `snapshotRevert` (libvirt: about 250 ms). */
  bootMs: number;
  /** From `shutdown` to 'shutoff' (the call itself returns at once). */
  shutdownMs: number;
  saveMs: number;
  /** `restore` and `checkpointRestore`. */
  restoreMs: number;
  migrateMs: number;
  /** How long `checkpointWrite` keeps a running guest paused (libvirt: about 115 ms with dirty memory). */
  checkpointPauseMs: number;
}

/** What every simulated host of one factory shares. */
export interface SimEnvironment {
  timer: SimTimer;
  delays: SimDelays;
  catalogue: SimImageCatalogue;
  /** False to behave like a driver without migration (libvirt's test driver): `migrate` is 'unsupported'. */
  migration: boolean;
}

/** A save image kept in memory instead of a file: the configuration and state at save time. */
export interface SimSaveImage extends SimSnapshot {
  spec: DomainSpec;
}

/**
 * One simulated host: its domains, save images, listeners, injected refusals and whether it is up.
 * Operations live in sim-lifecycle.ts, sim-checkpoints.ts, sim-checkpoint-bundles.ts and sim-migration.ts; this class keeps the invariants
 * (unique names and uuids, memory accounting, CPU time, events) in one place.
 */
export class SimHost {
  readonly saveImages = new Map<string, SimSaveImage>();
  /** Checkpoint bundles by directory, standing for the host's files. */
  readonly checkpointBundles = new Map<string, SimCheckpointBundle>();
  private readonly domains = new Map<string, SimDomain>();
  private readonly uuids = new Map<string, string>();
  private readonly listeners = new Set<LifecycleListener>();
  private readonly refusals = new Map<HypervisorOperation, HypervisorError[]>();
  private isDown = false;

  constructor(readonly config: SimHostConfig, readonly env: SimEnvironment) {}

  get uri(): string {
    return formatSimUri(this.config);
  }

  get down(): boolean {
    return this.isDown;
  }

  /** Every operation starts here: a dead host and injected refusals win before anything changes. */
  enter(operation: HypervisorOperation): void {
    if (this.isDown) throw this.hostDown(operation);
    const refusal = this.refusals.get(operation)?.shift();
    if (refusal) throw refusal;
  }

  hostDown(operation: string): HypervisorError {
    return new HypervisorError('host-down', `${operation}: sim host '${this.config.name}' is down`);
  }

  refuseNext(operation: HypervisorOperation, error: HypervisorError): void {
    this.refusals.set(operation, [...(this.refusals.get(operation) ?? []), error]);
  }

  all(): SimDomain[] {
    return [...this.domains.values()];
  }

  find(name: string): SimDomain | undefined {
    return this.domains.get(name);
  }

  /** The domain or 'not-found'. */
  domain(name: string): SimDomain {
    const d = this.domains.get(name);
    if (!d) throw new HypervisorError('not-found', `no domain '${name}' on sim host '${this.config.name}'`);
    return d;
  }

  /** 'already-exists' unless both the name and the uuid are free. */
  ensureFree(spec: DomainSpec): void {
    if (this.domains.has(spec.name)) throw new HypervisorError('already-exists', `domain '${spec.name}' already exists on sim host '${this.config.name}'`);
    const holder = this.uuids.get(spec.uuid.toLowerCase());
    if (holder !== undefined) throw new HypervisorError('already-exists', `uuid ${spec.uuid} already belongs to domain '${holder}'`);
  }

  add(d: SimDomain): void {
    this.ensureFree(d.spec);
    this.domains.set(d.spec.name, d);
    this.uuids.set(d.spec.uuid.toLowerCase(), d.spec.name);
  }

  remove(d: SimDomain): void {
    if (this.domains.get(d.spec.name) !== d) return;
    this.domains.delete(d.spec.name);
    this.uuids.delete(d.spec.uuid.toLowerCase());
  }

  /** 'invalid-state', retryable, while another operation on the domain is under way. */
  ensureIdle(d: SimDomain, operation: HypervisorOperation): void {
    if (d.busy) throw new HypervisorError('invalid-state', `cannot ${operation} '${d.spec.name}': ${d.busy} in progress`, { retryable: true });
  }

  ensureState(d: SimDomain, operation: HypervisorOperation, allowed: readonly DomainState[]): void {
    if (!allowed.includes(d.state)) {
      throw new HypervisorError('invalid-state', `cannot ${operation} '${d.spec.name}': it is ${d.state} (needs ${allowed.join(' or ')})`);
    }
  }

  /** Physical memory only: the sum over active domains may not exceed the host's; vCPUs may be overcommitted. */
  ensureMemory(memoryMiB: number): void {
    const used = this.all().filter((d) => isDomainActive(d.state)).reduce((sum, d) => sum + d.spec.memoryMiB, 0);
    if (used + memoryMiB > this.config.memoryMiB) {
      throw new HypervisorError('insufficient-capacity', `sim host '${this.config.name}' has ${this.config.memoryMiB - used} MiB free, ${memoryMiB} MiB needed`);
    }
  }

  /** Disks are allocated at definition: the sum over defined domains may not exceed the host's disk. */
  ensureDisk(spec: DomainSpec): void {
    const size = (s: DomainSpec) => s.disks.reduce((sum, disk) => sum + disk.sizeGiB, 0);
    const used = this.all().reduce((sum, d) => sum + size(d.spec), 0);
    if (used + size(spec) > this.config.diskGiB) {
      throw new HypervisorError('insufficient-capacity', `sim host '${this.config.name}' has ${this.config.diskGiB - used} GiB of disk free, ${size(spec)} GiB needed`);
    }
  }

  /** Changes state, keeping CPU time and the epoch right. Leaving 'shutoff'/'crashed' starts a fresh CPU count. */
  setState(d: SimDomain, state: DomainState): void {
    const now = this.env.timer.now();
    if (d.runningSince !== undefined) d.cpuNs += Math.round((now - d.runningSince) * 1e6 * d.spec.vcpu);
    if (!isDomainActive(d.state) && isDomainActive(state)) d.cpuNs = 0;
    d.runningSince = state === 'running' || state === 'shutting-down' ? now : undefined;
    d.state = state;
    d.epoch += 1;
  }

  cpuTimeNs(d: SimDomain): number {
    const spell = d.runningSince === undefined ? 0 : (this.env.timer.now() - d.runningSince) * 1e6 * d.spec.vcpu;
    return d.cpuNs + Math.round(spell);
  }

  /** Waits out a simulated duration, then fails if the host died or the domain was overtaken meanwhile. */
  async hold(d: SimDomain, operation: HypervisorOperation, ms: number): Promise<void> {
    const epoch = d.epoch;
    if (ms > 0) await this.env.timer.sleep(ms);
    if (this.isDown) throw this.hostDown(operation);
    if (d.epoch !== epoch || this.domains.get(d.spec.name) !== d) {
      throw new HypervisorError('operation-failed', `${operation} of '${d.spec.name}' failed: the domain became ${d.state} meanwhile`);
    }
    d.busy = undefined;
  }

  subscribe(listener: LifecycleListener): () => void {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  }

  /** Synchronous delivery after the change is complete; a throwing listener cannot corrupt the host. */
  emit(d: SimDomain, type: LifecycleEventType, reason?: LifecycleReason): void {
    const event = { domain: d.spec.name, uuid: d.spec.uuid, type, ...(reason === undefined ? {} : { reason }) };
    for (const listener of [...this.listeners]) {
      try {
        listener(event);
      } catch {
        // Listeners must not throw (port contract); the simulated hypervisor carries on like a real one.
      }
    }
  }

  /** Power loss: every active domain dies silently (no events leave a dead host); calls fail until revived. */
  kill(): void {
    this.isDown = true;
    for (const d of this.all()) {
      d.busy = undefined;
      if (isDomainActive(d.state)) this.setState(d, 'crashed');
    }
  }

  revive(): void {
    this.isDown = false;
  }
}
