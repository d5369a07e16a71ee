import request from 'supertest';
import { type RunningBroker } from '../apps/site-broker/bootstrap';
import {
  describeWithPostgres,
  exampleManifest,
  queryTestDatabase,
  rawParser,
  renamed,
  resetTestDatabase,
  startTestBroker,
} from '@reservoir/testing';

const XML = 'application/xml';

/** The services API on a broker backed by the real PostgreSQL server (memory bus). */
describeWithPostgres('services API on PostgreSQL', () => {
  let broker: RunningBroker;
  const http = () => request(broker.url);
  const countRows = async () => Number((await queryTestDatabase<{ n: string }>('SELECT count(*) AS n FROM services'))[0]?.n);

  beforeAll(async () => {
    await resetTestDatabase();
    broker = await startTestBroker('server', 'memory');
  });
  afterAll(async () => broker?.close());

  it.each(['web-shop.xml', 'minimal.xml'])('accepts %s, stores it and reads it back byte for byte', async (file) => {
    const xml = exampleManifest(file);
    const created = await http().post('/v1/services').set('content-type', XML).send(xml).expect(201);
    expect(created.body).toEqual({ id: expect.stringMatching(/^[0-9a-f-]{36}$/), name: expect.any(String), phase: 'accepted' });
    expect(created.headers.location).toBe(`/v1/services/${created.body.id}`);

    // The 201 says accepted; deployment then runs in the background. This site has no hosts, so it fails placing.
    const got = await http().get(`/v1/services/${created.body.id}`).expect(200);
    expect(got.body).toMatchObject({ id: created.body.id, name: created.body.name, siteId: 'test', vees: [] });
    expect(['accepted', 'placing', 'failed']).toContain(got.body.phase);
    expect(got.body.phaseHistory[0]).toEqual({ from: null, to: 'accepted', reason: 'manifest accepted', at: got.body.createdAt });
    await broker.deployments.idle();
    const failed = await http().get(`/v1/services/${created.body.id}`).expect(200);
    expect(failed.body.phaseHistory.map((h: { to: string }) => h.to)).toEqual(['accepted', 'placing', 'failed']);
    expect(failed.body.placementErrors[0].reasons).toContain('no hosts at this site');
    expect(failed.body.vees).toEqual([]);
    const tierNames = [...xml.toString('utf8').matchAll(/<tier name="([^"]+)"/g)].map((m) => m[1]);
    expect(got.body.tiers.map((t: { name: string }) => t.name)).toEqual(tierNames);

    const manifest = await http().get(`/v1/services/${created.body.id}/manifest`).buffer(true).parse(rawParser).expect(200);
    expect(manifest.headers['content-type']).toMatch(/^application\/xml/);
    expect(Buffer.compare(manifest.body as Buffer, xml)).toBe(0);

    const rows = await queryTestDatabase<{ name: string; phase: string }>('SELECT name, phase FROM services WHERE id = $1', [created.body.id]);
    expect(rows).toEqual([{ name: created.body.name, phase: 'failed' }]);
  });

  it('maps the three-tier example into typed tiers, relations and QoS', async () => {
    const list = await http().get('/v1/services').expect(200);
    const shop = list.body.items.find((s: { name: string }) => s.name === 'web-shop');
    expect(shop.relations).toEqual([
      { from: 'web-servers', to: 'app-servers', port: 8080 },
      { from: 'app-servers', to: 'db-servers', port: 5432 },
    ]);
    expect(shop.qos).toEqual({ availability: 99.95, replicas: 2, maxResponseMs: 300 });
    const web = shop.tiers.find((t: { name: string }) => t.name === 'web-servers');
    expect(web.vee).toEqual({ vcpu: 1, memoryMiB: 256, instances: 2, minInstances: 2, maxInstances: 6 });
    expect(web.qos).toMatchObject({ availability: 99.9, maxLatencyMs: 50, protection: 'restart' });
    expect(web.networks).toEqual([{ name: 'public', bandwidthMbps: 100 }]);
    expect(web.configuration).toEqual([{ name: 'listen-port', value: '80' }]);
  });

  it('refuses a second service with the same name (409) and stores nothing', async () => {
    const before = await countRows();
    const res = await http().post('/v1/services').set('content-type', XML).send(exampleManifest('minimal.xml')).expect(409);
    expect(res.body.errors[0]).toMatchObject({ path: '/service/@name', message: expect.stringMatching(/already exists/) });
    expect(await countRows()).toBe(before);
  });

  it('pages the list newest first and rejects bad paging', async () => {
    const all = await http().get('/v1/services').expect(200);
    expect(all.body.total).toBe(2);
    const page = await http().get('/v1/services?limit=1&offset=1').expect(200);
    expect(page.body).toMatchObject({ total: 2, items: [{ id: all.body.items[1].id }] });
    const bad = await http().get('/v1/services?limit=-3&offset=x').expect(400);
    expect(bad.body.errors.map((e: { path: string }) => e.path)).toEqual(['/?limit', '/?offset']);
  });

  it('answers 404 with an error list for unknown and malformed ids', async () => {
    for (const id of ['7d1b0a52-0000-4000-8000-000000000000', 'not-a-uuid', "1' OR '1'='1"]) {
      const res = await http().get(`/v1/services/${encodeURIComponent(id)}`).expect(404);
      expect(res.body.errors[0].message).toContain(`no service with id '${id}'`);
      await http().get(`/v1/services/${encodeURIComponent(id)}/manifest`).expect(404);
      await http().delete(`/v1/services/${encodeURIComponent(id)}`).expect(404);
    }
  });

  it('deletes a service: 204, then 404, and its rows are gone', async () => {
    const created = await http().post('/v1/services').set('content-type', XML).send(renamed('minimal.xml', 'to-delete')).expect(201);
    await http().delete(`/v1/services/${created.body.id}`).expect(204);
    await http().get(`/v1/services/${created.body.id}`).expect(404);
    expect(await queryTestDatabase('SELECT 1 FROM service_phase_history WHERE service_id = $1', [created.body.id])).toEqual([]);
  });

  it('reports health with the database check, and serves the OpenAPI document at /docs', async () => {
    const health = await http().get('/healthz').expect(200);
    expect(health.body).toEqual({
      status: 'ok',
      siteId: 'test',
      checks: { database: { status: 'ok', kind: 'server' }, bus: { status: 'ok', kind: 'memory' } },
    });
    const docs = await http().get('/docs/openapi.json').expect(200);
    expect(Object.keys(docs.body.paths)).toEqual(expect.arrayContaining(['/v1/services', '/v1/services/{id}', '/v1/services/{id}/manifest', '/healthz']));
    await http().get('/docs').redirects(1).expect(200).expect('content-type', /html/);
  });
});
