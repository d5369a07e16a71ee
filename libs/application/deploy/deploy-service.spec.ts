import { HypervisorError } from '@reservoir/domain/ports/hypervisor.port';
import { deployTier, webShopDefinition } from '@reservoir/testing/deploy-builders';
import { deployBench, HOSTS } from '@reservoir/testing/deploy-bench';

describe('DeployService', () => {
  it('deploys every tier in dependency order, each VEE running on its planned host', async () => {
    const b = await deployBench();
    const service = await b.submit(webShopDefinition());
    await b.deploy.execute(service.id);
    expect((await b.services.get(service.id))?.phase).toBe('running');
    expect((await b.services.history(service.id)).map((h) => h.to)).toEqual(['accepted', 'placing', 'deploying', 'running']);
    const vees = await b.vees.listByService(service.id);
    expect(vees).toHaveLength(5);
    expect(vees.every((v) => v.phase === 'running' && v.role === 'active')).toBe(true);
    // db's VEE was running before app's were defined, app's before web's.
    const order = b.vees.histories.map((h) => `${vees.find((v) => v.id === h.veeId)?.tier}:${h.to}`);
    const last = (tier: string, to: string) => order.lastIndexOf(`${tier}:${to}`);
    const first = (tier: string, to: string) => order.indexOf(`${tier}:${to}`);
    expect(last('db-servers', 'running')).toBeLessThan(first('app-servers', 'defined'));
    expect(last('app-servers', 'running')).toBeLessThan(first('web-servers', 'defined'));
    expect(await b.domains()).toHaveLength(5);
    const db = vees.find((v) => v.tier === 'db-servers');
    expect(db?.domain).toMatch(/^rsv-web-shop-db-servers-0-[0-9a-f]{8}$/);
    expect(db?.consoleLog).toBe(`/var/log/rsv/${db?.domain}.log`);
    for (const tier of ['web-servers', 'app-servers']) {
      const racks = vees.filter((v) => v.tier === tier).map((v) => v.hostName);
      expect(new Set(racks).size).toBe(2);
    }
  });

  it('deploys a replica of another site\'s service with its checkpoint and live-standby tiers as paused standbys', async () => {
    const b = await deployBench();
    const definition = webShopDefinition('replica');
    const protections = { 'web-servers': 'restart', 'app-servers': 'checkpoint', 'db-servers': 'live-standby' } as const;
    const tiers = definition.tiers.map((t) => ({ ...t, qos: { ...t.qos, protection: protections[t.name as keyof typeof protections] } }));
    const service = await b.submit({ ...definition, tiers }, { site: 'site-a', serviceId: 'primary-service', contractId: 'contract-1' });
    await b.deploy.execute(service.id);
    expect((await b.services.get(service.id))?.phase).toBe('running');
    const vees = await b.vees.listByService(service.id);
    const byTier = (tier: string) => vees.filter((v) => v.tier === tier).map((v) => `${v.role}/${v.phase}`);
    expect(byTier('web-servers')).toEqual(['active/running', 'active/running']);
    expect(byTier('app-servers')).toEqual(['standby/standby', 'standby/standby']);
    expect(byTier('db-servers')).toEqual(['standby/standby']);
    for (const v of vees.filter((x) => x.role === 'standby')) {
      expect((await (await b.sim.connect(`sim://${v.hostName}`)).info(v.domain)).state).toBe('paused');
    }
  });

  it('fails an unplaceable service with per-host reasons and creates nothing', async () => {
    const b = await deployBench();
    const service = await b.submit({ ...webShopDefinition('big'), tiers: [deployTier('huge', { memoryMiB: 8192 })], relations: [] });
    await b.deploy.execute(service.id);
    const failed = await b.services.get(service.id);
    expect(failed?.phase).toBe('failed');
    expect(failed?.placementErrors).toEqual([
      { tier: 'huge', reasons: ['0 of 1 VEE(s) placed', ...HOSTS.map((h) => expect.stringMatching(new RegExp(`^host ${h}: VEE needs 8192 MiB`)))] },
    ]);
    expect(await b.vees.listByService(service.id)).toEqual([]);
    expect(await b.domains()).toEqual([]);
  });

  it('refuses an image the catalogue does not know before creating anything', async () => {
    const b = await deployBench();
    const service = await b.submit({ ...webShopDefinition('win'), tiers: [deployTier('t', { image: 'windows-11' })], relations: [] });
    await b.deploy.execute(service.id);
    expect(await b.services.get(service.id)).toMatchObject({ phase: 'failed', placementErrors: [{ tier: 't', reasons: [expect.stringMatching(/image 'windows-11' is not in this site's image catalogue/)] }] });
    expect(await b.domains()).toEqual([]);
  });

  it('treats hosts that do not answer as down, and says so', async () => {
    const b = await deployBench();
    for (const h of HOSTS) b.sim.killHost(h);
    const service = await b.submit(webShopDefinition());
    await b.deploy.execute(service.id);
    const failed = await b.services.get(service.id);
    expect(failed?.placementErrors?.[0]?.reasons).toEqual(['0 of 1 VEE(s) placed', 'host h1: down', 'host h2: down', 'host h3: down']);
  });

  it('rolls back everything when a VEE fails to start part-way: no domain, disk or reservation left', async () => {
    const b = await deployBench();
    b.vees.onCreate = (vee) => {
      if (vee.tier === 'web-servers' && vee.index === 1) b.sim.refuseNext(vee.hostName, 'start', new HypervisorError('operation-failed', 'qemu died'));
    };
    const service = await b.submit(webShopDefinition());
    await b.deploy.execute(service.id);
    const failed = await b.services.get(service.id);
    expect(failed?.phase).toBe('failed');
    expect((await b.services.history(service.id)).at(-1)?.reason).toMatch(/deployment failed: VEE rsv-web-shop-web-servers-1-\S+ on host h\d: qemu died; rolled back/);
    const vees = await b.vees.listByService(service.id);
    expect(vees).toHaveLength(5);
    expect(vees.every((v) => v.phase === 'deleted')).toBe(true);
    expect(await b.vees.listLive()).toEqual([]);
    expect(await b.domains()).toEqual([]);
    // The capacity is free again: the same service deploys once retried.
    b.vees.onCreate = () => undefined;
    await b.deploy.execute(service.id);
    expect((await b.services.get(service.id))?.phase).toBe('running');
  });

  it('deletes a service: domains and disks removed, VEEs deleted, the service gone', async () => {
    const b = await deployBench();
    const service = await b.submit(webShopDefinition());
    await b.deploy.execute(service.id);
    await b.remove.execute(service.id);
    expect(await b.domains()).toEqual([]);
    expect(await b.services.get(service.id)).toBeUndefined();
    expect(b.vees.histories.filter((h) => h.to === 'deleted')).toHaveLength(5);
    await expect(b.remove.execute(service.id)).rejects.toMatchObject({ code: 'not-found' });
  });

  it('keeps a service deleting when a host does not answer, and finishes on the next delete', async () => {
    const b = await deployBench();
    const service = await b.submit(webShopDefinition());
    await b.deploy.execute(service.id);
    b.sim.killHost('h2');
    await expect(b.remove.execute(service.id)).rejects.toMatchObject({ code: 'unavailable', retryable: true });
    expect((await b.services.get(service.id))?.phase).toBe('deleting');
    b.sim.reviveHost('h2');
    await b.remove.execute(service.id);
    expect(await b.domains()).toEqual([]);
    expect(await b.services.get(service.id)).toBeUndefined();
  });
});
