import {
  HypervisorError, type DomainState, type HypervisorErrorCode, type HypervisorOperation, type LifecycleEvent,
  type LifecycleEventType, type LifecycleReason,
} from '@reservoir/domain/ports/hypervisor.port';
import { isLibvirtNativeError } from './native-binding';

/** libvirt's numbers (libvirt-domain.h, virterror.h of libvirt 9.0; stable ABI) and their meaning for the port. */

export const Flags = {
  DEFINE_VALIDATE: 1,
  UNDEFINE_MANAGED_SAVE: 1,
  UNDEFINE_SNAPSHOTS_METADATA: 2,
  MIGRATE_LIVE: 1,
  MIGRATE_PEER2PEER: 2,
  MIGRATE_PERSIST_DEST: 8,
  MIGRATE_UNDEFINE_SOURCE: 16,
  MIGRATE_PAUSED: 32,
  MIGRATE_NON_SHARED_DISK: 64,
  XML_SECURE: 1,
  XML_INACTIVE: 2,
  SNAPSHOT_NO_METADATA: 4,
  SNAPSHOT_ATOMIC: 128,
  SNAPSHOT_LIVE: 256,
  BLOCK_COMMIT_SHALLOW: 1,
  BLOCK_COMMIT_ACTIVE: 4,
  BLOCK_JOB_ABORT_PIVOT: 2,
  SAVE_RUNNING: 2,
  SAVE_PAUSED: 4,
} as const;

/** virErrorNumber values the adapter tells apart. */
export const VirErr = {
  NO_SUPPORT: 3, NO_CONNECT: 5, INVALID_CONN: 6, INVALID_ARG: 8, XML_ERROR: 27, DOM_EXIST: 28, XML_DETAIL: 35,
  NETWORK_EXIST: 37, SYSTEM_ERROR: 38, RPC: 39, NO_DOMAIN: 42, NO_NETWORK: 43, OPERATION_INVALID: 55, CONFIG_UNSUPPORTED: 67, OPERATION_TIMEOUT: 68,
  NO_DOMAIN_SNAPSHOT: 72, ARGUMENT_UNSUPPORTED: 74, BLOCK_COPY_ACTIVE: 83, OPERATION_UNSUPPORTED: 84, RESOURCE_BUSY: 87, XML_INVALID_SCHEMA: 92,
  NO_SERVER: 95,
} as const;

/** virErrorDomain values of the client-side transport: their errors mean the daemon cannot be reached. */
const TRANSPORT_DOMAINS = new Set([7 /* VIR_FROM_RPC */, 13 /* VIR_FROM_REMOTE */]);
const ENOENT = 2;

const CODE_MEANING = new Map<number, HypervisorErrorCode>([
  [VirErr.NO_DOMAIN, 'not-found'], [VirErr.NO_DOMAIN_SNAPSHOT, 'not-found'],
  [VirErr.DOM_EXIST, 'already-exists'],
  [VirErr.OPERATION_INVALID, 'invalid-state'], [VirErr.OPERATION_TIMEOUT, 'invalid-state'], [VirErr.RESOURCE_BUSY, 'invalid-state'],
  [VirErr.INVALID_ARG, 'invalid-argument'], [VirErr.XML_ERROR, 'invalid-argument'], [VirErr.XML_DETAIL, 'invalid-argument'],
  [VirErr.XML_INVALID_SCHEMA, 'invalid-argument'],
  [VirErr.NO_SUPPORT, 'unsupported'], [VirErr.ARGUMENT_UNSUPPORTED, 'unsupported'], [VirErr.OPERATION_UNSUPPORTED, 'unsupported'],
  [VirErr.CONFIG_UNSUPPORTED, 'unsupported'],
  [VirErr.NO_CONNECT, 'host-down'], [VirErr.INVALID_CONN, 'host-down'], [VirErr.RPC, 'host-down'], [VirErr.NO_SERVER, 'host-down'],
]);

/**
 * Maps whatever an addon call rejected with to the port's error. A system error (errno set) about a file is
 * 'not-found' for ENOENT (an unknown save image), else 'operation-failed'; transport errors are 'host-down'.
 * 'invalid-state' is retryable only when libvirt says another job holds the domain (timeout, busy).
 */
export function toHypervisorError(error: unknown, operation: HypervisorOperation, subject: string): HypervisorError {
  if (error instanceof HypervisorError) return error;
  if (!isLibvirtNativeError(error)) {
    return new HypervisorError('operation-failed', `${operation} ${subject}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  let code = CODE_MEANING.get(error.code) ?? 'operation-failed';
  if (TRANSPORT_DOMAINS.has(error.domain)) code = 'host-down';
  // Opening: a daemon that does not answer is down; anything else (no driver for the scheme, a bad path) is the URI.
  else if (operation === 'connect') code = error.code === VirErr.SYSTEM_ERROR ? 'host-down' : 'invalid-argument';
  else if (error.code === VirErr.SYSTEM_ERROR) code = error.errno === ENOENT ? 'not-found' : 'operation-failed';
  const retryable = code === 'host-down' || error.code === VirErr.OPERATION_TIMEOUT || error.code === VirErr.RESOURCE_BUSY;
  return new HypervisorError(code, `${operation} ${subject}: ${error.message}`, { retryable, cause: error });
}

/** virDomainState (+ shutoff reason) → the port's state. Shutoff because QEMU crashed or failed is 'crashed'. */
export function domainState(state: number, reason: number): DomainState {
  switch (state) {
    case 1: return 'running';
    case 2: return 'blocked';
    case 3: return 'paused';
    case 4: return 'shutting-down';
    case 5: return reason === 3 /* VIR_DOMAIN_SHUTOFF_CRASHED */ || reason === 6 /* _FAILED */ ? 'crashed' : 'shutoff';
    case 6: return 'crashed';
    case 7: return 'pm-suspended';
    default: return 'unknown';
  }
}

/** The state name libvirt writes in a snapshot's `<state>` element. */
export function snapshotState(name: string): DomainState {
  const known: Record<string, DomainState> = {
    running: 'running', blocked: 'blocked', paused: 'paused', shutdown: 'shutting-down', shutoff: 'shutoff', crashed: 'crashed',
    pmsuspended: 'pm-suspended', 'disk-snapshot': 'shutoff',
  };
  return known[name] ?? 'unknown';
}

type Mapped = [LifecycleEventType, LifecycleReason?] | undefined;

/**
 * virDomainEventType and its detail → the port's event, or undefined for events the port has no word for
 * (configuration updates, guest-initiated shutdown requests, PM suspend).
 */
export function lifecycleEvent(domain: string, uuid: string, event: number, detail: number): LifecycleEvent | undefined {
  const mapped = mapEvent(event, detail);
  if (!mapped) return undefined;
  const [type, reason] = mapped;
  return reason ? { domain, uuid, type, reason } : { domain, uuid, type };
}

function mapEvent(event: number, detail: number): Mapped {
  switch (event) {
    case 0: return detail === 0 || detail === 2 ? ['defined'] : undefined; // ADDED, RENAMED (not UPDATED, FROM_SNAPSHOT)
    case 1: return ['undefined'];
    case 2: return ['started', (['booted', 'migrated', 'restored', 'snapshot', 'booted'] as const)[detail]];
    case 3: return ['paused', (['api', 'migrated', 'failed', 'failed', 'restored', 'snapshot', 'failed', 'migrated', 'failed'] as const)[detail]];
    case 4: return ['resumed', (['api', 'migrated', 'snapshot', 'migrated', 'failed'] as const)[detail]];
    case 5: return stoppedEvent(detail);
    case 8: return ['crashed', 'guest-panic'];
    default: return undefined; // 6 SHUTDOWN (guest asked), 7 PMSUSPENDED
  }
}

function stoppedEvent(detail: number): Mapped {
  switch (detail) {
    case 0: return ['stopped', 'shutdown'];
    case 1: return ['stopped', 'destroyed'];
    case 2: return ['crashed', 'failed'];
    case 3: return ['migrated', 'migrated'];
    case 4: return ['stopped', 'saved'];
    case 5: return ['crashed', 'failed'];
    case 6: return ['stopped', 'snapshot'];
    default: return ['stopped'];
  }
}
