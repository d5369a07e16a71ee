import { DomainError } from '@reservoir/domain/shared/domain-error';
import { webShopDefinition } from '@reservoir/testing/deploy-builders';
import { deployBench } from '@reservoir/testing/deploy-bench';
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
