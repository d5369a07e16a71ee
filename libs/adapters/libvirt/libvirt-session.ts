import {
  HypervisorError, isDomainActive, type DomainInfo, type HypervisorOperation, type LifecycleEvent,
} from '@reservoir/domain/ports/hypervisor.port';
import { domainState, lifecycleEvent, toHypervisorError, VirErr } from './libvirt-codes';
import { isLibvirtNativeError, type LibvirtNative, type NativeDomain, type NativeHandle } from './native-binding';

/**
 * One libvirt connection that survives its host going away: calls run on the current handle; a 'host-down'
 * failure drops it and the next call opens a new one (re-subscribing to events). Shared by the operation files
 * (libvirt-connection.ts, libvirt-checkpoints.ts, libvirt-migration.ts).
 */
export class LibvirtSession {
  private handle: NativeHandle | undefined;
  private opening: Promise<NativeHandle> | undefined;
  private closed = false;

  constructor(
    readonly native: LibvirtNative,
    /** The URI as the caller gave it: reconnects use it. */
    private readonly requestedUri: string,
    /** Driver type from virConnectGetType ('QEMU', 'TEST', …). */
    readonly driver: string,
    handle: NativeHandle,
    private readonly onEvent: (event: LifecycleEvent) => void,
  ) {
    this.adopt(handle);
  }

  /** Opens a connection; rejects 'host-down' or 'invalid-argument'. */
  static async open(native: LibvirtNative, uri: string): Promise<{ handle: NativeHandle; canonicalUri: string; driver: string }> {
    let handle: NativeHandle | undefined;
    try {
      handle = await native.open(uri);
      const [canonicalUri, driver] = await native.connInfo(handle);
      return { handle, canonicalUri, driver };
    } catch (error) {
      if (handle) native.close(handle);
      throw toHypervisorError(error, 'connect', uri);
    }
  }

  /**
   * Runs `fn` with an open handle. Rejections become HypervisorErrors; one that left the transport dead is
   * 'host-down' whatever libvirt called it, and the handle is dropped for the next call to replace.
   */
  async run<T>(operation: HypervisorOperation, subject: string, fn: (h: NativeHandle) => Promise<T>): Promise<T> {
    const handle = await this.current(operation, subject);
    try {
      return await fn(handle);
    } catch (error) {
      let mapped = toHypervisorError(error, operation, subject);
      if (mapped.code !== 'host-down' && !this.native.alive(handle)) {
        mapped = new HypervisorError('host-down', `${operation} ${subject}: lost the connection to ${this.requestedUri} (${mapped.message})`, { cause: error });
      }
      if (mapped.code === 'host-down') this.drop(handle);
      throw mapped;
    }
  }

  /** The domain's native description, or undefined when the host does not know it. */
  async find(h: NativeHandle, nameOrUuid: string, byUuid = false): Promise<NativeDomain | undefined> {
    try {
      return (await this.native.info(h, nameOrUuid, byUuid ? 1 : 0))[0];
    } catch (error) {
      if (isLibvirtNativeError(error) && error.code === VirErr.NO_DOMAIN) return undefined;
      throw error;
    }
  }

  /** The domain or 'not-found'. */
  async require(h: NativeHandle, name: string): Promise<DomainInfo> {
    const found = await this.find(h, name);
    if (!found) throw new HypervisorError('not-found', `no domain '${name}' on ${this.requestedUri}`);
    return toDomainInfo(found);
  }

  /** Memory (KiB) that active domains hold and the host has: for 'insufficient-capacity' checks. */
  async memory(h: NativeHandle): Promise<{ usedKiB: number; totalKiB: number }> {
    const [[, totalKiB], domains] = await Promise.all([this.native.nodeInfo(h), this.native.list(h)]);
    const active = domains.filter((d) => isDomainActive(domainState(d.state, d.reason)));
    return { usedKiB: active.reduce((sum, d) => sum + d.memoryKiB, 0), totalKiB };
  }

  /** Idempotent; later calls are refused. */
  close(): void {
    this.closed = true;
    if (this.handle) this.native.close(this.handle);
    this.handle = undefined;
  }

  private async current(operation: HypervisorOperation, subject: string): Promise<NativeHandle> {
    if (this.closed) throw new HypervisorError('invalid-state', `${operation} ${subject}: the connection to ${this.requestedUri} is closed`);
    if (this.handle) return this.handle;
    this.opening ??= LibvirtSession.open(this.native, this.requestedUri)
      .then(({ handle }) => {
        if (this.closed) {
          this.native.close(handle);
          throw new HypervisorError('invalid-state', `the connection to ${this.requestedUri} is closed`);
        }
        this.adopt(handle);
        return handle;
      })
      .finally(() => {
        this.opening = undefined;
      });
    return this.opening;
  }

  /** Makes `handle` current and feeds its lifecycle events to `onEvent` while it stays current. */
  private adopt(handle: NativeHandle): void {
    try {
      this.native.subscribe(handle, (name, uuid, event, detail) => {
        const mapped = lifecycleEvent(name, uuid, event, detail);
        if (mapped && this.handle === handle) this.onEvent(mapped);
      });
    } catch (error) {
      this.native.close(handle);
      throw toHypervisorError(error, 'connect', `${this.requestedUri} (lifecycle events)`);
    }
    this.handle = handle;
  }

  private drop(handle: NativeHandle): void {
    if (this.handle !== handle) return;
    this.handle = undefined;
    this.native.close(handle);
  }
}

export function toDomainInfo(d: NativeDomain): DomainInfo {
  return {
    name: d.name,
    uuid: d.uuid,
    state: domainState(d.state, d.reason),
    vcpu: d.vcpu,
    memoryMiB: Math.round(d.maxMemoryKiB / 1024),
    cpuTimeNs: d.cpuTimeNs,
  };
}
