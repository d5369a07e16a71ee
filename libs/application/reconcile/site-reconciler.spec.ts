import { HypervisorError } from '@reservoir/domain/ports/hypervisor.port';
import { webShopDefinition } from '@reservoir/testing/deploy-builders';
import { deployBench } from '@reservoir/testing/deploy-bench';
import { SiteReconciler } from './site-reconciler';
import { KeyedWorkQueue } from './work-queue';

const manual = () => ({ scheduler: () => () => undefined });

async function deployed() {
  const b = await deployBench();
  const service = await b.submit(webShopDefinition());
  await b.deploy.execute(service.id);
  const reconciler = new SiteReconciler(b.deps, { periodMs: 1000, restartBackoffMs: 1000, maxRestarts: 2, ...manual() });
  const list = await b.vees.listByService(service.id);
  return { ...b, service, reconciler, list };
}

describe('SiteReconciler', () => {
  it('restarts a crashed VEE and records the way back: VEE failed → recovering → running, service degraded → running', async () => {
    const t = await deployed();
    const web = t.list.find((v) => v.tier === 'web-servers');
    if (!web) throw new Error('no web VEE');
    t.sim.crashDomain(web.hostName, web.domain);
    await t.reconciler.runOnce();
    expect((await (await t.sim.connect(`sim://${web.hostName}`)).info(web.domain)).state).toBe('running');
    expect((await t.vees.history(t.service.id)).filter((h) => h.veeId === web.id).map((h) => h.to)).toEqual([
      'defined', 'starting', 'running', 'failed', 'recovering', 'running',
    ]);
    expect((await t.services.history(t.service.id)).map((h) => h.to).slice(-2)).toEqual(['degraded', 'running']);
    await t.reconciler.runOnce();
    expect((await t.vees.history(t.service.id)).length).toBe(5 * 3 + 3); // a second pass changes nothing
  });

  it('wakes on hypervisor events when started, and stops cleanly', async () => {
    const t = await deployed();
    t.reconciler.start();
    await t.reconciler.runOnce();
    const db = t.list.find((v) => v.tier === 'db-servers');
    if (!db) throw new Error('no db VEE');
    t.sim.crashDomain(db.hostName, db.domain);
    // No runOnce and no period (the manual scheduler never fires): only the 'crashed' event can wake the loop.
    const restarted = () => t.vees.histories.some((h) => h.veeId === db.id && h.to === 'running' && h.by === 'reconcile');
    for (let i = 0; i < 200 && !restarted(); i += 1) await new Promise((r) => setImmediate(r));
    expect((await (await t.sim.connect(`sim://${db.hostName}`)).info(db.domain)).state).toBe('running');
    expect((await t.services.get(t.service.id))?.phase).toBe('running');
    await t.reconciler.stop();
  });

  it('backs off after a failed restart and gives up (lost) after too many', async () => {
    const t = await deployed();
    const app = t.list.find((v) => v.tier === 'app-servers');
    if (!app) throw new Error('no app VEE');
    t.sim.crashDomain(app.hostName, app.domain);
    for (let i = 0; i < 3; i += 1) t.sim.refuseNext(app.hostName, 'start', new HypervisorError('operation-failed', 'no luck'));
    await t.reconciler.runOnce();
    expect((await t.vees.get(app.id))?.phase).toBe('failed');
    await t.reconciler.runOnce(); // within the backoff: nothing
    expect((await t.vees.history(t.service.id)).filter((h) => h.veeId === app.id && h.to === 'recovering')).toHaveLength(1);
    t.clock.advance(1000);
    await t.reconciler.runOnce();
    t.clock.advance(10_000);
    await t.reconciler.runOnce();
    expect((await t.vees.get(app.id))?.phase).toBe('lost');
    expect((await t.services.get(t.service.id))?.phase).toBe('degraded');
  });

  it('recreates a domain that vanished from its host', async () => {
    const t = await deployed();
    const db = t.list.find((v) => v.tier === 'db-servers');
    if (!db) throw new Error('no db VEE');
    const conn = await t.sim.connect(`sim://${db.hostName}`);
    await conn.destroy(db.domain);
    await conn.undefine(db.domain);
    await t.reconciler.runOnce();
    expect((await conn.info(db.domain)).state).toBe('running');
    expect((await t.vees.get(db.id))?.phase).toBe('running');
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

  it('leaves VEEs of a service that is being deleted alone', async () => {
    const t = await deployed();
    const web = t.list.find((v) => v.tier === 'web-servers');
    if (!web) throw new Error('no web VEE');
    const current = await t.services.get(t.service.id);
    if (!current) throw new Error('service gone');
    await t.deps.servicePhases.move(current, { type: 'delete-requested' }, 'api');
    t.sim.crashDomain(web.hostName, web.domain);
    await t.reconciler.runOnce();
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
