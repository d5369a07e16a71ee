import { createHash } from 'node:crypto';
import { Ed25519Verifier } from '@reservoir/adapters/federation/ed25519';
import { MemorySeenMessages } from '@reservoir/adapters/federation/memory-seen-messages';
import { TestFederation } from '@reservoir/adapters/federation/test-federation';
import { SimHypervisorFactory } from '@reservoir/adapters/sim/sim-hypervisor.factory';
import { authenticateDataRequest } from '@reservoir/domain/federation/protocol/data-channel-auth';
import { type StoredCheckpoint } from '@reservoir/domain/ports/checkpoint-store.port';
import { type StoredContract } from '@reservoir/domain/ports/contract-store.port';
import { type HostRecord } from '@reservoir/domain/hosts/host-record';
import { FakeCheckpointStore } from '@reservoir/testing/fakes-protection';
import { buildHostRecord, FakeContractStore } from '@reservoir/testing/fakes-federation';
import { FakeClock } from '@reservoir/testing/fakes';
import { sha256Hex, digestOf } from '../protection/checkpoint-deps';
import { CheckpointReceiver, ReceiveRefused, type ShippedCheckpoint } from './checkpoint-receiver';
import { CheckpointShipper, type DataRequestOut, type DataTransport } from './checkpoint-shipper';

const fed = new TestFederation(['fa', 'fb', 'fc']);
const SERVICE = '11111111-1111-4111-8111-111111111111';
const LOCAL_SERVICE = '22222222-2222-4222-8222-222222222222';
const VEE = '33333333-3333-4333-8333-333333333333';
const sha = (text: string | Buffer) => createHash('sha256').update(text).digest('hex');

async function* chunks(...parts: string[]): AsyncGenerator<Uint8Array> {
  for (const p of parts) yield Buffer.from(p);
}

/** One site: a sim host, a checkpoint store. */
function site(id: string) {
  const factory = new SimHypervisorFactory();
  const host: HostRecord = buildHostRecord(`${id}-h1`, { vcpu: 8, memoryMiB: 4096, diskGiB: 100 });
  const connections = { get: (h: HostRecord) => factory.connect(h.uri) };
  return { id, factory, host, connections, hosts: { list: async () => [host], get: async (hid: string) => (hid === host.id ? host : undefined) }, checkpoints: new FakeCheckpointStore() };
}

function receiverAt(b: ReturnType<typeof site>, contracts: FakeContractStore, log: string[] = []) {
  return new CheckpointReceiver({
    siteId: b.id, dir: '/ckpt', keep: 2, contracts, hosts: b.hosts, connections: b.connections, checkpoints: b.checkpoints,
    sha256: sha256Hex, clock: new FakeClock(), log: (l) => log.push(l),
  });
}

function providerContract(peer: string, fields: Partial<StoredContract> = {}): StoredContract {
  const at = new Date('2026-01-01T00:00:00.000Z');
  return {
    id: `c-${peer}`, serviceId: SERVICE, role: 'provider', peer, tiers: [], pricePerHour: 0, currency: 'EUR', phase: 'active',
    expiresAt: new Date('2027-01-01T00:00:00.000Z'), createdAt: at, updatedAt: at, localServiceId: LOCAL_SERVICE, ...fields,
  };
}

/** A transport that runs the receiving controller's steps in process: authenticate, then hand to the receiver. */
function inProcess(receiver: CheckpointReceiver, clock: FakeClock, seen = new MemorySeenMessages()): DataTransport & { requests: DataRequestOut[] } {
  const requests: DataRequestOut[] = [];
  const transport = async (r: DataRequestOut) => {
    requests.push(r);
    const url = new URL(r.url);
    const target = `${url.pathname}${url.search}`;
    const auth = await authenticateDataRequest(r.method, target, r.headers, { peers: fed.peers, verifier: new Ed25519Verifier(), seen, now: clock.now(), clockWindowMs: 60_000 });
    if (!auth.ok) return { status: 401, body: auth.detail };
    const id = decodeURIComponent(url.pathname.split('/')[4] ?? '');
    try {
      if (r.method === 'PUT') {
        const file = decodeURIComponent(url.pathname.split('/')[6] ?? '');
        const data = r.body instanceof Uint8Array ? chunks(Buffer.from(r.body).toString()) : r.body;
        return { status: 201, body: JSON.stringify(await receiver.receiveFile(auth.request.site, url.searchParams.get('serviceId') ?? '', id, file, auth.request.contentSha256, data)) };
      }
      const body = JSON.parse(Buffer.from(r.body as Uint8Array).toString()) as ShippedCheckpoint & { createdAt: string };
      return { status: 201, body: JSON.stringify(await receiver.complete(auth.request.site, id, { ...body, createdAt: new Date(body.createdAt) })) };
    } catch (err) {
      return { status: err instanceof ReceiveRefused ? 422 : 500, body: String(err) };
    }
  };
  return Object.assign(transport, { requests });
}

describe('checkpoint shipping (shipper → receiver, sim hosts at both ends)', () => {
  const clock = new FakeClock(new Date('2026-03-02T10:00:00.000Z'));
  let a: ReturnType<typeof site>;
  let b: ReturnType<typeof site>;
  let contracts: FakeContractStore;
  let log: string[];

  beforeEach(() => {
    a = site('fa');
    b = site('fb');
    contracts = new FakeContractStore();
    contracts.contracts.set('c-fa', providerContract('fa'));
    log = [];
  });

  /** A running domain at fa checkpointed into a bundle and recorded complete. */
  async function checkpointAtA(id: string, epoch = 1): Promise<StoredCheckpoint> {
    const conn = await a.connections.get(a.host);
    const name = `vee-${id}`;
    await conn.define({ name, uuid: `c0ffee00-0000-4000-8000-${String(epoch).padStart(12, '0')}`, vcpu: 1, memoryMiB: 64, disks: [{ name: 'root', sizeGiB: 1, format: 'qcow2' }], networks: [], boot: { kind: 'disk' }, properties: {} });
    await conn.start(name);
    const path = `/ckpt/${name}/${id}`;
    const bundle = await conn.checkpointWrite(name, path);
    const digest = digestOf(bundle.files);
    const locations = [{ kind: 'local' as const, siteId: 'fa', hostId: a.host.id, path }];
    await a.checkpoints.create({ id, veeId: VEE, serviceId: SERVICE, epoch, createdAt: clock.now(), locations });
    await a.checkpoints.complete(id, { ...digest, locations, completedAt: clock.now() });
    return (await a.checkpoints.get(id)) as StoredCheckpoint;
  }

  function shipper(transport: DataTransport, replicas = ['fb']) {
    let n = 0;
    return new CheckpointShipper({
      siteId: 'fa', signer: fed.signer('fa'), replicaSites: async () => replicas, endpoint: (s) => (s === 'fb' ? 'http://fb.example:8080/' : undefined),
      checkpoints: a.checkpoints, hosts: a.hosts, connections: a.connections, transport, sha256: sha256Hex,
      nonce: () => `nonce-${(n += 1)}-0123456789abcdef`, clock, log: (l) => log.push(l),
    });
  }

  it('ships every file and completes; the replica records it and the primary gains the shipped location', async () => {
    const c = await checkpointAtA('ck-1');
    const s = shipper(inProcess(receiverAt(b, contracts), clock));
    s.enqueue(c);
    await s.idle();
    expect((await a.checkpoints.get('ck-1'))?.locations).toContainEqual({ kind: 'shipped', siteId: 'fb', path: 'http://fb.example:8080/v1/data/checkpoints/ck-1' });
    const atB = await b.checkpoints.get('ck-1');
    expect(atB).toMatchObject({ veeId: VEE, serviceId: LOCAL_SERVICE, epoch: 1, sha256: c.sha256, complete: true });
    expect(atB?.locations).toEqual([{ kind: 'local', siteId: 'fb', hostId: b.host.id, path: '/ckpt/shipped/fa/ck-1' }]);
    const measured = await (await b.connections.get(b.host)).checkpointMeasure('/ckpt/shipped/fa/ck-1');
    expect(digestOf(measured).sha256).toBe(c.sha256);
  });

  it('ships the newest of the checkpoints queued while one is under way (older ones skipped)', async () => {
    const transport = inProcess(receiverAt(b, contracts), clock);
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => (release = r));
    const s = shipper(async (r) => {
      await gate; // the first shipment hangs until the newer checkpoints are queued
      return transport(r);
    });
    const [c1, c2, c3] = [await checkpointAtA('ck-1', 1), await checkpointAtA('ck-2', 2), await checkpointAtA('ck-3', 3)];
    s.enqueue(c1);
    await new Promise((r) => setImmediate(r));
    s.enqueue(c2);
    s.enqueue(c3);
    await new Promise((r) => setImmediate(r));
    release();
    await s.idle();
    const completed = transport.requests.filter((r) => r.method === 'POST').map((r) => r.url.split('/')[6]);
    expect(completed).toEqual(['ck-1', 'ck-3']);
  });

  it('logs a refused shipment and adds no location; a site that is no replica is forbidden', async () => {
    contracts.contracts.clear();
    const c = await checkpointAtA('ck-1');
    const s = shipper(inProcess(receiverAt(b, contracts), clock));
    s.enqueue(c);
    await s.idle();
    expect((await a.checkpoints.get('ck-1'))?.locations.map((l) => l.kind)).toEqual(['local']);
    expect(log.join('\n')).toMatch(/not shipped to fb .*forbidden|not the primary/);
  });

  it('does not ship a bundle that no longer matches its record', async () => {
    const c = await checkpointAtA('ck-1');
    a.factory.corruptCheckpointFile(a.host.uri, '/ckpt/vee-ck-1/ck-1', 'memory.state');
    const transport = inProcess(receiverAt(b, contracts), clock);
    const s = shipper(transport);
    s.enqueue(c);
    await s.idle();
    expect(transport.requests).toEqual([]);
    expect(log.join('\n')).toContain('no local copy of the bundle matches its record');
  });
});

describe('CheckpointReceiver', () => {
  let b: ReturnType<typeof site>;
  let contracts: FakeContractStore;
  beforeEach(() => {
    b = site('fb');
    contracts = new FakeContractStore();
    contracts.contracts.set('c-fa', providerContract('fa'));
  });
  const refused = async (p: Promise<unknown>) => ((await p.then(() => undefined, (e: unknown) => e)) as ReceiveRefused | undefined)?.reason;

  it('deletes the bundle when a file is not the signed digest', async () => {
    const r = receiverAt(b, contracts);
    await r.receiveFile('fa', SERVICE, 'ck-1', 'a.bin', sha('a'), chunks('a'));
    expect(await refused(r.receiveFile('fa', SERVICE, 'ck-1', 'b.bin', sha('b'), chunks('not b')))).toBe('digest-mismatch');
    await expect((await b.connections.get(b.host)).checkpointMeasure('/ckpt/shipped/fa/ck-1')).rejects.toMatchObject({ code: 'not-found' });
  });

  it('takes a retried file with the same content; refuses another content (conflict)', async () => {
    const r = receiverAt(b, contracts);
    await r.receiveFile('fa', SERVICE, 'ck-1', 'a.bin', sha('a'), chunks('a'));
    await expect(r.receiveFile('fa', SERVICE, 'ck-1', 'a.bin', sha('a'), chunks('a'))).resolves.toMatchObject({ name: 'a.bin', sha256: sha('a') });
    expect(await refused(r.receiveFile('fa', SERVICE, 'ck-1', 'a.bin', sha('x'), chunks('x')))).toBe('conflict');
  });

  it('refuses a site that is not the primary, a released contract, bad names, and a completion whose digest differs', async () => {
    const r = receiverAt(b, contracts);
    expect(await refused(r.receiveFile('fc', SERVICE, 'ck-1', 'a.bin', sha('a'), chunks('a')))).toBe('forbidden');
    contracts.contracts.set('c-fa', providerContract('fa', { phase: 'released' }));
    expect(await refused(r.receiveFile('fa', SERVICE, 'ck-1', 'a.bin', sha('a'), chunks('a')))).toBe('forbidden');
    contracts.contracts.set('c-fa', providerContract('fa'));
    expect(await refused(r.receiveFile('fa', SERVICE, 'ck-1', '../etc', sha('a'), chunks('a')))).toBe('invalid');
    await r.receiveFile('fa', SERVICE, 'ck-1', 'a.bin', sha('a'), chunks('a'));
    const files = [{ name: 'a.bin', bytes: 1, sha256: sha('a') }];
    const shipped = { veeId: VEE, serviceId: SERVICE, epoch: 1, createdAt: new Date('2026-03-02T10:00:00.000Z'), files };
    expect(await refused(r.complete('fa', 'ck-1', { ...shipped, sha256: 'f'.repeat(64) }))).toBe('digest-mismatch');
    expect(await b.checkpoints.get('ck-1')).toBeUndefined();
    const good = digestOf(files).sha256;
    await expect(r.complete('fa', 'ck-1', { ...shipped, sha256: good })).resolves.toEqual({ sha256: good });
    await expect(r.complete('fa', 'ck-1', { ...shipped, sha256: good })).resolves.toEqual({ sha256: good });
  });

  it('keeps the newest `keep` shipped checkpoints of a VEE, deleting the older bundles', async () => {
    const r = receiverAt(b, contracts);
    for (const [i, id] of ['ck-1', 'ck-2', 'ck-3'].entries()) {
      await r.receiveFile('fa', SERVICE, id, 'a.bin', sha(id), chunks(id));
      const files = [{ name: 'a.bin', bytes: id.length, sha256: sha(id) }];
      await r.complete('fa', id, { veeId: VEE, serviceId: SERVICE, epoch: i + 1, createdAt: new Date(Date.UTC(2026, 2, 2, 10, i)), files, sha256: digestOf(files).sha256 });
    }
    expect((await b.checkpoints.listByVee(VEE)).map((c) => c.id)).toEqual(['ck-3', 'ck-2']);
    await expect((await b.connections.get(b.host)).checkpointMeasure('/ckpt/shipped/fa/ck-1')).rejects.toMatchObject({ code: 'not-found' });
  });
});
