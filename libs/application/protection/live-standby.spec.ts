import { type RecoveryAction } from '@reservoir/domain/protection/failover';
import { type VeeRecord } from '@reservoir/domain/vee/vee-record';
import { checkpointBench } from '@reservoir/testing/checkpoint-bench';
import { SiteReconciler } from '../reconcile/site-reconciler';
import { CheckpointBundles } from './checkpoint-bundles';
import { CheckpointCopies } from './checkpoint-copies';
import { LiveStandbys } from './live-standby';
import { RecoveryExecutor } from './recovery-executor';

/** Copies and live standbys hooked as the app wires them; `tick` is the monotonic clock the standbys measure with. */
async function bench(options: { minRefreshMs?: number } = {}) {
  const b = await checkpointBench();
  let tick = 0;
  const copies = new CheckpointCopies(b.checkpointDeps);
  const standbys = new LiveStandbys(b.checkpointDeps, new CheckpointBundles(b.checkpointDeps), { ...options, now: () => tick });
  b.checkpoints.onCompleted((c) => copies.enqueue(c));
  copies.onCopied((c) => standbys.onCopy(c));
  copies.preferHostOf((id) => standbys.hostOf(id));
  const { one } = await b.deployShop({ protection: { 'db-servers': { level: 'live-standby' } } });
  const db = one('db-servers');
  const checkpoint = async () => {
    const c = await b.checkpoints.takeVeeCheckpoint(db.id, 'api');
    await copies.idle();
    return c;
  };
  const standbyRecord = async () => (await b.vees.listByService(db.serviceId)).find((v) => v.role === 'standby' && v.phase !== 'deleted');
  const stateOn = async (host: string) => (await (await b.sim.connect(`sim://${host}`)).list()).find((d) => d.name === db.domain)?.state ?? 'missing';
  const reconciler = new SiteReconciler(b.deps, { periodMs: 1000, scheduler: () => () => undefined });
  const executor = new RecoveryExecutor(b.deps, b.checkpoints, standbys);
  const switchAction = (vee: VeeRecord): RecoveryAction =>
    ({ type: 'switch-to-standby', veeId: vee.id, seq: 1, step: 'switch-to-standby', attempt: 1, hostId: vee.hostId, reason: 'test' }) as RecoveryAction;
  return { ...b, copies, standbys, db, checkpoint, standbyRecord, stateOn, reconciler, executor, switchAction, advance: (ms: number) => (tick += ms) };
}

describe('LiveStandbys (a paused standby of a live-standby VEE on another host, sim hosts)', () => {
  it('keeps a paused standby on the copy host, counted by placement, left alone by the reconcile loop, refreshed after each checkpoint', async () => {
    const b = await bench();
    b.sim.advanceGuest(b.db.hostName, b.db.domain, 3);
    const first = await b.checkpoint();
    const standby = await b.standbyRecord();
    expect(standby).toMatchObject({ role: 'standby', phase: 'standby', domain: b.db.domain, spec: b.db.spec, tier: b.db.tier });
    if (!standby) throw new Error('no standby');
    expect(standby.hostId).not.toBe(b.db.hostId);
    expect(await b.stateOn(standby.hostName)).toBe('paused');
    expect(b.sim.guestState(standby.hostName, b.db.domain)).toBe(3);
    expect((await b.store.get(first.id))?.locations.map((l) => l.hostId)).toEqual([b.db.hostId, standby.hostId]);
    expect(await b.standbys.status(b.db.id)).toEqual({ hostId: standby.hostId, hostName: standby.hostName, refreshedAt: expect.any(String), checkpointId: first.id, lastRefreshMs: 0 });
    expect((await b.vees.listLive()).filter((v) => v.hostId === standby.hostId && v.role === 'standby')).toHaveLength(1);

    await b.reconciler.runOnce();
    expect(await b.stateOn(standby.hostName)).toBe('paused');

    b.sim.advanceGuest(b.db.hostName, b.db.domain, 4);
    const second = await b.checkpoint();
    expect((await b.standbyRecord())?.id).toBe(standby.id); // same standby, same host (copies go to it first)
    expect(b.sim.guestState(standby.hostName, b.db.domain)).toBe(7);
    expect((await b.standbys.status(b.db.id))?.checkpointId).toBe(second.id);
    expect(await b.stateOn(b.db.hostName)).toBe('running');
  });

  it('refreshes at most every minRefreshMs', async () => {
    const b = await bench({ minRefreshMs: 10_000 });
    const first = await b.checkpoint();
    b.sim.advanceGuest(b.db.hostName, b.db.domain, 2);
    await b.checkpoint();
    expect((await b.standbys.status(b.db.id))?.checkpointId).toBe(first.id);
    b.clock.advance(10_000);
    const third = await b.checkpoint();
    expect((await b.standbys.status(b.db.id))?.checkpointId).toBe(third.id);
  });

  it('host killed: switch-to-standby resumes the standby as the VEE, moves it, records the switch-over time; the stale domain is fenced when the host is back', async () => {
    const b = await bench();
    b.sim.advanceGuest(b.db.hostName, b.db.domain, 5);
    const c = await b.checkpoint();
    const standby = await b.standbyRecord();
    if (!standby) throw new Error('no standby');
    b.sim.advanceGuest(b.db.hostName, b.db.domain, 9);
    b.sim.killHost(b.db.hostName);
    const service = await b.services.get(b.db.serviceId);
    if (!service) throw new Error('no service');
    await expect(b.executor.execute(b.switchAction(b.db), b.db, service)).resolves.toEqual({ hostId: standby.hostId });
    expect(await b.vees.get(b.db.id)).toMatchObject({ hostId: standby.hostId, hostName: standby.hostName, domain: b.db.domain, role: 'active' });
    expect((await b.vees.get(standby.id))?.phase).toBe('deleted');
    expect(await b.stateOn(standby.hostName)).toBe('running');
    expect(b.sim.guestState(standby.hostName, b.db.domain)).toBe(5);
    expect(await b.standbys.status(b.db.id)).toEqual({ lastSwitchOverMs: 0 });
    expect(b.lines.some((l) => l.includes(`switched over to its live standby on host ${standby.hostName} in 0 ms (state of checkpoint ${c.id})`))).toBe(true);

    b.sim.reviveHost(b.db.hostName);
    await b.reconciler.runOnce();
    expect((await b.domains()).filter((d) => d.endsWith(`/${b.db.domain}`))).toEqual([`${standby.hostName}/${b.db.domain}`]);
  });

  it('switch-to-standby without a standby fails with the reason (the ladder escalates)', async () => {
    const b = await bench();
    const service = await b.services.get(b.db.serviceId);
    if (!service) throw new Error('no service');
    await expect(b.executor.execute(b.switchAction(b.db), b.db, service)).rejects.toThrow(`VEE ${b.db.domain} has no live standby at this site`);
  });

  it('restore-checkpoint-elsewhere onto the standby host replaces the standby', async () => {
    const b = await bench();
    b.sim.advanceGuest(b.db.hostName, b.db.domain, 2);
    await b.checkpoint();
    const standby = await b.standbyRecord();
    if (!standby) throw new Error('no standby');
    b.sim.killHost(b.db.hostName);
    await expect(b.checkpoints.restoreNewest(b.db, { kind: 'elsewhere', avoidHostId: b.db.hostId })).resolves.toMatchObject({ hostId: standby.hostId });
    expect((await b.vees.get(standby.id))?.phase).toBe('deleted');
    expect(await b.stateOn(standby.hostName)).toBe('running');
    expect(b.sim.guestState(standby.hostName, b.db.domain)).toBe(2);
  });
});
