import request from 'supertest';
import { type RunningBroker } from '../apps/site-broker/bootstrap';
import { exampleManifest, startTestBroker } from '@reservoir/testing';
import { eventually } from '../libs/testing/eventually';

const XML = 'application/xml';
const CKPT_DIR = '/var/lib/reservoir-e2e/checkpoints';
const UNKNOWN = '00000000-0000-4000-8000-00000000ffff';
const HOSTS = [1, 2, 3].map((i) => ({ name: `sim-${i}`, uri: `sim://sim-${i}?vcpu=16&memory-mib=32768&disk-gib=500&failure-domain=rack${i}` }));

interface Vee { id: string; tier: string; host: string; hostId: string; phase: string; domain: string }
interface Checkpoint { id: string; veeId: string; groupId?: string; epoch: number; createdAt: string; sizeBytes: number; sha256: string; trigger: string; locations: { kind: string; hostId?: string; path: string }[] }

/**
 * Checkpoints through the HTTP API of a whole broker (embedded store: the migrations, the TypeORM checkpoint store,
 * the wiring), on simulated hosts: VEE checkpoints, a group cut of web-shop, the list, periodic checkpoints of
 * the live-standby db tier (every 1 s), a rollback, and the error answers.
 */
describe('checkpoints API (embedded store, simulated hosts)', () => {
  let broker: RunningBroker;
  const http = () => request(broker.url);
  let shopId: string;
  let vees: Vee[];
  const vee = (tier: string): Vee => vees.find((v) => v.tier === tier) as Vee;

  beforeAll(async () => {
    broker = await startTestBroker('embedded', 'memory', { RESERVOIR_RECONCILE_PERIOD_MS: '200', RESERVOIR_CHECKPOINT_DIR: CKPT_DIR, RESERVOIR_CHECKPOINT_KEEP: '2' });
    for (const h of HOSTS) await http().post('/v1/hosts').send(h).expect(201);
    shopId = (await http().post('/v1/services').set('content-type', XML).send(exampleManifest('web-shop.xml')).expect(201)).body.id;
    vees = await eventually('web-shop running', async () => {
      const s = (await http().get(`/v1/services/${shopId}`).expect(200)).body;
      return s.phase === 'running' ? (s.vees as Vee[]) : undefined;
    }, { ms: 20_000 });
  });
  afterAll(async () => broker?.close());

  it('takes a checkpoint of a VEE (201) and lists it, with a 64-hex digest and its bundle on the VEE host', async () => {
    const web = vee('web-servers');
    const c: Checkpoint = (await http().post(`/v1/vees/${web.id}/checkpoints`).expect(201)).body;
    expect(c).toMatchObject({ veeId: web.id, epoch: 1, trigger: 'api', complete: true, sha256: expect.stringMatching(/^[0-9a-f]{64}$/), sizeBytes: expect.any(Number) });
    expect(c.locations).toEqual([{ kind: 'local', siteId: 'test', hostId: web.hostId, path: `${CKPT_DIR}/${web.domain}/${c.id}` }]);
    const listed: Checkpoint[] = (await http().get(`/v1/vees/${web.id}/checkpoints`).expect(200)).body.items;
    expect(listed).toEqual([c]);
    const files = await (await broker.infra.sim.connect(`sim://${web.host}`)).checkpointMeasure(c.locations[0]?.path ?? '');
    expect(files.reduce((s, f) => s + f.bytes, 0)).toBe(c.sizeBytes);
  });

  it('takes a consistent cut of every VEE of the service (201), each part listed with its group', async () => {
    const cut = (await http().post(`/v1/services/${shopId}/checkpoints`).expect(201)).body;
    expect(cut).toMatchObject({ groupId: shopId, complete: true, createdAt: expect.any(String), pauseMsMax: expect.any(Number) });
    expect(cut.members.map((m: { veeId: string }) => m.veeId).sort()).toEqual(vees.map((v) => v.id).sort());
    const app = vee('app-servers');
    const items: Checkpoint[] = (await http().get(`/v1/vees/${app.id}/checkpoints`).expect(200)).body.items;
    expect(items.find((c) => c.groupId === shopId)).toMatchObject({ epoch: cut.epoch, trigger: 'api' });
    for (const v of (await http().get(`/v1/services/${shopId}`).expect(200)).body.vees as Vee[]) expect(v.phase).toBe('running');
  });

  it('checkpoints the live-standby db tier every second by itself, keeping RESERVOIR_CHECKPOINT_KEEP of them', async () => {
    const db = vee('db-servers');
    const periodic = await eventually('three periodic checkpoints of db', async () => {
      const seen = ((await http().get(`/v1/vees/${db.id}/checkpoints`).expect(200)).body.items as Checkpoint[]).filter((c) => c.trigger === 'periodic');
      return broker.checkpointScheduler.watchedVees().includes(db.id) && seen.length >= 2 ? seen : undefined;
    }, { ms: 15_000 });
    expect(periodic.length).toBeLessThanOrEqual(2);
    const status = await broker.checkpointScheduler.status(db.id);
    expect(status.rpo).toMatchObject({ configuredMs: 1000, achievedMs: expect.any(Number) });
    expect(broker.checkpointScheduler.watchedVees()).not.toContain(vee('web-servers').id);
  });

  it('rolls back the failed tier and its dependents to the newest cut (200)', async () => {
    const app = vee('app-servers');
    const result = (await http().post(`/v1/services/${shopId}/rollback`).send({ failedVee: app.id }).expect(200)).body;
    expect(result.scope).toMatchObject({ kind: 'dependents', tiers: ['app-servers', 'web-servers'] });
    expect(result.keptRunning.map((m: { tier: string }) => m.tier)).toEqual(['db-servers']);
    await eventually('every VEE running again', async () => {
      const s = (await http().get(`/v1/services/${shopId}`).expect(200)).body;
      return (s.vees as Vee[]).every((v) => v.phase === 'running') ? true : undefined;
    });
  });

  it('answers 404 for unknown ids and 409 for a service that is not running', async () => {
    await http().post(`/v1/vees/${UNKNOWN}/checkpoints`).expect(404);
    await http().get(`/v1/vees/${UNKNOWN}/checkpoints`).expect(404);
    await http().post(`/v1/services/${UNKNOWN}/checkpoints`).expect(404);
    const failedId = (await http().post('/v1/services').set('content-type', XML)
      .send(exampleManifest('minimal.xml').toString('utf8').replace('memory-mib="64"', 'memory-mib="65536"')).expect(201)).body.id;
    await eventually('the unplaceable service failed', async () => ((await http().get(`/v1/services/${failedId}`).expect(200)).body.phase === 'failed' ? true : undefined));
    const res = await http().post(`/v1/services/${failedId}/checkpoints`).expect(409);
    expect(res.body).toEqual({ errors: [{ path: '/', message: expect.stringMatching(/is failed: a group cut needs it running/) }] });
  });
});
