import request from 'supertest';
import { type RunningBroker } from '../apps/site-broker/bootstrap';
import { describeWithPostgres, exampleManifest, renamed, resetTestDatabase, startTestBroker } from '@reservoir/testing';
import { eventually } from '../libs/testing/eventually';

const XML = 'application/xml';
const HOSTS = [1, 2, 3].map((i) => ({ name: `sim-${i}`, rack: `rack${i}`, uri: `sim://sim-${i}?vcpu=16&memory-mib=32768&disk-gib=500&failure-domain=rack${i}` }));

interface Vee { id: string; tier: string; host: string; hostId: string; phase: string; role: string; domain: string; consoleLog: string; createdAt: string }
interface Event { at: string; subject: string; id: string; from: string | null; to: string; reason: string }

/** Deployment on simulated hosts through the HTTP API, on the real PostgreSQL server. */
describeWithPostgres('deploying services on simulated hosts', () => {
  let broker: RunningBroker;
  const http = () => request(broker.url);
  const simDomains = async (): Promise<string[]> => {
    const names: string[] = [];
    for (const h of HOSTS) for (const d of await (await broker.infra.sim.connect(`sim://${h.name}`)).list()) names.push(d.name);
    return names.sort();
  };
  const until = <T>(what: string, probe: () => Promise<T | undefined> | T | undefined, ms = 15000): Promise<T> => eventually(what, probe, { ms, everyMs: 50 });
  const service = async (id: string) => (await http().get(`/v1/services/${id}`).expect(200)).body;
  const settled = (id: string, phase: string) =>
    until(`service ${id} ${phase}`, async () => {
      const s = await service(id);
      return s.phase === phase ? s : undefined;
    });
  const submit = async (xml: Buffer | string) => (await http().post('/v1/services').set('content-type', XML).send(xml).expect(201)).body;

  beforeAll(async () => {
    await resetTestDatabase();
    broker = await startTestBroker('server', 'memory', { RESERVOIR_RECONCILE_PERIOD_MS: '200', RESERVOIR_CONSOLE_DIR: '/var/log/reservoir' });
    for (const h of HOSTS) await http().post('/v1/hosts').send({ name: h.name, uri: h.uri }).expect(201);
  });
  afterAll(async () => broker?.close());

  let shopId: string;
  let vees: Vee[];

  it('deploys web-shop tier by tier in dependency order, every VEE running, 99.9 % tiers across racks', async () => {
    const created = await submit(exampleManifest('web-shop.xml'));
    expect(created.phase).toBe('accepted');
    shopId = created.id;
    const running = await settled(shopId, 'running');
    expect(running.phaseHistory.map((h: { to: string }) => h.to)).toEqual(['accepted', 'placing', 'deploying', 'running']);
    vees = running.vees;
    expect(vees.map((v) => v.tier).sort()).toEqual(['app-servers', 'app-servers', 'db-servers', 'web-servers', 'web-servers']);
    for (const v of vees) {
      expect(v).toMatchObject({ phase: 'running', role: 'active', domain: expect.stringMatching(/^rsv-web-shop-[a-z-]+-\d-[0-9a-f]{8}$/) });
      expect(v.consoleLog).toBe(`/var/log/reservoir/${v.domain}.log`);
      expect(HOSTS.map((h) => h.name)).toContain(v.host);
    }
    // Each VEE carries its tier's protection level.
    const protection = Object.fromEntries(vees.map((v) => [v.tier, (v as unknown as { protection: string }).protection]));
    expect(protection).toEqual({ 'web-servers': 'restart', 'app-servers': 'checkpoint', 'db-servers': 'live-standby' });
    const at = (tier: string, pick: (...n: number[]) => number) => pick(...vees.filter((v) => v.tier === tier).map((v) => Date.parse(v.createdAt)));
    expect(at('db-servers', Math.max)).toBeLessThanOrEqual(at('app-servers', Math.min));
    expect(at('app-servers', Math.max)).toBeLessThanOrEqual(at('web-servers', Math.min));
    // Stronger than timestamps: in the transition log, db ran before any app VEE was defined, app before web.
    const events: Event[] = (await http().get(`/v1/services/${shopId}/events`).expect(200)).body.items;
    const tierOf = (id: string) => vees.find((v) => v.id === id)?.tier;
    const idx = (tier: string, to: string, last: boolean) => {
      const positions = events.flatMap((e, i) => (e.subject === 'vee' && tierOf(e.id) === tier && e.to === to ? [i] : []));
      return last ? Math.max(...positions) : Math.min(...positions);
    };
    expect(idx('db-servers', 'running', true)).toBeLessThan(idx('app-servers', 'defined', false));
    expect(idx('app-servers', 'running', true)).toBeLessThan(idx('web-servers', 'defined', false));
    for (const tier of ['web-servers', 'app-servers']) {
      const racks = vees.filter((v) => v.tier === tier).map((v) => HOSTS.find((h) => h.name === v.host)?.rack);
      expect(new Set(racks).size).toBe(racks.length);
    }
    expect(await simDomains()).toEqual(vees.map((v) => v.domain).sort());
  });

  it('refuses to remove a host that runs VEEs', async () => {
    await http().delete(`/v1/hosts/${vees[0]?.hostId}`).expect(409);
  });

  it('restarts a crashed VEE of a restart tier (reconcile loop → failover) and logs the way back', async () => {
    const victim = vees.find((v) => v.tier === 'web-servers') as Vee;
    broker.infra.sim.crashDomain(victim.host, victim.domain);
    await until('the crashed VEE running again', async () => {
      const events: Event[] = (await http().get(`/v1/services/${shopId}/events`).expect(200)).body.items;
      const path = events.filter((e) => e.id === victim.id).map((e) => e.to);
      return path.join(',') === 'defined,starting,running,failed,recovering,running' ? path : undefined;
    });
    expect((await (await broker.infra.sim.connect(`sim://${victim.host}`)).info(victim.domain)).state).toBe('running');
    const again = await settled(shopId, 'running');
    expect(again.phaseHistory.map((h: { to: string }) => h.to).slice(-2)).toEqual(['degraded', 'running']);
    expect(again.vees.find((v: Vee) => v.id === victim.id).phase).toBe('running');
    const one = (await http().get(`/v1/vees/${victim.id}`).expect(200)).body;
    expect(one).toMatchObject({ id: victim.id, protection: 'restart', failover: { lastAction: { type: 'restart-in-place', step: 'restart-in-place', attempt: 1 } } });
    await http().get('/v1/vees/00000000-0000-4000-8000-000000000000').expect(404);
  });

  it('reports a domain nobody owns and leaves it alone', async () => {
    const conn = await broker.infra.sim.connect('sim://sim-3');
    await conn.define({
      name: 'not-ours', uuid: '0b0b0b0b-0000-4000-8000-000000000000', vcpu: 1, memoryMiB: 64,
      disks: [{ name: 'root', sizeGiB: 1, format: 'qcow2', baseImage: { ref: 'counter' } }], networks: [], boot: { kind: 'disk' }, properties: {},
    });
    await conn.start('not-ours');
    const orphans = await until('the orphan report', async () => {
      const body = (await http().get('/v1/sites/local/orphans').expect(200)).body;
      return body.total > 0 ? body.items : undefined;
    });
    expect(orphans).toEqual([expect.objectContaining({ host: 'sim-3', domain: 'not-ours', state: 'running' })]);
    await new Promise((r) => setTimeout(r, 500)); // a few more passes
    expect((await conn.info('not-ours')).state).toBe('running');
    await conn.destroy('not-ours');
    await conn.undefine('not-ours');
  });

  it("reports a crashed VEE of a 'none' tier lost and restarts nothing (minimal.xml)", async () => {
    const id: string = (await submit(renamed('minimal.xml', 'unprotected'))).id;
    const running = await settled(id, 'running');
    const victim = running.vees[0] as Vee;
    broker.infra.sim.crashDomain(victim.host, victim.domain);
    const lost = await until('the VEE lost', async () => {
      const s = await service(id);
      return s.vees[0]?.phase === 'lost' ? s : undefined;
    });
    expect(lost.phase).toBe('degraded');
    expect(lost.vees[0].failover).toMatchObject({ state: 'lost', reason: expect.stringMatching(/^protection 'none' has no recovery steps/) });
    const events: Event[] = (await http().get(`/v1/services/${id}/events`).expect(200)).body.items;
    expect(events.filter((e) => e.id === victim.id).map((e) => e.to)).toEqual(['defined', 'starting', 'running', 'failed', 'lost']);
    expect((await (await broker.infra.sim.connect(`sim://${victim.host}`)).info(victim.domain)).state).toBe('crashed');
    await http().delete(`/v1/services/${id}`).expect(204);
  });

  it('deletes the service: no domain left on any host, then 404', async () => {
    await http().delete(`/v1/services/${shopId}`).expect(204);
    await http().get(`/v1/services/${shopId}`).expect(404);
    expect(await simDomains()).toEqual([]);
  });

  it('fails a service that fits nowhere with per-host reasons, creating nothing', async () => {
    const xml = renamed('minimal.xml', 'too-big').toString('utf8').replace('memory-mib="64"', 'memory-mib="65536"');
    const created = await submit(xml);
    const failed = await settled(created.id, 'failed');
    expect(failed.vees).toEqual([]);
    expect(failed.placementErrors).toEqual([
      {
        tier: 'counter',
        reasons: ['0 of 1 VEE(s) placed', ...HOSTS.map((h) => expect.stringMatching(new RegExp(`^host ${h.name}: VEE needs 65536 MiB memory`)))],
      },
    ]);
    expect(await simDomains()).toEqual([]);
  });

  it('fails a service whose image the catalogue does not know, before creating anything', async () => {
    const xml = renamed('minimal.xml', 'no-image').toString('utf8').replace('ref="counter"', 'ref="windows-11"');
    const failed = await settled((await submit(xml)).id, 'failed');
    expect(failed.placementErrors).toEqual([{ tier: 'counter', reasons: [expect.stringMatching(/image 'windows-11' is not in this site's image catalogue \(known: counter, tiny-linux\)/)] }]);
    expect(await simDomains()).toEqual([]);
  });

  it('fails a service whose image digest differs from the catalogue\'s, before creating anything', async () => {
    const wrong = '0'.repeat(64);
    const xml = renamed('minimal.xml', 'bad-digest').toString('utf8').replace('format="qcow2"', `format="qcow2" sha256="${wrong}"`);
    const failed = await settled((await submit(xml)).id, 'failed');
    expect(failed.vees).toEqual([]);
    expect(failed.placementErrors).toEqual([{ tier: 'counter', reasons: [expect.stringMatching(new RegExp(`image 'counter' has sha256 [0-9a-f]{64}, the manifest asks for ${wrong}`))] }]);
    expect(await simDomains()).toEqual([]);
  });

  it('places around a host that does not answer, and fails clearly when none does', async () => {
    for (const h of HOSTS) broker.infra.sim.killHost(h.name);
    const xml = renamed('minimal.xml', 'all-down');
    const failed = await settled((await submit(xml)).id, 'failed');
    expect(failed.placementErrors[0].reasons).toEqual(['0 of 1 VEE(s) placed', 'host sim-1: down', 'host sim-2: down', 'host sim-3: down']);
    for (const h of HOSTS) broker.infra.sim.reviveHost(h.name);
  });
});
