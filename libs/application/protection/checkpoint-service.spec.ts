import { createHash } from 'node:crypto';
import { HypervisorError } from '@reservoir/domain/ports/hypervisor.port';
import { DeleteService } from '../deploy/delete-service';
import { CHECKPOINT_DIR, checkpointBench } from '@reservoir/testing/checkpoint-bench';

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

describe('CheckpointService: VEE checkpoints', () => {
  it('records the checkpoint first, writes the bundle on the VEE host, then completes it with size and bundle digest', async () => {
    const b = await checkpointBench();
    const { one } = await b.deployShop();
    const db = one('db-servers');
    const created: unknown[] = [];
    const create = b.store.create.bind(b.store);
    b.store.create = async (c) => {
      created.push({ recordsBefore: (await b.store.listByVee(c.veeId)).length, bundles: await (await b.hostOf(db)).checkpointMeasure(`${CHECKPOINT_DIR}/${db.domain}/${c.id}`).catch(() => 'none') });
      return create(c);
    };
    const c = await b.checkpoints.takeVeeCheckpoint(db.id, 'api');
    expect(created).toEqual([{ recordsBefore: 0, bundles: 'none' }]);
    const path = `${CHECKPOINT_DIR}/${db.domain}/${c.id}`;
    const files = await (await b.hostOf(db)).checkpointMeasure(path);
    expect(files.map((f) => f.name)).toEqual(['disk-data.qcow2', 'disk-root.qcow2', 'memory.state']);
    expect(c).toMatchObject({
      veeId: db.id, serviceId: db.serviceId, epoch: 1, complete: true, trigger: 'api',
      sizeBytes: files.reduce((s, f) => s + f.bytes, 0),
      sha256: sha256(files.map((f) => `${f.name} ${f.sha256} ${f.bytes}\n`).join('')),
      locations: [{ kind: 'local', siteId: 'test', hostId: db.hostId, path }],
    });
    expect(c.groupId).toBeUndefined();
    expect(c.completedAt).toBeInstanceOf(Date);
    expect(b.phasesOf(db.id).slice(-2)).toEqual(['checkpointing', 'running']);
    expect(await b.stateOf(db)).toBe('running');
    expect((await b.checkpoints.takeVeeCheckpoint(db.id, 'monitoring-rule:disk-full')).epoch).toBe(2);
    expect((await b.checkpoints.listVeeCheckpoints(db.id)).map((x) => x.trigger)).toEqual(['monitoring-rule:disk-full', 'api']);
  });

  it('keeps the newest K per VEE and deletes the bundles of the others', async () => {
    const b = await checkpointBench({ keep: 2 });
    const { one } = await b.deployShop();
    const web = one('web-servers');
    const ids: string[] = [];
    for (let i = 0; i < 4; i += 1) {
      ids.push((await b.checkpoints.takeVeeCheckpoint(web.id, 'periodic')).id);
      b.clock.advance(1000);
    }
    expect((await b.checkpoints.listVeeCheckpoints(web.id)).map((c) => c.id)).toEqual([ids[3], ids[2]]);
    const conn = await b.hostOf(web);
    for (const id of ids.slice(0, 2)) await expect(conn.checkpointMeasure(`${CHECKPOINT_DIR}/${web.domain}/${id}`)).rejects.toMatchObject({ code: 'not-found' });
    for (const id of ids.slice(2)) expect(await conn.checkpointMeasure(`${CHECKPOINT_DIR}/${web.domain}/${id}`)).not.toHaveLength(0);
    // Periodic checkpoints leave the VEE's phase history alone.
    expect(b.phasesOf(web.id)).toEqual(['defined', 'starting', 'running']);
  });

  it('removes every checkpoint of a deleted service: bundles on their hosts and records', async () => {
    const b = await checkpointBench();
    const { one, service } = await b.deployShop();
    const web = one('web-servers');
    const mine = await b.checkpoints.takeVeeCheckpoint(web.id, 'api');
    const cut = await b.checkpoints.takeGroupCut(service.id, 'api');
    expect(cut.complete).toBe(true);
    await new DeleteService(b.deps, undefined, (v) => b.checkpoints.forgetVee(v)).execute(service.id);
    expect(await b.store.listByVee(web.id)).toEqual([]);
    await expect((await b.hostOf(web)).checkpointMeasure(`${CHECKPOINT_DIR}/${web.domain}/${mine.id}`)).rejects.toMatchObject({ code: 'not-found' });
    for (const m of cut.members) expect(await b.store.listByVee(m.veeId)).toEqual([]);
  });

  it('leaves nothing behind when the write fails, and the VEE running', async () => {
    const b = await checkpointBench();
    const { one } = await b.deployShop();
    const app = one('app-servers');
    b.sim.refuseNext(app.hostName, 'checkpointWrite', new HypervisorError('operation-failed', 'disk full'));
    await expect(b.checkpoints.takeVeeCheckpoint(app.id, 'api')).rejects.toMatchObject({ code: 'unavailable', message: expect.stringMatching(/disk full/) });
    expect(await b.checkpoints.listVeeCheckpoints(app.id)).toEqual([]);
    expect(b.phasesOf(app.id).slice(-3)).toEqual(['running', 'checkpointing', 'running']);
    expect(await b.stateOf(app)).toBe('running');
  });

  it('resumes a guest that a failed write left paused (a paused domain passes every health check)', async () => {
    const b = await checkpointBench();
    const { one } = await b.deployShop();
    const app = one('app-servers');
    // As QEMU leaves it when the driver fails between its pause and its resume.
    await (await b.sim.connect(`sim://${app.hostName}`)).pause(app.domain);
    b.sim.refuseNext(app.hostName, 'checkpointWrite', new HypervisorError('operation-failed', 'block-commit: Block node is read-only'));
    await expect(b.checkpoints.takeVeeCheckpoint(app.id, 'api')).rejects.toMatchObject({ message: expect.stringMatching(/read-only/) });
    expect(await b.stateOf(app)).toBe('running');
  });

  it('answers unavailable (retryable) when the VEE host does not answer, and a group cut then writes nothing', async () => {
    const b = await checkpointBench();
    const { one, service, vees } = await b.deployShop();
    const db = one('db-servers');
    b.sim.killHost(db.hostName);
    await b.deps.connections.drop(db.hostId);
    await expect(b.checkpoints.takeVeeCheckpoint(db.id, 'api')).rejects.toMatchObject({ code: 'unavailable', retryable: true });
    await expect(b.checkpoints.takeGroupCut(service.id, 'api')).rejects.toMatchObject({ code: 'unavailable' });
    b.sim.reviveHost(db.hostName);
    for (const v of vees) expect(await b.checkpoints.listVeeCheckpoints(v.id)).toEqual([]);
  });

  it('sweeps an abandoned in-progress record (a broker that stopped mid-write) at the next checkpoint', async () => {
    const b = await checkpointBench();
    const { one } = await b.deployShop();
    const db = one('db-servers');
    await b.store.create({ id: 'stale', veeId: db.id, serviceId: db.serviceId, epoch: 1, createdAt: b.clock.now(), locations: [{ kind: 'local', siteId: 'test', hostId: db.hostId, path: `${CHECKPOINT_DIR}/${db.domain}/stale` }] });
    const c = await b.checkpoints.takeVeeCheckpoint(db.id, 'api');
    expect((await b.checkpoints.listVeeCheckpoints(db.id)).map((x) => x.id)).toEqual([c.id]);
  });

  it('answers not-found for unknown ids, conflict for a VEE or service not running, invalid-input for a bad trigger', async () => {
    const b = await checkpointBench();
    const { one, service } = await b.deployShop();
    const web = one('web-servers');
    await expect(b.checkpoints.takeVeeCheckpoint('nope', 'api')).rejects.toMatchObject({ code: 'not-found' });
    await expect(b.checkpoints.takeVeeCheckpoint('00000000-0000-4000-8000-00000000ffff', 'api')).rejects.toMatchObject({ code: 'not-found' });
    await expect(b.checkpoints.listVeeCheckpoints('00000000-0000-4000-8000-00000000ffff')).rejects.toMatchObject({ code: 'not-found' });
    await expect(b.checkpoints.takeGroupCut('00000000-0000-4000-8000-00000000ffff', 'api')).rejects.toMatchObject({ code: 'not-found' });
    await expect(b.checkpoints.takeVeeCheckpoint(web.id, 'sometimes' as 'api')).rejects.toMatchObject({ code: 'invalid-input' });
    await b.deps.veePhases.move(web, { type: 'crashed', reason: 'test' }, 'reconcile');
    await expect(b.checkpoints.takeVeeCheckpoint(web.id, 'api')).rejects.toMatchObject({ code: 'conflict', message: expect.stringMatching(/is failed/) });
    await expect(b.checkpoints.takeGroupCut(service.id, 'api')).rejects.toMatchObject({ code: 'conflict', message: expect.stringMatching(/needs every VEE running/) });
    const record = await b.services.get(service.id);
    if (record) await b.deps.servicePhases.move(record, { type: 'delete-requested' }, 'api');
    await expect(b.checkpoints.takeVeeCheckpoint(one('db-servers').id, 'api')).rejects.toMatchObject({ code: 'conflict', message: expect.stringMatching(/deleting/) });
  });
});
