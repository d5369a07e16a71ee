import { HypervisorError } from '@reservoir/domain/ports/hypervisor.port';
import { CHECKPOINT_DIR, checkpointBench } from '@reservoir/testing/checkpoint-bench';

describe('CheckpointService: group cuts', () => {
  it('pauses dependents first, writes every member, resumes dependencies first, and stores a complete cut', async () => {
    const b = await checkpointBench();
    const { service, vees, one } = await b.deployShop({ batch: true });
    const before = b.vees.histories.length;
    const cut = await b.checkpoints.takeGroupCut(service.id, 'api');
    expect(cut).toMatchObject({ id: `${service.id}-e1`, groupId: service.id, epoch: 1, complete: true, trigger: 'api', order: { kind: 'dependency' } });
    expect(cut.members.map((m) => m.veeId).sort()).toEqual(vees.map((v) => v.id).sort());
    for (const m of cut.members) expect(m).toMatchObject({ checkpointId: expect.any(String), pausedMs: expect.any(Number), sha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(cut.pauseMsMax).toBe(Math.max(...cut.members.map((m) => m.pausedMs ?? 0)));

    // Phase log: every member checkpointing then running; web paused before app before db, resumed after.
    const moves = b.vees.histories.slice(before).map((h) => `${vees.find((v) => v.id === h.veeId)?.tier}:${h.to}`);
    expect(moves.filter((m) => m.endsWith(':checkpointing'))).toHaveLength(vees.length);
    expect(moves.filter((m) => m.endsWith(':running'))).toHaveLength(vees.length);
    const first = (m: string) => moves.indexOf(m);
    const last = (m: string) => moves.lastIndexOf(m);
    expect(last('web-servers:checkpointing')).toBeLessThan(first('app-servers:checkpointing'));
    expect(last('app-servers:checkpointing')).toBeLessThan(first('db-servers:checkpointing'));
    expect(last('db-servers:running')).toBeLessThan(first('app-servers:running'));
    expect(last('app-servers:running')).toBeLessThan(first('web-servers:running'));
    for (const v of vees) expect(await b.stateOf(v)).toBe('running');

    const stored = await b.store.getCut(service.id, 1);
    expect(stored?.complete).toBe(true);
    expect(stored?.parts.map((p) => p.veeId).sort()).toEqual(vees.map((v) => v.id).sort());
    const db = one('db-servers');
    const [part] = await b.checkpoints.listVeeCheckpoints(db.id);
    expect(part).toMatchObject({ groupId: service.id, epoch: 1, complete: true, trigger: 'api', createdAt: cut.createdAt, locations: [{ kind: 'local', hostId: db.hostId, path: `${CHECKPOINT_DIR}/${db.domain}/${part?.id}` }] });
    expect((await b.checkpoints.takeGroupCut(service.id, 'periodic')).epoch).toBe(2);
  });

  it('discards a cut when one member fails to write: every written part deleted, members resumed, the epoch used up', async () => {
    const b = await checkpointBench();
    const { service, vees, one } = await b.deployShop();
    const app = one('app-servers');
    b.sim.refuseNext(app.hostName, 'checkpointWrite', new HypervisorError('operation-failed', 'no space left'));
    const cut = await b.checkpoints.takeGroupCut(service.id, 'api');
    expect(cut).toMatchObject({ epoch: 1, complete: false, reason: expect.stringMatching(/discarded: 1 of 5 member\(s\) failed/) });
    expect(cut.members.find((m) => m.veeId === app.id)?.error).toMatch(/no space left/);
    expect(cut.members.every((m) => m.checkpointId === undefined)).toBe(true);
    for (const v of vees) {
      expect(await b.checkpoints.listVeeCheckpoints(v.id)).toEqual([]);
      expect(await b.stateOf(v)).toBe('running');
      expect((await b.vees.get(v.id))?.phase).toBe('running');
    }
    expect(await b.store.listCuts(service.id)).toEqual([]);
    const next = await b.checkpoints.takeGroupCut(service.id, 'api');
    expect(next).toMatchObject({ epoch: 2, complete: true });
  });

  it('writes nothing when a pause fails, and resumes the members that had paused', async () => {
    const b = await checkpointBench();
    const { service, vees, one } = await b.deployShop();
    const db = one('db-servers');
    b.sim.refuseNext(db.hostName, 'pause', new HypervisorError('operation-failed', 'qemu monitor timeout'));
    const cut = await b.checkpoints.takeGroupCut(service.id, 'api');
    expect(cut.complete).toBe(false);
    expect(cut.members.find((m) => m.veeId === db.id)).toMatchObject({ pausedMs: null, error: expect.stringMatching(/pause failed: qemu monitor timeout/) });
    expect(cut.members.filter((m) => m.pausedMs !== null).map((m) => vees.find((v) => v.id === m.veeId)?.tier).sort()).toEqual(['app-servers', 'app-servers', 'web-servers', 'web-servers']);
    for (const v of vees) {
      expect(await b.stateOf(v)).toBe('running');
      expect((await b.vees.get(v.id))?.phase).toBe('running');
    }
    expect(b.phasesOf(db.id).slice(-2)).toEqual(['checkpointing', 'running']);
    for (const v of vees) expect(await b.checkpoints.listVeeCheckpoints(v.id)).toEqual([]);
  });

  it("keeps each VEE's part of the newest complete cut beyond K", async () => {
    const b = await checkpointBench({ keep: 1 });
    const { service, one } = await b.deployShop();
    const db = one('db-servers');
    const cut = await b.checkpoints.takeGroupCut(service.id, 'api');
    b.clock.advance(1000);
    const own = await b.checkpoints.takeVeeCheckpoint(db.id, 'before-migration');
    const kept = (await b.checkpoints.listVeeCheckpoints(db.id)).map((c) => c.id);
    expect(kept).toEqual([own.id, cut.members.find((m) => m.veeId === db.id)?.checkpointId]);
  });
});
