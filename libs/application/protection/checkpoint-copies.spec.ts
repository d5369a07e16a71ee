import { type VeeRecord } from '@reservoir/domain/vee/vee-record';
import { checkpointBench } from '@reservoir/testing/checkpoint-bench';
import { SiteReconciler } from '../reconcile/site-reconciler';
import { CheckpointCopies } from './checkpoint-copies';
import { CheckpointScheduler } from './checkpoint-scheduler';
import { RecoveryExecutor } from './recovery-executor';

/** The checkpoint bench with copies to a second host hooked after every completed checkpoint. */
async function bench(options: { keep?: number } = {}) {
  const b = await checkpointBench(options);
  const copies = new CheckpointCopies(b.checkpointDeps);
  b.checkpoints.onCompleted((c) => copies.enqueue(c));
  const scheduler = new CheckpointScheduler(b.checkpointDeps, b.checkpoints, { discoverEveryMs: 1000, scheduler: () => () => undefined });
  scheduler.addConditionSource((id) => copies.conditions(id));
  const shop = await b.deployShop({ protection: { 'db-servers': { level: 'checkpoint' } } });
  const db = shop.one('db-servers');
  const hostName = async (id: string | undefined) => (await b.hosts.list()).find((h) => h.id === id)?.name ?? '?';
  const checkpoint = async (vee: VeeRecord) => {
    const c = await b.checkpoints.takeVeeCheckpoint(vee.id, 'api');
    await copies.idle();
    return (await b.store.get(c.id)) ?? c;
  };
  return { ...b, one: shop.one, copies, scheduler, db, hostName, checkpoint };
}

describe('CheckpointCopies (copies of checkpoints to a second host, sim hosts)', () => {
  it('copies each complete checkpoint of a checkpoint tier to a host of another rack, verifies it and records a second location', async () => {
    const b = await bench();
    const c = await b.checkpoint(b.db);
    expect(c.locations).toHaveLength(2);
    const [own, copy] = c.locations;
    expect(own).toMatchObject({ kind: 'local', hostId: b.db.hostId });
    expect(copy?.hostId).not.toBe(b.db.hostId);
    const target = await b.hostName(copy?.hostId);
    expect(copy).toMatchObject({ kind: 'local', siteId: 'test', path: `${own?.path}.copy-${target}` });
    const there = await b.sim.connect(`sim://${target}`);
    const here = await b.hostOf(b.db);
    expect(await there.checkpointMeasure(copy?.path ?? '')).toEqual(await here.checkpointMeasure(own?.path ?? ''));
    expect((await b.scheduler.status(b.db.id)).conditions).toEqual([]);
    expect(b.lines.some((l) => l.includes(`checkpoint ${c.id} copied to host`) && l.includes('digest verified'))).toBe(true);
  });

  it('leaves checkpoints of other tiers alone', async () => {
    const b = await bench();
    const web = b.one('web-servers');
    const c = await b.checkpoint(web);
    expect(c.locations).toHaveLength(1);
  });

  it('with no second host answering, the VEE shows a NoSecondHost condition until a copy succeeds', async () => {
    const b = await bench();
    const others = (await b.hosts.list()).filter((h) => h.id !== b.db.hostId);
    for (const h of others) b.sim.killHost(h.name);
    const c = await b.checkpoint(b.db);
    expect(c.locations).toHaveLength(1);
    expect((await b.scheduler.status(b.db.id)).conditions).toEqual([
      { type: 'NoSecondHost', message: expect.stringMatching(new RegExp(`live on host ${b.db.hostName} only: no other host answers`)) },
    ]);
    for (const h of others) b.sim.reviveHost(h.name);
    expect((await b.checkpoint(b.db)).locations).toHaveLength(2);
    expect((await b.scheduler.status(b.db.id)).conditions).toEqual([]);
  });

  it('a copy whose digest does not match is deleted and the next host is tried', async () => {
    const b = await bench();
    const hosts = (await b.hosts.list()).filter((h) => h.id !== b.db.hostId).sort((x, y) => x.name.localeCompare(y.name));
    const first = await b.sim.connect(`sim://${hosts[0]?.name ?? ''}`);
    const write = first.checkpointWriteFile.bind(first);
    const pooled = await b.deps.connections.get(hosts[0] ?? (await Promise.reject(new Error('no host'))));
    pooled.checkpointWriteFile = async (dir, file, data) => {
      const chunks: Uint8Array[] = [];
      for await (const chunk of data) chunks.push(chunk);
      async function* bad(): AsyncGenerator<Uint8Array> {
        yield Buffer.concat([...chunks, Buffer.from('!')]);
      }
      return write(dir, file, bad());
    };
    const c = await b.checkpoint(b.db);
    expect(c.locations.map((l) => l.hostId)).toEqual([b.db.hostId, hosts[1]?.id]);
    await expect(first.checkpointMeasure(`${c.locations[0]?.path ?? ''}.copy-${hosts[0]?.name}`)).rejects.toMatchObject({ code: 'not-found' });
  });

  it('retention removes every copy of a pruned checkpoint, on every host', async () => {
    const b = await bench({ keep: 1 });
    const first = await b.checkpoint(b.db);
    expect(first.locations).toHaveLength(2);
    await b.checkpoint(b.db);
    expect(await b.store.get(first.id)).toBeUndefined();
    for (const l of first.locations) {
      const conn = await b.sim.connect(`sim://${await b.hostName(l.hostId)}`);
      await expect(conn.checkpointMeasure(l.path)).rejects.toMatchObject({ code: 'not-found' });
    }
  });

  it('a dead host: restore-checkpoint-elsewhere brings the VEE back on the copy host with the checkpoint state; the stale domain is fenced once the host is back', async () => {
    const b = await bench();
    b.sim.advanceGuest(b.db.hostName, b.db.domain, 5);
    const c = await b.checkpoint(b.db);
    const copyHost = c.locations[1]?.hostId;
    const saved = b.sim.guestState(b.db.hostName, b.db.domain);
    b.sim.advanceGuest(b.db.hostName, b.db.domain, 7);
    b.sim.killHost(b.db.hostName);
    const executor = new RecoveryExecutor(b.deps, b.checkpoints);
    const service = await b.services.get(b.db.serviceId);
    if (!service) throw new Error('no service');
    const action = { type: 'restore-checkpoint', where: 'elsewhere', avoidHost: b.db.hostId, veeId: b.db.id, seq: 1, step: 'restore-checkpoint-elsewhere', attempt: 1, hostId: b.db.hostId, reason: 'test' } as const;
    await expect(executor.execute(action, b.db, service)).resolves.toEqual({ hostId: copyHost });
    const moved = await b.vees.get(b.db.id);
    const target = await b.hostName(copyHost);
    expect(moved).toMatchObject({ hostId: copyHost, hostName: target, spec: b.db.spec });
    expect((await (await b.sim.connect(`sim://${target}`)).info(b.db.domain)).state).toBe('running');
    expect(b.sim.guestState(target, b.db.domain)).toBe(saved);
    b.sim.reviveHost(b.db.hostName);
    await new SiteReconciler(b.deps, { periodMs: 1000, scheduler: () => () => undefined }).runOnce();
    expect((await b.domains()).filter((d) => d.endsWith(`/${b.db.domain}`))).toEqual([`${target}/${b.db.domain}`]);
  });

  it('restore elsewhere without any copy off the host says so', async () => {
    const b = await bench();
    const web = b.one('web-servers');
    await b.checkpoint(web);
    await expect(b.checkpoints.restoreNewest(web, { kind: 'elsewhere', avoidHostId: web.hostId })).rejects.toMatchObject({
      code: 'unavailable', message: expect.stringMatching(/no copy of a checkpoint on another host could be restored: checkpoint \S+ has no copy off host/),
    });
  });
});
