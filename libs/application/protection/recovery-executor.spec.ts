import { HypervisorError } from '@reservoir/domain/ports/hypervisor.port';
import { type RecoveryAction } from '@reservoir/domain/protection/failover';
import { type ServiceRecord } from '@reservoir/domain/service/service-record';
import { type VeeRecord } from '@reservoir/domain/vee/vee-record';
import { deployBench, HOSTS } from '@reservoir/testing/deploy-bench';
import { webShopDefinition } from '@reservoir/testing/deploy-builders';
import { RecoveryExecutor } from './recovery-executor';

async function deployed() {
  const b = await deployBench();
  const submitted = await b.submit(webShopDefinition());
  await b.deploy.execute(submitted.id);
  const service = (await b.services.get(submitted.id)) as ServiceRecord;
  const list = await b.vees.listByService(service.id);
  const pick = (tier: string, index = 0) => list.find((v) => v.tier === tier && v.index === index) as VeeRecord;
  const conn = (host: string) => b.sim.connect(`sim://${host}`);
  const state = async (host: string, domain: string) => (await (await conn(host)).list()).find((d) => d.name === domain)?.state ?? 'missing';
  return { ...b, service, pick, conn, state, executor: new RecoveryExecutor(b.deps) };
}

const action = (vee: VeeRecord, fields: Partial<RecoveryAction> & Pick<RecoveryAction, 'type'>): RecoveryAction =>
  ({ veeId: vee.id, seq: 1, step: 'restart-in-place', attempt: 1, hostId: vee.hostId, reason: 'test', ...fields }) as RecoveryAction;

describe('RecoveryExecutor', () => {
  it('restart-in-place: starts a crashed domain, defines a missing one again, accepts one that runs already', async () => {
    const t = await deployed();
    const web = t.pick('web-servers');
    t.sim.crashDomain(web.hostName, web.domain);
    await expect(t.executor.execute(action(web, { type: 'restart-in-place' }), web, t.service)).resolves.toEqual({ hostId: web.hostId });
    expect(await t.state(web.hostName, web.domain)).toBe('running');
    await expect(t.executor.execute(action(web, { type: 'restart-in-place' }), web, t.service)).resolves.toEqual({ hostId: web.hostId });
    const c = await t.conn(web.hostName);
    await c.destroy(web.domain);
    await c.undefine(web.domain);
    await t.executor.execute(action(web, { type: 'restart-in-place' }), web, t.service);
    expect(await t.state(web.hostName, web.domain)).toBe('running');
  });

  it('restart-in-place on a host that does not answer fails at once (the ladder moves on)', async () => {
    const t = await deployed();
    const web = t.pick('web-servers');
    t.sim.killHost(web.hostName);
    await expect(t.executor.execute(action(web, { type: 'restart-in-place' }), web, t.service)).rejects.toMatchObject({ code: 'host-down' });
  });

  it('restart-elsewhere from a host that answers: the old domain and disks go, the same spec runs on a host of another rack, the move is recorded', async () => {
    const t = await deployed();
    const web = t.pick('web-servers');
    const sibling = t.pick('web-servers', 1);
    t.sim.crashDomain(web.hostName, web.domain);
    const outcome = await t.executor.execute(action(web, { type: 'restart-elsewhere', step: 'restart-elsewhere', avoidHost: web.hostId }), web, t.service);
    const target = HOSTS.find((h) => h !== web.hostName && h !== sibling.hostName) as string;
    expect(await t.vees.get(web.id)).toMatchObject({ hostId: outcome.hostId, hostName: target, spec: web.spec, phase: 'running' });
    expect(await t.state(target, web.domain)).toBe('running');
    expect(await t.state(web.hostName, web.domain)).toBe('missing');
  });

  it('restart-elsewhere that cannot start on the new host undoes its define and leaves the record where it was', async () => {
    const t = await deployed();
    const web = t.pick('web-servers');
    t.sim.crashDomain(web.hostName, web.domain);
    for (const h of HOSTS) t.sim.refuseNext(h, 'start', new HypervisorError('operation-failed', 'no luck'));
    await expect(t.executor.execute(action(web, { type: 'restart-elsewhere', avoidHost: web.hostId }), web, t.service)).rejects.toThrow(/^on host h\d: no luck$/);
    expect((await t.vees.get(web.id))?.hostId).toBe(web.hostId);
    const elsewhere = (await t.domains()).filter((d) => d.endsWith(`/${web.domain}`));
    expect(elsewhere).toEqual([`${web.hostName}/${web.domain}`]);
  });

  it('restart-elsewhere with no host that fits says why, per host', async () => {
    const t = await deployed();
    const db = t.pick('db-servers');
    const others = HOSTS.filter((h) => h !== db.hostName);
    for (const h of others) t.sim.killHost(h);
    await expect(t.executor.execute(action(db, { type: 'restart-elsewhere', avoidHost: db.hostId }), db, t.service)).rejects.toThrow(
      new RegExp(`^no other host fits ${db.domain}: host h1: down; host h2: down; host h3: down$`),
    );
  });

  it('reinstall: fresh disks from the tier image in place, or with avoidHost on another host; the spec is rebuilt from the definition', async () => {
    const t = await deployed();
    const app = t.pick('app-servers');
    t.sim.advanceGuest(app.hostName, app.domain, 7);
    t.sim.crashDomain(app.hostName, app.domain);
    await expect(t.executor.execute(action(app, { type: 'reinstall', step: 'reinstall' }), app, t.service)).resolves.toEqual({ hostId: app.hostId });
    expect(t.sim.guestState(app.hostName, app.domain)).toBe(0);
    expect((await t.vees.get(app.id))?.spec).toEqual(app.spec);
    const moved = await t.executor.execute(action(app, { type: 'reinstall', step: 'reinstall', avoidHost: app.hostId }), app, t.service);
    expect(moved.hostId).not.toBe(app.hostId);
    expect(await t.state(app.hostName, app.domain)).toBe('missing');
    expect((await t.vees.get(app.id))?.hostId).toBe(moved.hostId);
  });

  it('restore-checkpoint without a checkpoint service and switch-to-standby fail with the reason', async () => {
    const t = await deployed();
    const db = t.pick('db-servers');
    await expect(t.executor.execute(action(db, { type: 'restore-checkpoint', where: 'in-place' }), db, t.service)).rejects.toThrow('no checkpoint service');
    await expect(t.executor.execute(action(db, { type: 'switch-to-standby' }), db, t.service)).rejects.toThrow('no live standby for this VEE yet');
  });
});
