import { HypervisorError } from '@reservoir/domain/ports/hypervisor.port';
import { type VeeRecord } from '@reservoir/domain/vee/vee-record';
import { CHECKPOINT_DIR, checkpointBench } from '@reservoir/testing/checkpoint-bench';

type Bench = Awaited<ReturnType<typeof checkpointBench>>;

/** Moves every guest on by `by` (work done since the last checkpoint). */
const advanceAll = (b: Bench, vees: readonly VeeRecord[], by: number) => vees.forEach((v) => b.sim.advanceGuest(v.hostName, v.domain, by));
const guest = (b: Bench, v: VeeRecord) => b.sim.guestState(v.hostName, v.domain);

/** What the failover supervisor does before calling restoreNewest: the VEE crashed, failed, recovering. */
async function failed(b: Bench, vee: VeeRecord): Promise<VeeRecord> {
  b.sim.crashDomain(vee.hostName, vee.domain);
  const f = await b.deps.veePhases.move(vee, { type: 'crashed', reason: 'domain crashed' }, 'reconcile');
  const r = f && (await b.deps.veePhases.move(f, { type: 'recovery-started', reason: 'restore-checkpoint' }, 'reconcile'));
  if (!r) throw new Error('test setup: VEE did not reach recovering');
  return r;
}

describe('CheckpointService: rollback and restore', () => {
  it('rolls back the failed tier and its dependents to the same cut; the independent tiers keep running untouched', async () => {
    const b = await checkpointBench();
    const { service, vees, one, byTier } = await b.deployShop({ batch: true });
    advanceAll(b, vees, 5);
    const cut = await b.checkpoints.takeGroupCut(service.id, 'periodic');
    advanceAll(b, vees, 7);
    const app = one('app-servers');
    const result = await b.checkpoints.rollbackGroup(service.id, app.id);
    expect(result).toMatchObject({ serviceId: service.id, groupId: service.id, failedVeeId: app.id, epoch: cut.epoch, scope: { kind: 'dependents', tiers: ['app-servers', 'web-servers'], keepRunningTiers: ['db-servers', 'batch'] } });
    expect(result.rolledBack.map((r) => r.tier)).toEqual(['app-servers', 'app-servers', 'web-servers', 'web-servers']);
    expect(result.keptRunning.map((m) => m.tier).sort()).toEqual(['batch', 'db-servers']);
    for (const v of [...byTier('app-servers'), ...byTier('web-servers')]) {
      expect(guest(b, v)).toBe(guest(b, one('db-servers')) - 7);
      expect(await b.stateOf(v)).toBe('running');
      expect(b.phasesOf(v.id).slice(-3)).toEqual(['running', 'recovering', 'running']);
      expect(result.rolledBack.find((r) => r.veeId === v.id)?.checkpointId).toBe(cut.members.find((m) => m.veeId === v.id)?.checkpointId);
    }
    for (const v of [one('db-servers'), one('batch')]) expect(b.phasesOf(v.id).at(-1)).toBe('running');
    expect(guest(b, one('batch'))).toBe(guest(b, one('db-servers')));
  });

  it('restores every member paused, then resumes them in dependency order (needed tiers first)', async () => {
    const b = await checkpointBench();
    const { service, one } = await b.deployShop();
    await b.checkpoints.takeGroupCut(service.id, 'api');
    const calls: string[] = [];
    for (const tier of ['db-servers', 'app-servers', 'web-servers']) {
      const v = one(tier);
      const conn = await b.pooledHostOf(v);
      const restore = conn.checkpointRestore.bind(conn);
      const resume = conn.resume.bind(conn);
      conn.checkpointRestore = async (name, dir, o) => {
        if (name === v.domain) calls.push(`restore ${tier} paused=${o.paused}`);
        return restore(name, dir, o);
      };
      conn.resume = async (name) => {
        if (name === v.domain) calls.push(`resume ${tier}`);
        return resume(name);
      };
    }
    await b.checkpoints.rollbackGroup(service.id, one('db-servers').id);
    expect(calls).toEqual(['restore db-servers paused=true', 'restore app-servers paused=true', 'restore web-servers paused=true', 'resume db-servers', 'resume app-servers', 'resume web-servers']);
  });

  it('leaves every member running when a restore fails half-way, the broken one failed, and says which', async () => {
    const b = await checkpointBench();
    const { service, one, byTier } = await b.deployShop();
    await b.checkpoints.takeGroupCut(service.id, 'api');
    const [app] = byTier('app-servers');
    if (!app) throw new Error('no app VEE');
    b.sim.refuseNext(app.hostName, 'checkpointRestore', new HypervisorError('invalid-argument', "file 'memory.state' is missing"));
    await expect(b.checkpoints.rollbackGroup(service.id, one('db-servers').id)).rejects.toMatchObject({ code: 'unavailable', message: expect.stringMatching(new RegExp(`restore of VEE ${app.domain}.*memory.state`)) });
    expect(await b.stateOf(one('db-servers'))).toBe('running');
    expect((await b.vees.get(one('db-servers').id))?.phase).toBe('running');
    expect((await b.vees.get(app.id))?.phase).toBe('failed');
    for (const v of byTier('web-servers')) expect((await b.vees.get(v.id))?.phase).toBe('running');
  });

  it('never restores a cut whose part fails its digest: the older cut is used, and the log says why', async () => {
    const b = await checkpointBench();
    const { service, vees, one } = await b.deployShop();
    const older = await b.checkpoints.takeGroupCut(service.id, 'periodic');
    advanceAll(b, vees, 3);
    b.clock.advance(60_000);
    const newer = await b.checkpoints.takeGroupCut(service.id, 'periodic');
    const db = one('db-servers');
    const dbPart = newer.members.find((m) => m.veeId === db.id)?.checkpointId;
    b.sim.corruptCheckpointFile(db.hostName, `${CHECKPOINT_DIR}/${db.domain}/${dbPart}`, 'memory.state');
    const recovering = await failed(b, db);
    const done = await b.checkpoints.restoreNewest(recovering, { kind: 'in-place' });
    expect(done).toEqual({ hostId: db.hostId, checkpointId: older.members.find((m) => m.veeId === db.id)?.checkpointId });
    expect(b.lines.some((l) => new RegExp(`checkpoint ${dbPart} of VEE ${db.id} failed its digest check`).test(l))).toBe(true);
    for (const v of vees) expect(await b.stateOf(v)).toBe('running');
    // The caller owns the failed VEE's phase; its dependents went recovering → running.
    expect((await b.vees.get(db.id))?.phase).toBe('recovering');
    expect(b.phasesOf(one('web-servers').id).slice(-2)).toEqual(['recovering', 'running']);
  });

  it("restores a VEE outside any cut from its newest own checkpoint that passes its digest", async () => {
    const b = await checkpointBench();
    const { one } = await b.deployShop();
    const web = one('web-servers');
    b.sim.advanceGuest(web.hostName, web.domain, 2);
    const first = await b.checkpoints.takeVeeCheckpoint(web.id, 'periodic');
    b.clock.advance(1000);
    b.sim.advanceGuest(web.hostName, web.domain, 2);
    const second = await b.checkpoints.takeVeeCheckpoint(web.id, 'periodic');
    b.sim.deleteCheckpointFile(web.hostName, `${CHECKPOINT_DIR}/${web.domain}/${second.id}`, 'disk-root.qcow2');
    b.sim.advanceGuest(web.hostName, web.domain, 2);
    const done = await b.checkpoints.restoreNewest(await failed(b, web), { kind: 'in-place' });
    expect(done).toEqual({ hostId: web.hostId, checkpointId: first.id });
    expect(guest(b, web)).toBe(2);
    expect(await b.stateOf(web)).toBe('running');
    expect(b.lines.some((l) => l.includes(`skipping checkpoint ${second.id}`) && l.includes('failed its digest check'))).toBe(true);
  });

  it('rejects a restore elsewhere with no copy on another host, and a VEE with nothing restorable', async () => {
    const b = await checkpointBench();
    const { one } = await b.deployShop();
    const web = one('web-servers');
    await expect(b.checkpoints.restoreNewest(web, { kind: 'elsewhere', avoidHostId: web.hostId })).rejects.toThrow(/no copy of a checkpoint on another host could be restored: it has no complete checkpoint/);
    await expect(b.checkpoints.restoreNewest(web, { kind: 'in-place' })).rejects.toMatchObject({ code: 'not-found', message: expect.stringMatching(/no restorable checkpoint: it has no complete checkpoint/) });
  });

  it('refuses a rollback with no usable cut, of a VEE of another service, or of an unknown service', async () => {
    const b = await checkpointBench();
    const { service, one } = await b.deployShop();
    const other = await b.deployShop({ name: 'other' });
    await expect(b.checkpoints.rollbackGroup(service.id, one('db-servers').id)).rejects.toMatchObject({ code: 'conflict', message: expect.stringMatching(/the service has no complete cut/) });
    await expect(b.checkpoints.rollbackGroup(service.id, other.one('db-servers').id)).rejects.toMatchObject({ code: 'invalid-input' });
    await expect(b.checkpoints.rollbackGroup('00000000-0000-4000-8000-00000000ffff', one('db-servers').id)).rejects.toMatchObject({ code: 'not-found' });
    await expect(b.checkpoints.rollbackGroup(service.id, '00000000-0000-4000-8000-00000000ffff')).rejects.toMatchObject({ code: 'not-found' });
  });
});
