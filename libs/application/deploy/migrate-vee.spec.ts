import { HypervisorError } from '@reservoir/domain/ports/hypervisor.port';
import { DomainError } from '@reservoir/domain/shared/domain-error';
import { checkpointBench } from '@reservoir/testing/checkpoint-bench';
import { MigrateVee } from './migrate-vee';

async function bench() {
  const b = await checkpointBench();
  const shop = await b.deployShop({ protection: { 'db-servers': { level: 'live-standby', intervalMs: 1000 } } });
  const migrations = new MigrateVee(b.deps, b.checkpoints);
  /** A host of the bench other than `hostName`. */
  const otherHost = async (hostName: string) => {
    const h = (await b.hosts.list()).find((x) => x.name !== hostName);
    if (!h) throw new Error('setup');
    return h;
  };
  return { b, ...shop, migrations, otherHost };
}

const refusal = async (p: Promise<unknown>) => {
  const e = await p.then(() => undefined, (err: unknown) => err);
  expect(e).toBeInstanceOf(DomainError);
  return e as DomainError;
};

describe('MigrateVee', () => {
  it('checkpoints a protected VEE (before-migration), migrates it live, records the move; phases migrating → running', async () => {
    const { b, one, migrations, otherHost } = await bench();
    const db = one('db-servers');
    const target = await otherHost(db.hostName);
    const m = await migrations.execute(db.id, { host: target.name });
    expect(m).toMatchObject({ from: { id: db.hostId, name: db.hostName }, to: { id: target.id, name: target.name }, vee: { id: db.id, hostId: target.id, hostName: target.name, phase: 'running' } });
    const checkpoints = await b.checkpoints.listVeeCheckpoints(db.id);
    expect(checkpoints.map((c) => [c.id, c.trigger, c.complete])).toEqual([[m.checkpointId, 'before-migration', true]]);
    expect(await b.vees.get(db.id)).toMatchObject({ hostId: target.id, hostName: target.name, phase: 'running' });
    expect(b.phasesOf(db.id).slice(-4)).toEqual(['checkpointing', 'running', 'migrating', 'running']);
    expect(await b.domains()).toContain(`${target.name}/${db.domain}`);
    expect(await b.domains()).not.toContain(`${db.hostName}/${db.domain}`);
  });

  it('takes no checkpoint for a tier without checkpoints, and accepts the host id', async () => {
    const { b, one, migrations, otherHost } = await bench();
    const web = one('web-servers');
    const target = await otherHost(web.hostName);
    const m = await migrations.execute(web.id, { host: target.id });
    expect(m.checkpointId).toBeUndefined();
    expect(await b.checkpoints.listVeeCheckpoints(web.id)).toEqual([]);
    expect((await b.vees.get(web.id))?.hostName).toBe(target.name);
  });

  it('refuses an unknown VEE or host (not-found), a bad body, the same host and a full target (conflict)', async () => {
    const { b, one, migrations, otherHost } = await bench();
    const db = one('db-servers');
    expect((await refusal(migrations.execute('00000000-0000-4000-8000-00000000ffff', { host: 'h1' }))).code).toBe('not-found');
    expect((await refusal(migrations.execute(db.id, { host: 'h9' }))).code).toBe('not-found');
    expect((await refusal(migrations.execute(db.id, {}))).details).toEqual([{ path: '/host', message: expect.any(String) }]);
    expect((await refusal(migrations.execute(db.id, { host: db.hostName }))).message).toMatch(/already runs on host/);
    const target = await otherHost(db.hostName);
    await b.hosts.remove(target.id);
    await b.hosts.create({ ...target, capacity: { vcpu: 1, memoryMiB: 64, diskGiB: 100 } });
    const full = await refusal(migrations.execute(db.id, { host: target.name }));
    expect([full.code, full.message]).toEqual(['conflict', expect.stringMatching(new RegExp(`host ${target.name} has no room for VEE ${db.domain}: .*memoryMiB`))]);
    expect(await b.checkpoints.listVeeCheckpoints(db.id)).toEqual([]);
    expect((await b.vees.get(db.id))?.hostId).toBe(db.hostId);
  });

  it('a driver that cannot migrate is a conflict with its reason; the VEE stays where it was, running', async () => {
    const { b, one, migrations, otherHost } = await bench();
    const web = one('web-servers');
    const conn = await b.pooledHostOf(web);
    conn.migrate = async () => {
      throw new HypervisorError('unsupported', 'this driver cannot migrate live');
    };
    const e = await refusal(migrations.execute(web.id, { host: (await otherHost(web.hostName)).name }));
    expect([e.code, e.message]).toEqual(['conflict', expect.stringMatching(/this driver cannot migrate live/)]);
    expect(await b.vees.get(web.id)).toMatchObject({ hostId: web.hostId, phase: 'running' });
    expect(b.phasesOf(web.id).slice(-2)).toEqual(['migrating', 'running']);
  });
});
