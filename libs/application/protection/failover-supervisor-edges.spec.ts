import { type ProtectionLevel } from '@reservoir/domain/manifest/service-definition';
import { webShopDefinition } from '@reservoir/testing/deploy-builders';
import { failoverBench } from '@reservoir/testing/failover-bench';
import { FailoverSupervisor } from './failover-supervisor';
import { type CheckpointRecovery } from './checkpoint-recovery';
import { SiteReconciler } from '../reconcile/site-reconciler';
import { RecoveryExecutor } from './recovery-executor';

const shopWithApp = (protection: ProtectionLevel) => {
  const d = webShopDefinition();
  return { ...d, tiers: d.tiers.map((t) => (t.name === 'app-servers' ? { ...t, qos: { ...t.qos, protection } } : t)) };
};
const manual = { scheduler: () => () => undefined };

describe('FailoverSupervisor edges', () => {
  it('leaves a VEE that comes back by itself while suspect alone (hysteresis): no action, no phase change', async () => {
    const t = await failoverBench();
    const web = t.vee('web-servers');
    t.sim.crashDomain(web.hostName, web.domain);
    await t.pass();
    await (await t.sim.connect(`sim://${web.hostName}`)).start(web.domain);
    for (let i = 0; i < 3; i += 1) await t.pass();
    expect(t.supervisor.status(web.id)?.state.phase).toBe('healthy');
    expect(t.actions).toEqual([]);
    expect(await t.phases(web.id)).toEqual(['defined', 'starting', 'running']);
  });

  it('does nothing (and records no failure) when another holder of the service lock brought the VEE back meanwhile', async () => {
    const t = await failoverBench();
    const web = t.vee('web-servers');
    t.sim.crashDomain(web.hostName, web.domain);
    await t.pass();
    let release: () => void = () => undefined;
    const held = t.deps.locks.run(`service:${t.service.id}`, () => new Promise<void>((r) => (release = r)));
    await t.reconciler.runOnce(); // confirmed: restart-in-place issued, waiting for the lock
    expect(t.supervisor.status(web.id)?.state.phase).toBe('recovering');
    await (await t.sim.connect(`sim://${web.hostName}`)).start(web.domain); // e.g. a checkpoint rollback under the lock
    release();
    await held;
    await t.supervisor.idle();
    expect(t.actions).toEqual([]);
    expect(t.supervisor.status(web.id)?.state.phase).toBe('probation');
    expect(await t.phases(web.id)).toEqual(['defined', 'starting', 'running']);
  });

  it('a checkpoint tier without a checkpoint service escalates past restore-checkpoint to reinstall (fresh disks)', async () => {
    const t = await failoverBench({ definition: shopWithApp('checkpoint') });
    const app = t.vee('app-servers');
    t.sim.advanceGuest(app.hostName, app.domain, 5);
    t.sim.crashDomain(app.hostName, app.domain);
    await t.pass();
    await t.pass();
    for (const backoff of [1000, 2000, 4000, 8000]) await t.wait(backoff);
    expect(t.actions.map((a) => a.type)).toEqual(['restore-checkpoint', 'restore-checkpoint', 'restore-checkpoint', 'restore-checkpoint', 'reinstall']);
    const failures = (await t.vees.history(t.service.id)).filter((h) => h.veeId === app.id && h.from === 'recovering' && h.to === 'failed');
    expect(failures[0]?.reason).toBe('restore-checkpoint-in-place attempt 1 failed: no checkpoint service');
    const now = await t.vees.get(app.id);
    expect(now).toMatchObject({ phase: 'running', hostId: app.hostId });
    expect(t.sim.guestState(app.hostName, app.domain)).toBe(0); // reinstalled: the guest's state is gone
  });

  it('restores from a checkpoint through CheckpointRecovery and records a restore that landed elsewhere as a move', async () => {
    const calls: string[] = [];
    let target = '';
    const checkpoints: CheckpointRecovery = {
      restoreNewest: async (vee, where) => {
        calls.push(where.kind);
        if (where.kind === 'in-place') throw new Error('newest checkpoint failed its digest check');
        const conn = await t.sim.connect(`sim://${target}`);
        await conn.define(vee.spec);
        await conn.start(vee.domain);
        const host = (await t.hosts.list()).find((h) => h.name === target);
        return { hostId: host?.id ?? '', checkpointId: 'cp-1' };
      },
    };
    const t = await failoverBench({ definition: shopWithApp('checkpoint'), checkpoints });
    const app = t.vee('app-servers');
    target = ['h1', 'h2', 'h3'].find((h) => h !== app.hostName && h !== t.vee('app-servers', 1).hostName) ?? '';
    t.sim.crashDomain(app.hostName, app.domain);
    await t.pass();
    await t.pass();
    for (const backoff of [1000, 2000]) await t.wait(backoff);
    expect(calls).toEqual(['in-place', 'in-place', 'elsewhere']);
    expect(await t.vees.get(app.id)).toMatchObject({ phase: 'running', hostName: target });
    expect(t.supervisor.status(app.id)?.state).toMatchObject({ phase: 'probation', hostId: (await t.vees.get(app.id))?.hostId });
    await t.pass(); // the old host's crashed copy is fenced
    expect(await t.domainState(app.hostName, app.domain)).toBe('missing');
  });

  it('after a broker restart, a VEE recorded failed is watched afresh and recovered', async () => {
    const t = await failoverBench();
    const web = t.vee('web-servers');
    t.sim.crashDomain(web.hostName, web.domain);
    const record = await t.vees.get(web.id);
    if (record) await t.deps.veePhases.move(record, { type: 'crashed', reason: 'seen before the restart' }, 'reconcile');
    // A new supervisor and loop on the same stores and hosts: nothing remembered.
    const supervisor = new FailoverSupervisor(t.deps, new RecoveryExecutor(t.deps), { settings: t.settings, ...manual });
    const loop = new SiteReconciler(t.deps, { periodMs: 1000, ...manual }, supervisor);
    for (let i = 0; i < 2; i += 1) {
      await loop.runOnce();
      await supervisor.idle();
    }
    expect(await t.phases(web.id)).toEqual(['defined', 'starting', 'running', 'failed', 'recovering', 'running']);
  });

  it('forgets VEEs whose service is deleted or taken over by a use case (prune), and acts on none of them', async () => {
    const t = await failoverBench();
    await t.pass();
    const web = t.vee('web-servers');
    expect(t.supervisor.status(web.id)?.state.phase).toBe('healthy');
    const service = await t.services.get(t.service.id);
    if (service) await t.deps.servicePhases.move(service, { type: 'delete-requested' }, 'api');
    t.sim.crashDomain(web.hostName, web.domain);
    await t.pass();
    await t.pass();
    await t.supervisor.prune();
    expect(t.supervisor.status(web.id)).toBeUndefined();
    expect(t.actions).toEqual([]);
  });

  it('ticks on its timer once started, and stops cleanly', async () => {
    const t = await failoverBench();
    const due: (() => void)[] = [];
    const supervisor = new FailoverSupervisor(t.deps, new RecoveryExecutor(t.deps), {
      settings: t.settings, tickMs: 300, scheduler: (fn, ms) => (expect(ms).toBe(300), due.push(fn), () => undefined),
    });
    supervisor.start();
    expect(due).toHaveLength(1);
    due.shift()?.();
    expect(due).toHaveLength(1);
    await supervisor.stop();
    due.shift()?.();
    expect(due).toHaveLength(0);
  });
});
