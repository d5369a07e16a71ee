/**
 * The receiving end of checkpoint shipping (docs/rsrs-protocol.md, "Data channel"): a primary site streams each file
 * of a checkpoint bundle here, then completes it. The caller (the data-channel controller) has authenticated the
 * request already; this class decides whether the sender may ship for the service and stores what arrives.
 *
 * - Who may ship: only the primary of a service this site runs a replica of, i.e. the peer of a live (`awarded` or
 *   `active`) provider contract for that service. Any other federation member is refused (`forbidden`).
 * - Where: `<checkpoint dir>/shipped/<from site>/<checkpoint id>/` on one host of the site: the host that already
 *   has files of that bundle, else the first host that is up (by name). Files arrive through `checkpointWriteFile`.
 * - A file whose content is not the signed digest takes the bundle with it (the port deletes whole bundles only);
 *   the sender ships the whole bundle again at its next checkpoint.
 * - Completing checks the bundle digest over the files as measured on the host against the one the primary sent,
 *   then records the checkpoint (id and VEE id as at the primary, the replica's local service id, epoch and time as
 *   sent, one `local` location) and keeps the newest `keep` per VEE.
 */
import { bundleDigest, bundleProblems, type BundleFile, type Sha256Hex } from '@reservoir/domain/protection/checkpoints/bundle-digest';
import { type CheckpointStore } from '@reservoir/domain/ports/checkpoint-store.port';
import { type ContractStore, type StoredContract } from '@reservoir/domain/ports/contract-store.port';
import { type HostStore } from '@reservoir/domain/ports/host-store.port';
import { type CheckpointFile, type HypervisorConnection, isHypervisorError } from '@reservoir/domain/ports/hypervisor.port';
import { type HostRecord } from '@reservoir/domain/hosts/host-record';
import { LogOnChange } from '../logging/log-on-change';

/** Why a shipment was refused; the controller maps each to a status. */
export type ReceiveRefusal = 'forbidden' | 'invalid' | 'digest-mismatch' | 'conflict' | 'unavailable';

export class ReceiveRefused extends Error {
  constructor(readonly reason: ReceiveRefusal, message: string) {
    super(message);
    this.name = 'ReceiveRefused';
  }
}

/** What `POST …/complete` carries: the checkpoint as the primary recorded it. */
export interface ShippedCheckpoint {
  veeId: string;
  /** The service's id at the primary. */
  serviceId: string;
  epoch: number;
  createdAt: Date;
  /** The bundle digest (bundle-digest.ts). */
  sha256: string;
  files: BundleFile[];
}

export interface CheckpointReceiverDeps {
  siteId: string;
  /** Root of checkpoint bundles on every host (RESERVOIR_CHECKPOINT_DIR). */
  dir: string;
  /** Shipped checkpoints kept per VEE (RESERVOIR_CHECKPOINT_KEEP). */
  keep: number;
  contracts: Pick<ContractStore, 'listByService'>;
  hosts: Pick<HostStore, 'list'>;
  connections: { get(host: HostRecord): Promise<HypervisorConnection> };
  checkpoints: CheckpointStore;
  sha256: Sha256Hex;
  clock: { now(): Date };
  log: (line: string) => void;
}

const ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

export class CheckpointReceiver {
  /** One line when a VEE's shipments start arriving from a site (or resume on another host), not one per checkpoint. */
  private readonly arrivals = new LogOnChange((line) => this.d.log(line));

  constructor(private readonly d: CheckpointReceiverDeps) {}

  /** The bundle directory of a shipped checkpoint. */
  bundlePath(from: string, checkpointId: string): string {
    return `${this.d.dir.replace(/\/+$/, '')}/shipped/${from}/${checkpointId}`;
  }

  /** Stores one file; resolves with it as written. `expectedSha256` is the digest the sender signed. */
  async receiveFile(
    from: string, serviceId: string, checkpointId: string, file: string, expectedSha256: string, data: AsyncIterable<Uint8Array>,
  ): Promise<CheckpointFile> {
    checkId('checkpoint id', checkpointId);
    checkId('file name', file);
    await this.replicaContract(from, serviceId);
    const path = this.bundlePath(from, checkpointId);
    const { conn } = (await this.hostWith(path)) ?? (await this.firstHostUp());
    let written: CheckpointFile;
    try {
      written = await conn.checkpointWriteFile(path, file, data);
    } catch (err) {
      if (isHypervisorError(err, 'already-exists')) return this.alreadyThere(conn, path, file, expectedSha256);
      throw new ReceiveRefused('unavailable', `storing ${file} of checkpoint ${checkpointId}: ${err instanceof Error ? err.message : String(err)}`);
    }
    if (written.sha256 !== expectedSha256) {
      await conn.checkpointRemove(path).catch(() => undefined);
      throw new ReceiveRefused('digest-mismatch', `${file} arrived with sha256 ${written.sha256}, not ${expectedSha256} as signed; the bundle was deleted`);
    }
    return written;
  }

  /** Verifies the bundle and records it; resolves with its digest. Completing twice answers the same. */
  async complete(from: string, checkpointId: string, shipped: ShippedCheckpoint): Promise<{ sha256: string }> {
    checkId('checkpoint id', checkpointId);
    const problems = bundleProblems(shipped.files);
    if (problems.length > 0) throw new ReceiveRefused('invalid', problems.map((p) => `${p.path}: ${p.message}`).join('; '));
    const contract = await this.replicaContract(from, shipped.serviceId);
    if (!contract.localServiceId) throw new ReceiveRefused('unavailable', `the replica of service ${shipped.serviceId} is not deployed here yet`);
    const existing = await this.d.checkpoints.get(checkpointId);
    if (existing) {
      if (existing.sha256 === shipped.sha256 && existing.complete) return { sha256: shipped.sha256 };
      throw new ReceiveRefused('conflict', `checkpoint ${checkpointId} is recorded here already, with another digest`);
    }
    const path = this.bundlePath(from, checkpointId);
    const found = await this.hostWith(path);
    if (!found) throw new ReceiveRefused('invalid', `no file of checkpoint ${checkpointId} arrived here`);
    const measured = await found.conn.checkpointMeasure(path);
    const digest = bundleDigest(measured, this.d.sha256);
    const claimed = bundleDigest(shipped.files, this.d.sha256);
    if (digest.sha256 !== shipped.sha256 || claimed.sha256 !== shipped.sha256) {
      throw new ReceiveRefused('digest-mismatch', `checkpoint ${checkpointId}: the files here digest to ${digest.sha256}, the listed files to ${claimed.sha256}, not ${shipped.sha256}`);
    }
    await this.record(checkpointId, shipped, contract.localServiceId, found.host, path, digest.sizeBytes);
    await this.prune(shipped.veeId);
    this.arrivals.report(`${from}/${shipped.veeId}`, found.host.id, `checkpoint ${checkpointId} of VEE ${shipped.veeId} shipped from ${from}: stored on host ${found.host.name} (${digest.sha256}); later ones are logged when this changes`);
    return { sha256: digest.sha256 };
  }

  /** The live provider contract under which `from` is the primary of `serviceId`; `forbidden` otherwise. */
  private async replicaContract(from: string, serviceId: string): Promise<StoredContract> {
    if (!ID.test(serviceId)) throw new ReceiveRefused('invalid', `'${serviceId}' is not a service id`);
    const contract = (await this.d.contracts.listByService(serviceId))
      .find((c) => c.role === 'provider' && c.peer === from && (c.phase === 'awarded' || c.phase === 'active'));
    if (!contract) throw new ReceiveRefused('forbidden', `site '${from}' is not the primary of a service ${serviceId} replicated here`);
    return contract;
  }

  private async record(id: string, s: ShippedCheckpoint, serviceId: string, host: HostRecord, path: string, sizeBytes: number): Promise<void> {
    const locations = [{ kind: 'local' as const, siteId: this.d.siteId, hostId: host.id, path }];
    await this.d.checkpoints.create({ id, veeId: s.veeId, serviceId, epoch: s.epoch, createdAt: s.createdAt, locations });
    await this.d.checkpoints.complete(id, { sizeBytes, sha256: s.sha256, locations, completedAt: this.d.clock.now() });
  }

  /** Keeps the newest `keep` complete shipped checkpoints of the VEE, deleting the others' bundles first. */
  private async prune(veeId: string): Promise<void> {
    const old = (await this.d.checkpoints.listByVee(veeId)).filter((c) => c.complete).slice(this.d.keep);
    const hosts = new Map((await this.d.hosts.list()).map((h) => [h.id, h]));
    const gone: string[] = [];
    for (const c of old) {
      try {
        for (const l of c.locations) {
          const host = l.hostId === undefined ? undefined : hosts.get(l.hostId);
          if (host) await (await this.d.connections.get(host)).checkpointRemove(l.path);
        }
        gone.push(c.id);
      } catch (err) {
        this.d.log(`shipped checkpoint ${c.id} not pruned (kept for the next one): ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    if (gone.length > 0) await this.d.checkpoints.remove(gone);
  }

  /** A retried file: fine when the one there has the signed digest. */
  private async alreadyThere(conn: HypervisorConnection, path: string, file: string, expectedSha256: string): Promise<CheckpointFile> {
    const there = (await conn.checkpointMeasure(path)).find((f) => f.name === file);
    if (there?.sha256 === expectedSha256) return there;
    throw new ReceiveRefused('conflict', `${file} of ${path} exists here with another content`);
  }

  /** The host that holds files of the bundle at `path`, if any. */
  private async hostWith(path: string): Promise<{ host: HostRecord; conn: HypervisorConnection } | undefined> {
    for (const host of await this.d.hosts.list()) {
      if (host.health === 'down') continue;
      try {
        const conn = await this.d.connections.get(host);
        await conn.checkpointMeasure(path);
        return { host, conn };
      } catch {
        // not there (or the host does not answer): try the next
      }
    }
    return undefined;
  }

  private async firstHostUp(): Promise<{ host: HostRecord; conn: HypervisorConnection }> {
    for (const host of await this.d.hosts.list()) {
      if (host.health === 'down') continue;
      try {
        return { host, conn: await this.d.connections.get(host) };
      } catch {
        // try the next
      }
    }
    throw new ReceiveRefused('unavailable', `site ${this.d.siteId} has no host up to store a checkpoint on`);
  }
}

function checkId(what: string, value: string): void {
  if (!ID.test(value)) throw new ReceiveRefused('invalid', `'${value}' is not a valid ${what}`);
}
