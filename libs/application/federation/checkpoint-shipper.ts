/**
 * The sending end of checkpoint shipping (docs/rsrs-protocol.md, "Data channel"): after a checkpoint completes at
 * the primary (`enqueue`, a completion listener of the checkpoint service), each replica site of its service gets
 * a copy over the site-to-site HTTP data channel, so a site lost with its hosts does not take the service's state.
 *
 * Per replica: measure the bundle on its host and compare its digest with the record (never ship what is not the
 * checkpoint), `PUT` each file streamed from the host with signed headers, `POST …/complete` with the record; on
 * 201 with the same digest add the location `{kind: 'shipped', siteId: replica, path: '<endpoint>/v1/data/checkpoints/<id>'}`.
 *
 * At most one shipment runs per VEE and replica; a newer checkpoint waiting replaces an older one not started yet
 * (newest wins). A failure is logged; the next checkpoint is shipped as usual (which retries the replica).
 */
import { signDataRequest } from '@reservoir/domain/federation/protocol/data-channel-auth';
import { type Sha256Hex, bundleDigest } from '@reservoir/domain/protection/checkpoints/bundle-digest';
import { type CheckpointStore, type StoredCheckpoint } from '@reservoir/domain/ports/checkpoint-store.port';
import { type MessageSigner } from '@reservoir/domain/ports/federation-security.port';
import { type HostStore } from '@reservoir/domain/ports/host-store.port';
import { type CheckpointFile, type HypervisorConnection } from '@reservoir/domain/ports/hypervisor.port';
import { type HostRecord } from '@reservoir/domain/hosts/host-record';
import { LogOnChange } from '../logging/log-on-change';

/** One HTTP request of the data channel; the adapter streams `body` (fetch with `duplex: 'half'`). */
export interface DataRequestOut {
  method: 'PUT' | 'POST';
  url: string;
  headers: Record<string, string>;
  body: AsyncIterable<Uint8Array> | Uint8Array;
}

/** Sends a request and reads the answer; rejects only when no answer came (network). */
export type DataTransport = (request: DataRequestOut) => Promise<{ status: number; body: string }>;

export interface CheckpointShipperDeps {
  siteId: string;
  signer: MessageSigner;
  /** Replica sites of a service (live consumer contracts); empty when it has none. */
  replicaSites(serviceId: string): Promise<string[]>;
  /** A site's data-channel base URL (the federation file's `endpoint`), undefined when it has none. */
  endpoint(site: string): string | undefined;
  checkpoints: Pick<CheckpointStore, 'get' | 'addLocation'>;
  hosts: Pick<HostStore, 'get'>;
  connections: { get(host: HostRecord): Promise<HypervisorConnection> };
  transport: DataTransport;
  sha256: Sha256Hex;
  /** A fresh nonce per request. */
  nonce(): string;
  clock: { now(): Date };
  log: (line: string) => void;
}

interface Queue {
  next?: StoredCheckpoint;
  running: Promise<void>;
}

export class CheckpointShipper {
  private readonly queues = new Map<string, Queue>();
  private readonly pending = new Set<Promise<void>>();
  /** One line per change of a VEE's shipping outcome to a site, not one per checkpoint. */
  private readonly outcomes = new LogOnChange((line) => this.d.log(line));

  constructor(private readonly d: CheckpointShipperDeps) {}

  /** Schedules shipping to every replica site of the checkpoint's service (a listener: never throws, never waits). */
  enqueue(checkpoint: StoredCheckpoint): void {
    const started = this.d.replicaSites(checkpoint.serviceId).then(
      (sites) => sites.forEach((site) => this.queue(site, checkpoint)),
      (err: unknown) => this.d.log(`checkpoint ${checkpoint.id}: replica sites unknown, not shipped: ${describe(err)}`),
    );
    this.track(started);
  }

  /** Resolves once nothing is being shipped (tests). */
  async idle(): Promise<void> {
    while (this.pending.size > 0) await Promise.all([...this.pending]);
  }

  /** Ships one checkpoint to one replica site now; resolves with the shipped location's path. */
  async ship(checkpoint: StoredCheckpoint, replica: string): Promise<string> {
    const endpoint = this.d.endpoint(replica)?.replace(/\/+$/, '');
    if (!endpoint) throw new Error(`site ${replica} has no endpoint in the federation file`);
    const record = await this.d.checkpoints.get(checkpoint.id);
    if (!record?.complete || record.sha256 === undefined) throw new Error('it is not complete (or was pruned)');
    const base = `${endpoint}/v1/data/checkpoints/${encodeURIComponent(record.id)}`;
    if (record.locations.some((l) => l.kind === 'shipped' && l.siteId === replica)) return base;
    const { conn, path, files } = await this.measured(record);
    for (const file of files) {
      const target = `/v1/data/checkpoints/${encodeURIComponent(record.id)}/files/${encodeURIComponent(file.name)}?serviceId=${encodeURIComponent(record.serviceId)}`;
      const answer = await this.send('PUT', endpoint, target, file.sha256, conn.checkpointReadFile(path, file.name), { 'content-type': 'application/octet-stream' });
      if (answer.status !== 200 && answer.status !== 201) throw new Error(`PUT ${file.name}: ${answer.status} ${answer.body}`);
    }
    const json = JSON.stringify({
      veeId: record.veeId, serviceId: record.serviceId, epoch: record.epoch, createdAt: record.createdAt.toISOString(), sha256: record.sha256,
      files: files.map(({ name, bytes, sha256 }) => ({ name, bytes, sha256 })),
    });
    const target = `/v1/data/checkpoints/${encodeURIComponent(record.id)}/complete`;
    const answer = await this.send('POST', endpoint, target, this.d.sha256(json), new TextEncoder().encode(json), { 'content-type': COMPLETE_TYPE });
    const sha256 = answer.status === 201 ? (JSON.parse(answer.body) as { sha256?: unknown }).sha256 : undefined;
    if (sha256 !== record.sha256) throw new Error(`complete: ${answer.status} ${answer.body}`);
    await this.d.checkpoints.addLocation(record.id, { kind: 'shipped', siteId: replica, path: base });
    return base;
  }

  private queue(site: string, checkpoint: StoredCheckpoint): void {
    const key = `${checkpoint.veeId}|${site}`;
    const queued = this.queues.get(key);
    if (queued) {
      queued.next = checkpoint; // newest wins: an older one not started yet is skipped
      return;
    }
    const q: Queue = { next: checkpoint, running: Promise.resolve() };
    this.queues.set(key, q);
    q.running = (async () => {
      for (let c = q.next; c !== undefined; c = q.next) {
        q.next = undefined;
        await this.ship(c, site).then(
          (path) => this.outcomes.report(key, 'shipped', `checkpoint ${c?.id} of VEE ${c?.veeId} shipped to ${site}: ${path}; later shipments are logged when this changes`),
          (err: unknown) => this.outcomes.report(key, `failed: ${describe(err)}`, `checkpoint ${c?.id} of VEE ${c?.veeId} not shipped to ${site} (retried with the next checkpoint): ${describe(err)}`),
        );
      }
      this.queues.delete(key);
    })();
    this.track(q.running);
  }

  /** The bundle's files as they are on its host, checked against the record's digest. */
  private async measured(record: StoredCheckpoint): Promise<{ conn: HypervisorConnection; path: string; files: CheckpointFile[] }> {
    for (const location of record.locations) {
      if (location.kind !== 'local' || location.siteId !== this.d.siteId || location.hostId === undefined) continue;
      try {
        const host = await this.d.hosts.get(location.hostId);
        if (!host) continue;
        const conn = await this.d.connections.get(host);
        const files = await conn.checkpointMeasure(location.path);
        if (bundleDigest(files, this.d.sha256).sha256 === record.sha256) return { conn, path: location.path, files };
        this.d.log(`checkpoint ${record.id}: the bundle at ${location.path} on ${host.name} does not match its record; not shipped from there`);
      } catch (err) {
        this.d.log(`checkpoint ${record.id}: bundle at ${location.path} not readable: ${describe(err)}`);
      }
    }
    throw new Error('no local copy of the bundle matches its record');
  }

  private async send(
    method: 'PUT' | 'POST', endpoint: string, target: string, contentSha256: string, body: DataRequestOut['body'], extra: Record<string, string>,
  ): Promise<{ status: number; body: string }> {
    const headers = signDataRequest({ method, path: target, site: this.d.siteId, date: this.d.clock.now().toISOString(), nonce: this.d.nonce(), contentSha256 }, this.d.signer);
    return this.d.transport({ method, url: `${endpoint}${target}`, headers: { ...extra, ...headers }, body });
  }

  private track(p: Promise<void>): void {
    this.pending.add(p);
    void p.finally(() => this.pending.delete(p));
  }
}

/** The media type of `POST …/complete` (JSON; a type of its own so the body reaches the controller unparsed). */
export const COMPLETE_TYPE = 'application/vnd.reservoir.checkpoint-complete+json';

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
