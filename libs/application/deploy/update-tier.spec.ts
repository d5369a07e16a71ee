import { DomainError } from '@reservoir/domain/shared/domain-error';
import { webShopDefinition } from '@reservoir/testing/deploy-builders';
import { deployBench } from '@reservoir/testing/deploy-bench';
import { checkpointBench } from '@reservoir/testing/checkpoint-bench';
import { ServiceQueries } from '../services/service-queries';
import { UpdateTier, type AppliedUpdate } from './update-tier';

async function runningShop() {
  const b = await deployBench();
  const service = await b.submit(webShopDefinition());
  await b.deploy.execute(service.id);
  return { b, service };
}

describe('UpdateTier', () => {
  it('stores the new definition and revision, then re-creates the tier\'s VEEs one by one with the new configuration', async () => {
    const { b, service } = await runningShop();
    const accepted: AppliedUpdate[] = [];
    const updater = new UpdateTier(b.deps, async (a) => void accepted.push(a));
    const before = (await b.vees.listByService(service.id)).filter((v) => v.tier === 'web-servers');
    const applied = await updater.execute(service.id, 'web-servers', { configuration: [{ name: 'listen-port', value: '8443' }] }, { by: 'api' });
    expect(applied?.revision).toBe(1);
    expect(accepted).toHaveLength(1);
    await updater.rolling;
    const after = await b.services.get(service.id);
    expect(after?.phase).toBe('running');
    expect(after?.revision).toBe(1);
    expect(after?.definition.tiers.find((t) => t.name === 'web-servers')?.configuration).toContainEqual({ name: 'listen-port', value: '8443' });
    expect((await b.services.history(service.id)).map((h) => h.to).slice(-2)).toEqual(['deploying', 'running']);
    const vees = (await b.vees.listByService(service.id)).filter((v) => v.tier === 'web-servers');
    expect(vees.map((v) => [v.id, v.domain, v.phase])).toEqual(before.map((v) => [v.id, v.domain, 'running']));
    for (const v of vees) expect(v.spec.properties['listen-port']).toBe('8443');
    // The other tiers were not touched.
    const app = (await b.vees.listByService(service.id)).filter((v) => v.tier === 'app-servers');
    expect(app.every((v) => v.spec.properties['listen-port'] === undefined || v.spec.properties['listen-port'] !== '8443')).toBe(true);
    expect(await b.domains()).toHaveLength(5);
  });

  it('refuses bad input, an unknown image and a service that is not running, changing nothing', async () => {
    const { b, service } = await runningShop();
    const updater = new UpdateTier(b.deps);
    const refused = async (body: unknown, tier = 'web-servers') => {
      const error = await updater.execute(service.id, tier, body, { by: 'api' }).then(() => undefined, (e: unknown) => e);
      expect(error).toBeInstanceOf(DomainError);
      return error as { code: string; details: { path: string; message: string }[] };
    };
    expect((await refused({ image: { ref: 'windows-11' } })).details).toEqual([{ path: '/image', message: expect.stringMatching(/not in this site's image catalogue/) }]);
    expect((await refused({ configuration: 'x' })).code).toBe('invalid-input');
    expect((await refused({ configuration: [{ name: 'a', value: 'b' }] }, 'no-such-tier')).details[0]?.path).toBe('/tier');
    expect((await b.services.get(service.id))?.revision ?? 0).toBe(0);
    await b.remove.execute(service.id);
    expect((await refused({ configuration: [{ name: 'a', value: 'b' }] })).code).toMatch(/not-found|conflict/);
  });

  it('skips a peer\'s update older than the stored revision, and takes a newer one\'s revision', async () => {
    const { b, service } = await runningShop();
    const updater = new UpdateTier(b.deps);
    const applied = await updater.execute(service.id, 'db-servers', { software: [{ name: 'postgresql', version: '17.0' }] }, { by: 'peer', revision: 4 });
    await updater.rolling;
    expect(applied?.revision).toBe(4);
    expect(await updater.execute(service.id, 'db-servers', { software: [{ name: 'postgresql', version: '16.0' }] }, { by: 'peer', revision: 3 })).toBeUndefined();
    expect((await b.services.get(service.id))?.definition.tiers.find((t) => t.name === 'db-servers')?.software).toContainEqual({ name: 'postgresql', version: '17.0' });
  });
});

describe('UpdateTier: before-update checkpoints', () => {
  it('checkpoints every running VEE of the tier right before re-creating it, whatever its protection', async () => {
    const b = await checkpointBench();
    const { service, byTier } = await b.deployShop({ protection: { 'db-servers': { level: 'checkpoint' } } });
    const order: string[] = [];
    const updater = new UpdateTier(b.deps, undefined, async (vee) => {
      order.push(`checkpoint ${vee.domain}`);
      return b.checkpoints.takeBeforeUpdateLocked(vee);
    });
    const updateSpec = b.vees.updateSpec.bind(b.vees);
    b.vees.updateSpec = async (id, spec, at) => {
      order.push(`re-created ${(await b.vees.get(id))?.domain ?? id}`);
      return updateSpec(id, spec, at);
    };
    await updater.execute(service.id, 'web-servers', { configuration: [{ name: 'listen-port', value: '8443' }] }, { by: 'api' });
    await updater.rolling;
    expect((await b.services.get(service.id))?.phase).toBe('running');
    const web = byTier('web-servers');
    expect(web.length).toBeGreaterThan(1);
    expect(order).toEqual(web.flatMap((v) => [`checkpoint ${v.domain}`, `re-created ${v.domain}`]));
    for (const v of web) {
      expect((await b.checkpoints.listVeeCheckpoints(v.id)).map((c) => [c.trigger, c.complete])).toEqual([['before-update', true]]);
      // checkpointed (running → checkpointing → running) before the domain was re-created
      expect(b.phasesOf(v.id).slice(-2)).toEqual(['checkpointing', 'running']);
    }
    for (const v of byTier('db-servers')) expect(await b.checkpoints.listVeeCheckpoints(v.id)).toEqual([]);
  });

  it('goes on with the update when a checkpoint fails, and notes the failure in the service events', async () => {
    const b = await checkpointBench();
    const { service, byTier } = await b.deployShop();
    const updater = new UpdateTier(b.deps, undefined, async () => {
      throw new DomainError('unavailable', 'host h9 does not answer');
    });
    await updater.execute(service.id, 'web-servers', { configuration: [{ name: 'listen-port', value: '8443' }] }, { by: 'api' });
    await updater.rolling;
    expect((await b.services.get(service.id))?.phase).toBe('running');
    const web = byTier('web-servers');
    for (const v of (await b.vees.listByService(service.id)).filter((x) => x.tier === 'web-servers')) expect(v.spec.properties['listen-port']).toBe('8443');
    const events = await new ServiceQueries(b.services, b.vees).events(service.id);
    const notes = events.filter((e) => e.subject === 'vee' && /checkpoint before tier web-servers update to revision 1 failed/.test(e.reason));
    expect(notes.map((e) => [e.id, e.from, e.to])).toEqual(web.map((v) => [v.id, 'running', 'running']));
    expect(notes[0]?.reason).toMatch(/\(updating anyway\): host h9 does not answer$/);
  });
});
