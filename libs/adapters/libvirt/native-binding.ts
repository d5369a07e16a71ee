import { existsSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The typed face of the in-repo N-API addon (native/reservoir_libvirt.c), built by scripts/build-native.js at
 * `npm ci` when libvirt-dev and a compiler are present. Every call but `subscribe`, `close` and `alive` runs on
 * libuv's thread pool and resolves or rejects a promise; rejections are {@link LibvirtNativeError}s.
 * Domains are addressed by name; flags are libvirt's own bit values (see libvirt-codes.ts).
 */
export interface LibvirtNative {
  open(uri: string): Promise<NativeHandle>;
  /** [canonical URI, driver type such as 'QEMU' or 'TEST']. */
  connInfo(h: NativeHandle): Promise<[string, string]>;
  /** [CPUs, memory in KiB, capacity of the active storage pools in bytes]. */
  nodeInfo(h: NativeHandle): Promise<[number, number, number]>;
  list(h: NativeHandle): Promise<NativeDomain[]>;
  /** By name, or by UUID when `byUuid` is 1. */
  info(h: NativeHandle, nameOrUuid: string, byUuid: 0 | 1): Promise<[NativeDomain]>;
  define(h: NativeHandle, xml: string, flags: number): Promise<void>;
  start(h: NativeHandle, name: string): Promise<void>;
  shutdown(h: NativeHandle, name: string): Promise<void>;
  destroy(h: NativeHandle, name: string): Promise<void>;
  suspend(h: NativeHandle, name: string): Promise<void>;
  resume(h: NativeHandle, name: string): Promise<void>;
  undefine(h: NativeHandle, name: string, flags: number): Promise<void>;
  xml(h: NativeHandle, name: string, flags: number): Promise<string>;
  save(h: NativeHandle, name: string, path: string): Promise<void>;
  saveImageXml(h: NativeHandle, path: string): Promise<string>;
  restore(h: NativeHandle, path: string, flags: number): Promise<void>;
  /** virDomainRestoreFlags with a replacement domain XML (`dxml`), or none when null. */
  restoreXml(h: NativeHandle, path: string, dxml: string | null, flags: number): Promise<void>;
  /** virDomainBlockCommit of the disk's active layer (top NULL) into `base` (null: see the SHALLOW flag); no bandwidth cap. */
  blockCommit(h: NativeHandle, name: string, disk: string, base: string | null, flags: number): Promise<void>;
  /** virDomainGetBlockJobInfo: [1 when a job runs on the disk else 0, its type, cur, end]. */
  blockJobInfo(h: NativeHandle, name: string, disk: string): Promise<[number, number, number, number]>;
  /** virDomainBlockJobAbort; with the PIVOT flag it switches the disk to the job's target and returns once it has. */
  blockJobAbort(h: NativeHandle, name: string, disk: string, flags: number): Promise<void>;
  snapshotCreate(h: NativeHandle, name: string, xml: string, flags: number): Promise<void>;
  snapshotApply(h: NativeHandle, name: string, snapshot: string, action: 'revert' | 'delete', flags: number): Promise<void>;
  /** Each snapshot's XML description, in no particular order. */
  snapshotList(h: NativeHandle, name: string): Promise<string[]>;
  /** Peer-to-peer: the source daemon connects to `destUri` itself (virDomainMigrateToURI3). */
  migrate(h: NativeHandle, name: string, destUri: string, migrateUri: string | null, listenAddress: string | null, flags: number): Promise<void>;
  /** Defines the network from `xml` when `name` is missing, starts it when inactive; idempotent. */
  networkEnsure(h: NativeHandle, name: string, xml: string): Promise<void>;
  /** Stops and undefines the network. */
  networkRemove(h: NativeHandle, name: string): Promise<void>;
  /** Every network, active or not, as `name\nbridge` (bridge empty when libvirt names none). */
  networkList(h: NativeHandle): Promise<string[]>;
  /** One lifecycle callback per handle, called on the JS thread (event and detail are libvirt's numbers). */
  subscribe(h: NativeHandle, callback: (name: string, uuid: string, event: number, detail: number) => void): void;
  /** Idempotent. Jobs in flight keep their own reference and finish. */
  close(h: NativeHandle): void;
  /** False once the transport to the daemon broke; makes no call to the daemon. */
  alive(h: NativeHandle): boolean;
}

declare const handleBrand: unique symbol;
/** An open libvirt connection, opaque to TypeScript. */
export type NativeHandle = { readonly [handleBrand]: true };

/** A domain as the addon describes it; `state` and `reason` are virDomainState and its reason enum. */
export interface NativeDomain {
  name: string;
  uuid: string;
  state: number;
  reason: number;
  vcpu: number;
  memoryKiB: number;
  maxMemoryKiB: number;
  cpuTimeNs: number;
}

/** How the addon rejects: libvirt's virErrorNumber, virErrorDomain and errno (0 or -1 when none). */
export interface LibvirtNativeError extends Error {
  code: number;
  domain: number;
  errno: number;
}

/** By shape, not `instanceof Error`: the addon's errors come from Node's main realm, not jest's sandbox. */
export function isLibvirtNativeError(error: unknown): error is LibvirtNativeError {
  const e = error as Partial<LibvirtNativeError> | null;
  return typeof e === 'object' && e !== null && typeof e.code === 'number' && typeof e.domain === 'number' && typeof e.message === 'string';
}

export type LibvirtAvailability = { ok: true } | { ok: false; reason: string };

const ADDON = 'reservoir_libvirt.node';
/** Next to this file (ts-jest, ts-node) and, for the compiled broker in dist/, in the source tree. */
const candidates = [join(__dirname, 'native/build/Release', ADDON), join(__dirname, '../../../../libs/adapters/libvirt/native/build/Release', ADDON)];

let loaded: { native: LibvirtNative } | { reason: string } | undefined;

function load(): { native: LibvirtNative } | { reason: string } {
  const file = candidates.find((path) => existsSync(path));
  if (!file) return { reason: `${ADDON} was not built (npm install needs libvirt-dev, pkg-config and a C compiler; see scripts/build-native.js)` };
  try {
    // process.dlopen rather than require: no module registry (jest's included) needs to know about .node files.
    const module = { exports: {} as LibvirtNative };
    process.dlopen(module, file);
    return { native: module.exports };
  } catch (error) {
    return { reason: `${file} does not load: ${error instanceof Error ? error.message : String(error)}` };
  }
}

/** Whether the addon is built and loads on this machine, and why not. Loads it at most once per process. */
export function libvirtAvailable(): LibvirtAvailability {
  loaded ??= load();
  return 'native' in loaded ? { ok: true } : { ok: false, reason: loaded.reason };
}

/** The loaded addon; throws with the reason when {@link libvirtAvailable} is not ok. */
export function libvirtNative(): LibvirtNative {
  loaded ??= load();
  if ('native' in loaded) return loaded.native;
  throw new Error(`libvirt adapter not available: ${loaded.reason}`);
}
