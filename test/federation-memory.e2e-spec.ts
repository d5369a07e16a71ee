import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { loadConfig } from '@reservoir/config';
import { MemoryEventBus } from '@reservoir/adapters/bus/memory-event-bus';
import { TestFederation } from '@reservoir/adapters/federation/test-federation';
import { type RunningBroker, startBroker } from '../apps/site-broker/bootstrap';
import { exampleManifest, tempDataDir } from '@reservoir/testing';
import { eventually } from '../libs/testing/eventually';

/**
 * Three federated site brokers in one process on one in-process bus (the zero-setup federation): heartbeats make
 * them alive to each other, a service with replicas="2" submitted at A is deployed at A and replicated to B and C
 * under contracts, and when C stops A marks it dead and its contract broken. The same flow over real Kafka with
 * separate processes is test/federation-kafka.e2e-spec.ts.
 */
const SITES = ['fa', 'fb', 'fc'] as const;
type Site = (typeof SITES)[number];

describe('a three-site federation on the in-process bus', () => {
  const dir = mkdtempSync(join(tmpdir(), 'reservoir-fed-'));
  const federation = new TestFederation([...SITES]);
  const files = federation.writeFiles(dir);
  const bus = new MemoryEventBus();
  const brokers = new Map<Site, RunningBroker>();
  const http = (site: Site) => request((brokers.get(site) as RunningBroker).url);
  const until = <T>(what: string, probe: () => Promise<T | undefined> | T | undefined, ms = 20_000): Promise<T> => eventually(what, probe, { ms, everyMs: 50 });

  beforeAll(async () => {
    for (const site of SITES) {
      const config = loadConfig({
        RESERVOIR_SITE_ID: site, RESERVOIR_HTTP_HOST: '127.0.0.1', RESERVOIR_HTTP_PORT: '0', RESERVOIR_DATA_DIR: tempDataDir(),
        RESERVOIR_SITE_KEY_FILE: files.keyFiles[site], RESERVOIR_FEDERATION_FILE: files.federationFile,
        RESERVOIR_HEARTBEAT_MS: '100', RESERVOIR_DEAD_AFTER_MS: '1000', RESERVOIR_CFP_WINDOW_MS: '300', RESERVOIR_RECONCILE_PERIOD_MS: '500',
        // fb is preferred over fc by price: fc charges more.
        RESERVOIR_PRICE_VCPU_HOUR: site === 'fc' ? '0.05' : '0.02',
      });
      const broker = await startBroker(config, { logger: ['error'], bus });
      brokers.set(site, broker);
      for (const rack of [1, 2, 3]) {
        await request(broker.url).post('/v1/hosts').send({ name: `${site}-h${rack}`, uri: `sim://${site}-h${rack}?vcpu=16&memory-mib=16384&disk-gib=500&failure-domain=rack${rack}` }).expect(201);
      }
    }
  }, 60_000);

  afterAll(async () => {
    for (const b of brokers.values()) await b.close();
    await bus.close();
    rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it('sees every peer alive after a few heartbeats', async () => {
    for (const site of SITES) {
      const peers = await until(`${site} to see both peers alive`, async () => {
        const body = (await http(site).get('/v1/sites').expect(200)).body as { id: string; state: string }[];
        return body.length === 2 && body.every((s) => s.state === 'alive') ? body : undefined;
      });
      expect(peers.map((p) => p.id)).toEqual(SITES.filter((s) => s !== site));
    }
  });

  let serviceId: string;

  it('deploys a replicas="2" service at its primary and replicates it to both peers under contracts', async () => {
    const created = await http('fa').post('/v1/services').set('content-type', 'application/xml').send(exampleManifest('web-shop.xml')).expect(201);
    serviceId = created.body.id;
    const service = await until('both replicas reported', async () => {
      const s = (await http('fa').get(`/v1/services/${serviceId}`).expect(200)).body;
      return s.replicas?.length === 2 && s.replicas.every((r: { phase: string }) => r.phase === 'running') ? s : undefined;
    });
    expect(service.phase).toBe('running');
    expect(service.replicas.map((r: { site: string }) => r.site)).toEqual(['fb', 'fc']);
    expect(service.replicas.every((r: { contract: { phase: string } }) => r.contract.phase === 'active')).toBe(true);
    expect(Object.keys(service.loadBalancing).sort()).toEqual(['fa', 'fb', 'fc']);
    for (const site of ['fb', 'fc'] as const) {
      const list = (await http(site).get('/v1/services').expect(200)).body.items as { id: string }[];
      expect(list).toHaveLength(1);
      const replica = (await http(site).get(`/v1/services/${list[0]?.id}`).expect(200)).body;
      expect(replica.replicaOf).toMatchObject({ site: 'fa', serviceId });
      // Tiers protected by checkpoints or a live standby wait paused at a replica; the others run.
      const roles = Object.fromEntries(replica.vees.map((v: { tier: string; role: string; phase: string }) => [v.tier, `${v.role}/${v.phase}`]));
      expect(roles).toEqual({ 'web-servers': 'active/running', 'app-servers': 'standby/standby', 'db-servers': 'standby/standby' });
    }
  }, 30_000);

  it('rolls a tier update out at the primary and passes it to both replicas; refuses bad updates changing nothing', async () => {
    const patch = (site: Site, path: string, body: unknown) => http(site).patch(path).set('content-type', 'application/json').send(body as object);
    const bad = await patch('fa', `/v1/services/${serviceId}/tiers/web-servers`, { configuration: [{ name: 'listen-port', value: 8443 }], vcpu: 4 }).expect(400);
    expect(bad.body.errors.map((e: { path: string }) => e.path)).toEqual(['/vcpu', '/configuration/0/value']);
    await patch('fa', `/v1/services/${serviceId}/tiers/no-such-tier`, { configuration: [{ name: 'a', value: 'b' }] }).expect(400);
    await patch('fa', `/v1/services/${serviceId}/tiers/web-servers`, { image: { ref: 'windows-11' } }).expect(400);
    await patch('fa', '/v1/services/00000000-0000-4000-8000-000000000000/tiers/web-servers', { configuration: [{ name: 'a', value: 'b' }] }).expect(404);
    const accepted = await patch('fa', `/v1/services/${serviceId}/tiers/web-servers`, { configuration: [{ name: 'listen-port', value: '8443' }] }).expect(202);
    expect(accepted.body).toMatchObject({ id: serviceId, tier: 'web-servers', revision: 1, phase: 'deploying' });
    const property = (s: { tiers: { name: string; configuration: { name: string; value: string }[] }[] }) =>
      s.tiers.find((t) => t.name === 'web-servers')?.configuration.find((c) => c.name === 'listen-port')?.value;
    await until('the primary running the update', async () => {
      const s = (await http('fa').get(`/v1/services/${serviceId}`).expect(200)).body;
      return s.phase === 'running' && property(s) === '8443' ? true : undefined;
    });
    for (const site of ['fb', 'fc'] as const) {
      await until(`${site}'s replica running the update`, async () => {
        const id = ((await http(site).get('/v1/services').expect(200)).body.items as { id: string }[])[0]?.id;
        const s = (await http(site).get(`/v1/services/${id}`).expect(200)).body;
        return s.phase === 'running' && property(s) === '8443' ? true : undefined;
      });
    }
  }, 30_000);

  it('marks a stopped site dead and breaks its contract', async () => {
    await (brokers.get('fc') as RunningBroker).close();
    brokers.delete('fc');
    const started = Date.now();
    await until('fa to see fc dead', async () => {
      const body = (await http('fa').get('/v1/sites').expect(200)).body as { id: string; state: string }[];
      return body.find((s) => s.id === 'fc')?.state === 'dead' ? true : undefined;
    });
    expect(Date.now() - started).toBeLessThan(3000);
    const service = await until('fc gone from the replicas', async () => {
      const s = (await http('fa').get(`/v1/services/${serviceId}`).expect(200)).body;
      return s.replicas.length === 1 ? s : undefined;
    });
    expect(service.replicas[0].site).toBe('fb');
  }, 30_000);
});
