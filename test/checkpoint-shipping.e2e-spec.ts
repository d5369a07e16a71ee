import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { freePort } from '../libs/testing/site-process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { type BrokerConfig, loadConfig } from '@reservoir/config';
import { MemoryEventBus } from '@reservoir/adapters/bus/memory-event-bus';
import { TestFederation } from '@reservoir/adapters/federation/test-federation';
import { signDataRequest } from '@reservoir/domain/federation/protocol/data-channel-auth';
import { type CheckpointStore } from '@reservoir/domain/ports/checkpoint-store.port';
import { type DeployDeps } from '@reservoir/application/deploy/deploy-deps';
import { digestOf } from '@reservoir/application/protection/checkpoint-deps';
import { type MessageSigner } from '@reservoir/domain/ports/federation-security.port';
import { exampleManifest, tempDataDir } from '@reservoir/testing';
import { type RunningBroker, startBroker } from '../apps/site-broker/bootstrap';
import { CHECKPOINT_STORE, DEPLOY_DEPS } from '../apps/site-broker/tokens';
import { DATA_CHANNEL, type DataChannel } from '../apps/site-broker/data-channel/data-channel';
import { eventually } from '../libs/testing/eventually';

/**
 * Checkpoint shipping over the data channel between two in-process site brokers on simulated hosts: a service with
 * a `checkpoint` tier and replicas="1" runs at fa and is replicated to fb; a checkpoint taken at fa arrives at fb
 * (digest verified) and fa's record gains the `shipped` location. Forged, replayed, tampered and unauthorized
 * uploads are refused with nothing stored. fc is a federation member with no broker (a site that is no replica).
 */
const SITES = ['fa', 'fb'] as const;
type Site = (typeof SITES)[number];

const MANIFEST = exampleManifest('minimal.xml').toString('utf8')
  .replace('name="counter" version', 'name="shipped" version')
  .replace('protection="none"/>', 'protection="checkpoint" checkpoint-interval-ms="3600000"/>')
  .replace('</service>', '  <service-QoS availability="99" replicas="1"/>\n</service>');

describe('checkpoint shipping over the data channel', () => {
  const dir = mkdtempSync(join(tmpdir(), 'reservoir-ship-'));
  const bus = new MemoryEventBus();
  const brokers = new Map<Site, RunningBroker>();
  const configs = new Map<Site, BrokerConfig>();
  let federation: TestFederation;
  const broker = (site: Site) => brokers.get(site) as RunningBroker;
  const http = (site: Site) => request(broker(site).url);
  const until = <T>(what: string, probe: () => Promise<T | undefined> | T | undefined, ms = 20_000): Promise<T> => eventually(what, probe, { ms, everyMs: 50 });
  const store = (site: Site) => broker(site).app.get<CheckpointStore>(CHECKPOINT_STORE);

  /** The files of a shipped bundle at fb, on whichever host has them; undefined when no host has it. */
  const shippedAtB = async (checkpointId: string) => {
    const deps = broker('fb').app.get<DeployDeps>(DEPLOY_DEPS);
    const path = `${(configs.get('fb') as BrokerConfig).checkpoints.dir}/shipped/fa/${checkpointId}`;
    for (const host of await deps.hosts.list()) {
      const files = await (await deps.connections.get(host)).checkpointMeasure(path).catch(() => undefined);
      if (files) return files;
    }
    return undefined;
  };

  /** A signed upload to fb, as site `as` would send it (signed with `by`, the site's own key unless forging). */
  const upload = (path: string, body: Buffer, opts: { as?: string; by?: MessageSigner; signedBody?: Buffer; nonce?: string } = {}) => {
    const site = opts.as ?? 'fa';
    const contentSha256 = createHash('sha256').update(opts.signedBody ?? body).digest('hex');
    const headers = signDataRequest(
      { method: 'PUT', path, site, date: new Date().toISOString(), nonce: opts.nonce ?? `n-${Math.random().toString(36).slice(2)}-0123456789`, contentSha256 },
      opts.by ?? federation.signer(site),
    );
    return { headers, send: () => http('fb').put(path).set(headers).set('content-type', 'application/octet-stream').send(body) };
  };

  beforeAll(async () => {
    const ports = { fa: await freePort(), fb: await freePort() };
    federation = new TestFederation(['fa', 'fb', 'fc'], { fa: `http://127.0.0.1:${ports.fa}`, fb: `http://127.0.0.1:${ports.fb}` });
    const files = federation.writeFiles(dir);
    for (const site of SITES) {
      const config = loadConfig({
        RESERVOIR_SITE_ID: site, RESERVOIR_HTTP_HOST: '127.0.0.1', RESERVOIR_HTTP_PORT: String(ports[site]), RESERVOIR_DATA_DIR: tempDataDir(),
        RESERVOIR_SITE_KEY_FILE: files.keyFiles[site] as string, RESERVOIR_FEDERATION_FILE: files.federationFile,
        RESERVOIR_HEARTBEAT_MS: '100', RESERVOIR_DEAD_AFTER_MS: '5000', RESERVOIR_CFP_WINDOW_MS: '300', RESERVOIR_RECONCILE_PERIOD_MS: '500',
        RESERVOIR_DATA_MAX_BYTES: '65536',
      });
      configs.set(site, config);
      brokers.set(site, await startBroker(config, { logger: ['error'], bus, log: () => undefined }));
      for (const rack of [1, 2]) {
        await http(site).post('/v1/hosts').send({ name: `${site}-h${rack}`, uri: `sim://${site}-h${rack}?vcpu=16&memory-mib=16384&disk-gib=500&failure-domain=rack${rack}` }).expect(201);
      }
    }
  }, 60_000);

  afterAll(async () => {
    for (const b of brokers.values()) await b.close();
    await bus.close();
    rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  let serviceId: string;
  let checkpointId: string;

  it('ships a checkpoint taken at the primary to its replica site, where it arrives verified', async () => {
    serviceId = (await http('fa').post('/v1/services').set('content-type', 'application/xml').send(MANIFEST).expect(201)).body.id;
    const service = await until('the replica at fb deployed', async () => {
      const s = (await http('fa').get(`/v1/services/${serviceId}`).expect(200)).body;
      return s.phase === 'running' && s.replicas?.[0]?.site === 'fb' && s.replicas[0].contract.phase === 'active' && s.replicas[0].phase !== 'deploying' ? s : undefined;
    });
    const veeId = service.vees[0].id as string;
    const taken = (await http('fa').post(`/v1/vees/${veeId}/checkpoints`).expect(201)).body;
    checkpointId = taken.id;
    const shipped = await until('the shipped location at fa', async () => {
      const items = (await http('fa').get(`/v1/vees/${veeId}/checkpoints`).expect(200)).body.items as { id: string; locations: { kind: string; siteId: string; path: string }[] }[];
      return items.find((c) => c.id === checkpointId)?.locations.find((l) => l.kind === 'shipped');
    });
    expect(shipped).toEqual({ kind: 'shipped', siteId: 'fb', path: `${federation.federation.sites[1]?.endpoint}/v1/data/checkpoints/${checkpointId}` });
    const atB = await store('fb').get(checkpointId);
    expect(atB).toMatchObject({ id: checkpointId, veeId, epoch: taken.epoch, complete: true, sha256: taken.sha256, sizeBytes: taken.sizeBytes });
    expect(atB?.locations).toEqual([expect.objectContaining({ kind: 'local', siteId: 'fb', path: `${(configs.get('fb') as BrokerConfig).checkpoints.dir}/shipped/fa/${checkpointId}` })]);
    const files = await shippedAtB(checkpointId);
    expect(files && digestOf(files).sha256).toBe(taken.sha256);
  }, 40_000);

  it('refuses a forged upload (signed with another key), storing nothing', async () => {
    const path = `/v1/data/checkpoints/forged-1/files/memory.state?serviceId=${serviceId}`;
    const res = await upload(path, Buffer.from('evil'), { by: TestFederation.signerFor('mallory') }).send().expect(401);
    expect(res.body.errors[0].message).toContain('bad-signature');
    expect(await shippedAtB('forged-1')).toBeUndefined();
  });

  it('refuses an unknown site (401) and a member that is no primary of the service (403), storing nothing', async () => {
    const path = `/v1/data/checkpoints/other-1/files/memory.state?serviceId=${serviceId}`;
    const unknown = await upload(path, Buffer.from('x'), { as: 'fx', by: TestFederation.signerFor('fx') }).send().expect(401);
    expect(unknown.body.errors[0].message).toContain('unknown-site');
    const member = await upload(path, Buffer.from('x'), { as: 'fc' }).send().expect(403);
    expect(member.body.errors[0].message).toContain("site 'fc' is not the primary");
    expect(await shippedAtB('other-1')).toBeUndefined();
  });

  it('refuses a replayed upload (same nonce) and keeps the first one unchanged', async () => {
    const path = `/v1/data/checkpoints/replay-1/files/a.bin?serviceId=${serviceId}`;
    const first = upload(path, Buffer.from('first'));
    await first.send().expect(201);
    const replay = await http('fb').put(path).set(first.headers).set('content-type', 'application/octet-stream').send(Buffer.from('first')).expect(409);
    expect(replay.body.errors[0].message).toContain('replay');
    expect(await shippedAtB('replay-1')).toEqual([{ name: 'a.bin', bytes: 5, sha256: createHash('sha256').update('first').digest('hex') }]);
  });

  it('refuses a tampered body (not the signed digest) with 422, storing nothing', async () => {
    const path = `/v1/data/checkpoints/tampered-1/files/memory.state?serviceId=${serviceId}`;
    const res = await upload(path, Buffer.from('tampered'), { signedBody: Buffer.from('original') }).send().expect(422);
    expect(res.body.errors[0].message).toContain('digest-mismatch');
    expect(await shippedAtB('tampered-1')).toBeUndefined();
    expect(await store('fb').get('tampered-1')).toBeUndefined();
  });

  it('refuses a file larger than RESERVOIR_DATA_MAX_BYTES with 413, storing nothing', async () => {
    const path = `/v1/data/checkpoints/big-1/files/memory.state?serviceId=${serviceId}`;
    await upload(path, Buffer.alloc(70_000, 1)).send().expect(413);
    expect(await shippedAtB('big-1')).toBeUndefined();
  });

  it('has the data channel wired at both sites', () => {
    for (const site of SITES) expect(broker(site).app.get<DataChannel | null>(DATA_CHANNEL)).not.toBeNull();
  });
});
