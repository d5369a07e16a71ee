import { webShopDefinition } from '@reservoir/testing/deploy-builders';
import { deployBench } from '@reservoir/testing/deploy-bench';
import { type VeeHealth } from '../protection/failover-supervisor';
import { SiteReconciler } from './site-reconciler';
import { KeyedWorkQueue } from './work-queue';

const manual = () => ({ scheduler: () => () => undefined });

async function deployed() {
  const b = await deployBench();
  const service = await b.submit(webShopDefinition());
  await b.deploy.execute(service.id);
  const checks: VeeHealth[] = [];
  const reconciler = new SiteReconciler(b.deps, { periodMs: 1000, ...manual() }, { report: (c) => checks.push(...c) });
  const list = await b.vees.listByService(service.id);
  const pick = (tier: string, index = 0) => {
    const v = list.find((x) => x.tier === tier && x.index === index);
    if (!v) throw new Error(`no ${tier} VEE`);
    return v;
  };
  return { ...b, service, reconciler, list, checks, pick };
}

describe('SiteReconciler', () => {
  it('hands one health check per VEE and pass to the failover supervisor, with its protection, and restarts nothing itself', async () => {
    const t = await deployed();
    const web = t.pick('web-servers');
    t.sim.crashDomain(web.hostName, web.domain);
    await t.reconciler.runOnce();
    expect(t.checks).toHaveLength(5);
    expect(t.checks.find((c) => c.veeId === web.id)).toEqual({
      veeId: web.id, hostId: web.hostId, ok: false, hostUp: true, detail: `domain ${web.domain} is crashed`, serviceId: t.service.id, protection: 'restart',
    });
    expect(t.checks.filter((c) => c.ok)).toHaveLength(4);
    expect((await (await t.sim.connect(`sim://${web.hostName}`)).info(web.domain)).state).toBe('crashed');
    expect((await t.vees.get(web.id))?.phase).toBe('running');
  });

  it('reports the VEEs of a host that does not answer as failed with the host down', async () => {
    const t = await deployed();
    const web = t.pick('web-servers');
    t.sim.killHost(web.hostName);
    await t.reconciler.runOnce();
    const onHost = t.list.filter((v) => v.hostId === web.hostId).map((v) => v.id).sort();
    expect(t.checks.filter((c) => !c.hostUp).map((c) => c.veeId).sort()).toEqual(onHost);
    expect(t.checks.filter((c) => !c.hostUp).every((c) => !c.ok && c.detail === 'host does not answer')).toBe(true);
  });

  it('records a VEE whose domain runs again as running: VEE failed → running, service degraded → running', async () => {
    const t = await deployed();
    const db = t.pick('db-servers');
    const record = await t.vees.get(db.id);
    if (record) await t.deps.veePhases.move(record, { type: 'crashed', reason: 'seen crashed' }, 'reconcile');
    const service = await t.services.get(t.service.id);
    if (service) await t.deps.servicePhases.move(service, { type: 'member-failed', reason: 'db' }, 'reconcile');
    await t.reconciler.runOnce();
    expect((await t.vees.history(t.service.id)).filter((h) => h.veeId === db.id).map((h) => h.to)).toEqual(['defined', 'starting', 'running', 'failed', 'running']);
    expect((await t.services.history(t.service.id)).map((h) => h.to).slice(-2)).toEqual(['degraded', 'running']);
  });

  it('wakes on hypervisor events when started, and stops cleanly', async () => {
    const t = await deployed();
    t.reconciler.start();
    await t.reconciler.runOnce();
    const db = t.pick('db-servers');
    t.checks.length = 0;
    t.sim.crashDomain(db.hostName, db.domain);
    // No runOnce and no period (the manual scheduler never fires): only the 'crashed' event can wake the loop.
    const seen = () => t.checks.some((c) => c.veeId === db.id && !c.ok);
    for (let i = 0; i < 200 && !seen(); i += 1) await new Promise((r) => setImmediate(r));
    expect(seen()).toBe(true);
    await t.reconciler.stop();
  });

  it('fences a stale copy of a VEE that failover moved away, once its host answers again; never reports it as an orphan', async () => {
    const t = await deployed();
    const web = t.pick('web-servers');
    const target = (await t.hosts.list()).find((h) => h.id !== web.hostId && h.id !== t.pick('web-servers', 1).hostId);
    if (!target) throw new Error('no target host');
    t.sim.killHost(web.hostName);
    const conn = await t.sim.connect(`sim://${target.name}`);
    await conn.define(web.spec);
    await conn.start(web.domain);
    await t.vees.moveHost(web.id, { hostId: target.id, hostName: target.name, spec: web.spec }, t.clock.now());
    await t.reconciler.runOnce();
    t.sim.reviveHost(web.hostName);
    const old = await t.sim.connect(`sim://${web.hostName}`);
    expect((await old.info(web.domain)).state).toBe('crashed');
    await t.reconciler.runOnce();
    await expect(old.info(web.domain)).rejects.toMatchObject({ code: 'not-found' });
    expect((await conn.info(web.domain)).state).toBe('running');
    await t.reconciler.runOnce();
    expect(t.reconciler.orphans()).toEqual([]);
  });

  it('reports a domain nobody owns and never destroys it', async () => {
    const t = await deployed();
    const conn = await t.sim.connect('sim://h3');
    await conn.define({
      name: 'someone-elses-vm', uuid: '11111111-2222-4333-8444-555555555555', vcpu: 1, memoryMiB: 64,
      disks: [{ name: 'root', sizeGiB: 1, format: 'qcow2', baseImage: { ref: 'counter' } }], networks: [], boot: { kind: 'disk' }, properties: {},
    });
    await conn.start('someone-elses-vm');
    await t.reconciler.runOnce();
    // One pass is not enough: a domain between its define and its VEE record looks the same for a moment.
    expect(t.reconciler.orphans()).toEqual([]);
    await t.reconciler.runOnce();
    await t.reconciler.runOnce();
    expect(t.reconciler.orphans()).toEqual([
      expect.objectContaining({ host: 'h3', domain: 'someone-elses-vm', state: 'running', firstSeenAt: t.clock.now() }),
    ]);
    expect(t.lines.filter((l) => l.includes('someone-elses-vm'))).toHaveLength(1);
    expect((await conn.info('someone-elses-vm')).state).toBe('running');
    await conn.destroy('someone-elses-vm');
    await conn.undefine('someone-elses-vm');
    await t.reconciler.runOnce();
    expect(t.reconciler.orphans()).toEqual([]);
  });

  it('leaves VEEs of a service that is being deleted alone: no checks', async () => {
    const t = await deployed();
    const web = t.pick('web-servers');
    const current = await t.services.get(t.service.id);
    if (!current) throw new Error('service gone');
    await t.deps.servicePhases.move(current, { type: 'delete-requested' }, 'api');
    t.sim.crashDomain(web.hostName, web.domain);
    await t.reconciler.runOnce();
    expect(t.checks).toEqual([]);
    expect((await (await t.sim.connect(`sim://${web.hostName}`)).info(web.domain)).state).toBe('crashed');
  });
});

describe('KeyedWorkQueue', () => {
  it('runs a key once however often it is added, again if added while running, and retries failures with backoff', async () => {
    const runs: string[] = [];
    const retries: number[] = [];
    const due: (() => void)[] = [];
    let fail = true;
    let release: () => void = () => undefined;
    const queue = new KeyedWorkQueue(
      async (key) => {
        runs.push(key);
        if (key === 'slow') await new Promise<void>((r) => (release = r));
        if (key === 'bad' && fail) throw new Error('transient');
      },
      { baseDelayMs: 100, maxDelayMs: 1000, log: () => undefined, scheduler: (fn, ms) => (retries.push(ms), due.push(fn), () => undefined) },
    );
    queue.add('a');
    queue.add('a');
    queue.add('slow');
    await new Promise((r) => setImmediate(r));
    queue.add('slow');
    release();
    await new Promise((r) => setImmediate(r));
    release();
    await queue.idle();
    expect(runs).toEqual(['a', 'slow', 'slow']);
    runs.length = 0;
    queue.add('bad');
    await queue.idle();
    fail = false;
    due.shift()?.();
    await queue.idle();
    expect(runs).toEqual(['bad', 'bad']);
    expect(retries).toEqual([100]);
    await queue.shutDown();
    queue.add('a');
    await queue.idle();
    expect(runs).toEqual(['bad', 'bad']);
  });
});
