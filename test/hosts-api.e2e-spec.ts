import request from 'supertest';
import { type RunningBroker } from '../apps/site-broker/bootstrap';
import { describeWithPostgres, queryTestDatabase, resetTestDatabase, startTestBroker } from '@reservoir/testing';
import { LibvirtHypervisorFactory, libvirtAvailable } from '@reservoir/adapters/libvirt';

const LIBVIRT = libvirtAvailable();
/** The libvirt cases need the adapter built here (the test driver needs no daemon). */
const itWithLibvirtAdapter: jest.It = LIBVIRT.ok ? it : it.skip;
if (!LIBVIRT.ok) console.warn(`SKIPPED: libvirt host cases (${LIBVIRT.reason})`);

const SIM_H1 = 'sim://h1?vcpu=8&memory-mib=16384&disk-gib=200&failure-domain=rack1';

/** Hosts API on the PostgreSQL server with simulated hosts. */
describeWithPostgres('hosts API', () => {
  let broker: RunningBroker;
  const http = () => request(broker.url);
  const hostRows = async () => (await queryTestDatabase<{ name: string }>('SELECT name FROM hosts ORDER BY name')).map((r) => r.name);

  beforeAll(async () => {
    await resetTestDatabase();
    broker = await startTestBroker('server', 'memory');
  });
  afterAll(async () => broker?.close());

  it('registers a sim host with the capacity its hypervisor reports', async () => {
    const res = await http().post('/v1/hosts').send({ name: 'h1', uri: SIM_H1, labels: { zone: 'eu' } }).expect(201);
    expect(res.body).toMatchObject({
      name: 'h1',
      uri: SIM_H1,
      failureDomain: 'rack1',
      labels: { zone: 'eu' },
      overcommit: { cpu: 4, memory: 1 },
      capacity: { vcpu: 8, memoryMiB: 16384, diskGiB: 200 },
      features: { bandwidthQoS: { enforced: true } },
      health: 'up',
    });
    expect(res.headers.location).toBe(`/v1/hosts/${res.body.id}`);
    await http().get(`/v1/hosts/${res.body.id}`).expect(200);
  });

  it('lets the body choose the failure domain and overcommit, and lists hosts by name', async () => {
    const res = await http()
      .post('/v1/hosts')
      .send({ name: 'a0', uri: 'sim://a0?vcpu=2&memory-mib=2048&disk-gib=20&failure-domain=rack9', failureDomain: 'rack2', overcommit: { cpu: 2 } })
      .expect(201);
    expect(res.body).toMatchObject({ failureDomain: 'rack2', overcommit: { cpu: 2, memory: 1 } });
    const list = await http().get('/v1/hosts').expect(200);
    expect(list.body.items.map((h: { name: string }) => h.name)).toEqual(['a0', 'h1']);
    expect(list.body.total).toBe(2);
  });

  it.each([
    ['no body fields', {}, ['/name', '/uri']],
    ['an unknown field', { name: 'x', uri: 'sim://x?vcpu=1&memory-mib=64&disk-gib=1', size: 3 }, ['/size']],
    ['a bad name and overcommit', { name: '-x', uri: 'sim://x?vcpu=1&memory-mib=64&disk-gib=1', overcommit: { cpu: 0, disk: 2 } }, ['/name', '/overcommit/cpu', '/overcommit/disk']],
    ['bad labels', { name: 'x', uri: 'sim://x?vcpu=1&memory-mib=64&disk-gib=1', labels: { ok: 1 } }, ['/labels/ok']],
    ['a sim URI without capacity', { name: 'x', uri: 'sim://x?vcpu=1' }, ['/uri']],
    ['a JSON array', [1, 2], ['/']],
  ])('rejects %s with every path, storing nothing', async (_label, body, paths) => {
    const res = await http().post('/v1/hosts').send(body).expect(400);
    expect(res.body.errors.map((e: { path: string }) => e.path)).toEqual(paths);
    expect(await hostRows()).toEqual(['a0', 'h1']);
  });

  it('rejects malformed JSON with 400', async () => {
    const res = await http().post('/v1/hosts').set('content-type', 'application/json').send('{"name": ').expect(400);
    expect(res.body.errors[0].path).toBe('/');
  });

  itWithLibvirtAdapter('registers a libvirt test-driver host with the capacity the driver reports', async () => {
    const conn = await new LibvirtHypervisorFactory().connect('test:///default');
    const capacity = await conn.capacity();
    await conn.close();
    const res = await http().post('/v1/hosts').send({ name: 'lv-test', uri: 'test:///default' }).expect(201);
    expect(res.body).toMatchObject({ name: 'lv-test', uri: 'test:///default', capacity, features: { bandwidthQoS: { enforced: true } }, health: 'up' });
    expect(capacity.vcpu).toBeGreaterThan(0);
    await http().delete(`/v1/hosts/${res.body.id}`).expect(204);
  });

  itWithLibvirtAdapter('refuses a libvirt URI that does not answer with a clear /uri error, storing nothing', async () => {
    const before = await hostRows();
    const res = await http().post('/v1/hosts').send({ name: 'lv-dead', uri: 'qemu+unix:///system?socket=/nonexistent' });
    expect([400, 503]).toContain(res.status);
    expect(res.body.errors).toEqual([{ path: '/uri', message: expect.stringMatching(/nonexistent/) }]);
    expect(await hostRows()).toEqual(before);
  });

  it('answers 503 for a host that does not answer, storing nothing', async () => {
    broker.infra.sim.declareHost('sim://dead1?vcpu=4&memory-mib=4096&disk-gib=50');
    broker.infra.sim.killHost('dead1');
    const res = await http().post('/v1/hosts').send({ name: 'dead1', uri: 'sim://dead1' }).expect(503);
    expect(res.body.errors[0]).toMatchObject({ path: '/uri' });
    expect(await hostRows()).toEqual(['a0', 'h1']);
  });

  it('refuses a second host with the same name or URI (409)', async () => {
    await http().post('/v1/hosts').send({ name: 'h1', uri: 'sim://other?vcpu=1&memory-mib=64&disk-gib=1' }).expect(409);
    await http().post('/v1/hosts').send({ name: 'h1b', uri: SIM_H1 }).expect(409);
  });

  it('deletes a host, then answers 404 for it and for unknown ids', async () => {
    const list = await http().get('/v1/hosts').expect(200);
    const a0 = list.body.items.find((h: { name: string }) => h.name === 'a0');
    await http().delete(`/v1/hosts/${a0.id}`).expect(204);
    await http().get(`/v1/hosts/${a0.id}`).expect(404);
    await http().delete(`/v1/hosts/${a0.id}`).expect(404);
    await http().get('/v1/hosts/not-an-id').expect(404);
    expect(await hostRows()).toEqual(['h1']);
  });
});
