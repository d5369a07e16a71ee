/**
 * The hypervisor as the broker needs it: one connection per host, domains (VEEs) described in neutral terms,
 * lifecycle, inspection, events, snapshots, save/restore and migration. Owned by the VEE use cases and
 * reconcilers; adapters: libs/adapters/sim (simulated hosts) and libs/adapters/libvirt. Both pass the shared
 * contract suite in libs/testing/hypervisor-contract.ts, which is the executable form of the rules written here.
 *
 * Bulk data never passes through the broker: disks and save images are paths on the host, migration streams
 * go host to host. Every operation rejects with a {@link HypervisorError}; events only wake reconcile loops,
 * `info`/`list` are the truth.
 */

/**
 * Domain states. `crashed` is inactive and covers a guest panic and a hypervisor process that died (libvirt reports
 * the latter as shutoff with reason crashed or failed; its adapter maps both to `crashed`).
 */
export type DomainState = 'running' | 'blocked' | 'paused' | 'shutting-down' | 'shutoff' | 'crashed' | 'pm-suspended' | 'unknown';

/** States in which the domain holds host memory (it has a hypervisor process); 'unknown' counts, to be safe. */
export function isDomainActive(state: DomainState): boolean {
  return state !== 'shutoff' && state !== 'crashed';
}

/** What the host has, physically. Active domains' memory must fit in `memoryMiB`; vCPUs may be overcommitted. */
export interface HostCapacity {
  vcpu: number;
  memoryMiB: number;
  diskGiB: number;
}

/** A disk image from the site's image catalogue, by reference; the host resolves it, the broker never reads it. */
export interface BaseImageRef {
  ref: string;
  /** Lower-case hex; when given, the adapter refuses an image with another digest ('invalid-argument'). */
  sha256?: string;
}

/** One disk of a domain. */
export interface DiskSpec {
  /** Unique within the domain. */
  name: string;
  /** Where the disk lives on the host; the adapter chooses when absent. */
  path?: string;
  sizeGiB: number;
  format: 'qcow2' | 'raw';
  /** The disk starts as a copy-on-write overlay of this image. */
  baseImage?: BaseImageRef;
}

/**
 * One network a domain joins, with its guaranteed bandwidth. The interface is attached to `segment`, an isolated
 * layer-2 network on the host (no route out, no DHCP) that only the domains naming the same segment share: the
 * broker gives each service's networks their own segments. The adapter creates a segment with the first domain
 * defined on it and removes it when the last such domain is undefined.
 */
export interface NetworkSpec {
  /** Unique within the domain. */
  name: string;
  /** The host-wide name of the isolated segment: letters, digits, '.', '_' and '-', at most 64 characters. */
  segment: string;
  /** Enforced where {@link HostFeatures.bandwidthQoS} says so. */
  bandwidthMbps?: number;
}

/** Segment names the port accepts (also valid libvirt network names). */
export const SEGMENT_NAME = /^[A-Za-z0-9._-]{1,64}$/;

/** What a host can do beyond running domains. */
export interface HostFeatures {
  /** Whether `bandwidthMbps` is enforced on this host, and why not when it is not (e.g. the kernel lacks a qdisc). */
  bandwidthQoS: { enforced: true } | { enforced: false; reason: string };
}

/** Boot from the first disk, or directly from a kernel file on the host (the small test guests). */
export type BootSpec = { kind: 'disk' } | { kind: 'kernel'; kernelPath: string; initrdPath?: string; cmdline?: string };

/**
 * Everything needed to define a domain, with no hypervisor syntax in it (the libvirt adapter renders XML).
 * `name` is unique per host and `uuid` (RFC 4122 text form) unique per host too.
 */
export interface DomainSpec {
  name: string;
  uuid: string;
  vcpu: number;
  memoryMiB: number;
  disks: DiskSpec[];
  networks: NetworkSpec[];
  boot: BootSpec;
  /** Host path the serial console is written to. */
  consoleLogPath?: string;
  /** Configuration properties handed to the guest at boot (the tier's `<configuration>`). */
  properties: Readonly<Record<string, string>>;
}

/** A domain as `list` shows it. */
export interface DomainSummary {
  name: string;
  uuid: string;
  state: DomainState;
}

/** A domain as `info` shows it. */
export interface DomainInfo extends DomainSummary {
  vcpu: number;
  memoryMiB: number;
  /** CPU time used since the domain last started, in nanoseconds (exact up to about 104 vCPU-days). */
  cpuTimeNs: number;
}

/** A snapshot as `snapshotList` shows it. */
export interface SnapshotInfo {
  name: string;
  /** The domain's state when the snapshot was taken; reverting returns the domain to it. */
  state: DomainState;
}

/** How to undefine. */
export interface UndefineOptions {
  /** Also delete the disk files the adapter created for the domain (its overlays); a caller's own `path` stays. */
  removeDisks?: boolean;
}

/** How to migrate. */
export interface MigrateOptions {
  /** Keep the guest running during the transfer (short downtime at the end); otherwise it pauses for the copy. */
  live: boolean;
  /** Copy the disks too (no shared storage between the hosts). */
  copyStorage?: boolean;
}

/** What happened to a domain. */
export type LifecycleEventType = 'defined' | 'undefined' | 'started' | 'stopped' | 'crashed' | 'paused' | 'resumed' | 'migrated';

/** Why an event happened, where the hypervisor says. */
export type LifecycleReason =
  | 'booted' | 'shutdown' | 'destroyed' | 'saved' | 'restored' | 'snapshot' | 'migrated' | 'guest-panic' | 'failed' | 'api';

/**
 * A change on the connection's host. `migrated` is sent by the source host when a domain has left it; the
 * destination sends `defined` and `started` with reason `migrated`.
 */
export interface LifecycleEvent {
  domain: string;
  uuid: string;
  type: LifecycleEventType;
  reason?: LifecycleReason;
}

/** Must not throw and must not block: queue work for a reconcile loop. */
export type LifecycleListener = (event: LifecycleEvent) => void;

/** Read side of one host: what it has and what runs on it. */
export interface HypervisorInspector {
  /** The host's URI as the adapter spells it (canonical form); pass it to another host's `migrate`. */
  readonly uri: string;
  capacity(): Promise<HostCapacity>;
  /** Probed once per connection at most. */
  features(): Promise<HostFeatures>;
  /** The isolated network segments that domains of this host use (see {@link NetworkSpec.segment}). */
  segments(): Promise<string[]>;
  /** Rejects 'not-found' for an unknown domain. */
  info(name: string): Promise<DomainInfo>;
  /** Every domain defined or running on the host (including ones the broker did not create). */
  list(): Promise<DomainSummary[]>;
  /** Events of every domain on this host, from now on; returns the unsubscribe function. */
  onLifecycleEvent(listener: LifecycleListener): () => void;
}

/**
 * Lifecycle. `define` is create-only: an existing name or uuid is 'already-exists' (never an update).
 * A state that does not allow the call is 'invalid-state' (retryable when another operation is in progress).
 */
export interface DomainLifecycle {
  define(spec: DomainSpec): Promise<void>;
  /** From shutoff or crashed; resolves once the domain runs. 'insufficient-capacity' when the host cannot hold it. */
  start(name: string): Promise<void>;
  /**
   * Asks a running guest to power off and resolves once asked; completion shows as state 'shutoff' and a
   * 'stopped' event (reason 'shutdown'). A guest may ignore it: the caller falls back to `destroy` on its own clock.
   */
  shutdown(name: string): Promise<void>;
  /** Hard stop of an active domain; state 'shutoff'. */
  destroy(name: string): Promise<void>;
  /** Removes an inactive domain's definition and its snapshots. An active domain is 'invalid-state'. */
  undefine(name: string, options?: UndefineOptions): Promise<void>;
  /** From running only. */
  pause(name: string): Promise<void>;
  /** From paused only. */
  resume(name: string): Promise<void>;
}

/** Point-in-time state: snapshots kept by the hypervisor and save images written to host files. */
export interface DomainCheckpoints {
  /** Disks and, for an active domain, memory. Duplicate snapshot name 'already-exists'. */
  snapshotCreate(name: string, snapshot: string): Promise<void>;
  /** The domain returns to the snapshot's disks, memory and state (running, paused or shutoff). */
  snapshotRevert(name: string, snapshot: string): Promise<void>;
  snapshotDelete(name: string, snapshot: string): Promise<void>;
  /** Oldest first. */
  snapshotList(name: string): Promise<SnapshotInfo[]>;
  /** Writes an active domain's memory and configuration to `path` on the host; the domain ends shutoff. */
  save(name: string, path: string): Promise<void>;
  /**
   * Runs the domain saved at `path` again (paused if it was saved paused, where the driver records that), defining
   * it when the host does not know it; resolves to the domain's name. The image stays. An unknown path is
   * 'not-found', an active domain of that name 'invalid-state'.
   */
  restore(path: string): Promise<string>;
}

/** One file of a checkpoint bundle, as it is on the host. */
export interface CheckpointFile {
  /** File name inside the bundle directory (no path). */
  name: string;
  bytes: number;
  /** Lower-case hex sha256 of the file's content. */
  sha256: string;
}

/** What `checkpointWrite` produced. */
export interface CheckpointBundle {
  /** Every file of the bundle, sorted by name: the guest's memory and device state, and one file per disk. */
  files: CheckpointFile[];
  /** How long this call kept the guest paused; 0 when the domain was paused already (a group cut pauses first). */
  pausedMs: number;
}

/**
 * Checkpoints as self-contained bundles of files in a host directory: what the broker keeps, digests, copies and
 * ships. Each bundle holds the guest's memory and device state and each disk's state at one instant, and can
 * bring the domain back any number of times (restoring never writes into the bundle).
 */
export interface DomainCheckpointBundles {
  /**
   * Captures an active (running or paused) domain into `dir`, which must not exist yet (the adapter creates it;
   * 'already-exists' otherwise). The domain goes on in the state it had; the pause is kept as short as the driver
   * allows and reported. An inactive domain is 'invalid-state'; a driver that cannot, 'unsupported'.
   */
  checkpointWrite(name: string, dir: string): Promise<CheckpointBundle>;
  /** The bundle's files as they are now, digests measured ('not-found' when `dir` does not exist). */
  checkpointMeasure(dir: string): Promise<CheckpointFile[]>;
  /**
   * Brings domain `name` back to the bundle in `dir`: stops it if active, puts each disk back, resumes its memory;
   * it ends running, or paused when `paused`. Name, uuid and console log stay (the log is appended to). The files
   * are measured first: when they differ in any way from `expected` (a file missing, extra, or with another size
   * or digest) nothing is changed and the call rejects 'invalid-argument' naming the file.
   */
  checkpointRestore(name: string, dir: string, options: { paused: boolean; expected: readonly CheckpointFile[] }): Promise<void>;
  /** Deletes the bundle; a missing `dir` is not an error. */
  checkpointRemove(dir: string): Promise<void>;
  /**
   * The content of one file of a bundle, in chunks: the source of a copy to another host or a shipment to a replica
   * site (the bytes pass through the broker). 'not-found' for a missing dir or file, raised on the first read.
   */
  checkpointReadFile(dir: string, file: string): AsyncIterable<Uint8Array>;
  /**
   * Writes one file into the bundle `dir` (created when missing; an existing file of that name is 'already-exists')
   * and resolves with the file as written, its digest measured. A source that fails leaves no file behind.
   */
  checkpointWriteFile(dir: string, file: string, data: AsyncIterable<Uint8Array>): Promise<CheckpointFile>;
}

/** Moving an active domain to another host. */
export interface DomainMobility {
  /**
   * Afterwards the domain is defined and active (same state) on `destUri` and gone from this host. Refused:
   * 'unsupported' (the driver cannot), 'invalid-state' (inactive, or it has snapshots), 'already-exists' (the
   * destination has the name or uuid), 'insufficient-capacity', 'host-down' (either end).
   */
  migrate(name: string, destUri: string, options: MigrateOptions): Promise<void>;
}

/**
 * One host. After 'host-down' the same connection may be used again once the host is back (the adapter
 * reconnects); `close` releases it for good and drops its listeners.
 */
export interface HypervisorConnection extends HypervisorInspector, DomainLifecycle, DomainCheckpoints, DomainCheckpointBundles, DomainMobility {
  close(): Promise<void>;
}

/** Opens connections by host URI (`qemu+unix:///system?socket=...`, `test:///default`, `sim://h1?vcpu=8&...`). */
export interface HypervisorFactory {
  /** Rejects 'invalid-argument' for a URI it does not accept, 'host-down' when the host cannot be reached. */
  connect(uri: string): Promise<HypervisorConnection>;
}

/** Operation names, for errors, logs and failure injection. */
export type HypervisorOperation =
  | 'connect' | 'capacity' | 'features' | 'segments' | 'info' | 'list' | 'define' | 'start' | 'shutdown' | 'destroy' | 'undefine' | 'pause' | 'resume'
  | 'snapshotCreate' | 'snapshotRevert' | 'snapshotDelete' | 'snapshotList' | 'save' | 'restore' | 'migrate'
  | 'checkpointWrite' | 'checkpointMeasure' | 'checkpointRestore' | 'checkpointRemove' | 'checkpointReadFile' | 'checkpointWriteFile';

/**
 * - `not-found`: no such domain, snapshot or save image. `already-exists`: name or uuid taken.
 * - `invalid-state`: not allowed in the domain's current state (retryable when an operation is in progress).
 * - `invalid-argument`: a bad URI or spec; fix the input. `unsupported`: this driver cannot, try another way.
 * - `insufficient-capacity`: this host cannot take it; place elsewhere. `host-down`: unreachable; retry later.
 * - `operation-failed`: the hypervisor tried and failed (e.g. the domain died during the operation).
 */
export type HypervisorErrorCode =
  | 'not-found' | 'already-exists' | 'invalid-state' | 'invalid-argument' | 'unsupported' | 'insufficient-capacity'
  | 'host-down' | 'operation-failed';

/** The one error type of this port (STYLE rule 8): a stable code and whether retrying the same call may help. */
export class HypervisorError extends Error {
  readonly retryable: boolean;

  constructor(
    readonly code: HypervisorErrorCode,
    message: string,
    options: { retryable?: boolean; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'HypervisorError';
    this.retryable = options.retryable ?? code === 'host-down';
  }
}

/** True for a HypervisorError, optionally of the given code. */
export function isHypervisorError(error: unknown, code?: HypervisorErrorCode): error is HypervisorError {
  return error instanceof HypervisorError && (code === undefined || error.code === code);
}
