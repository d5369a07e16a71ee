import { type ProtectionLevel, type ServiceDefinition } from '@reservoir/domain/manifest/service-definition';
import { type StoredCheckpoint } from '@reservoir/domain/ports/checkpoint-store.port';
import { DomainError } from '@reservoir/domain/shared/domain-error';
import { type VeeRecord, type VeeRole } from '@reservoir/domain/vee/vee-record';
import { FakeClock, InMemoryServiceStore } from '@reservoir/testing/fakes';
import { InMemoryVeeStore } from '@reservoir/testing/fakes-deploy';
import { FakeCheckpointStore, ManualScheduler } from '@reservoir/testing/fakes-protection';
import { deployTier } from '@reservoir/testing/deploy-builders';
import { CheckpointScheduler, type CheckpointTaker } from './checkpoint-scheduler';

const SERVICE = '50000000-0000-4000-8000-000000000001';
const id = (n: number) => `e0000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
const SHA = 'a'.repeat(64);

const tier = (name: string, protection: ProtectionLevel, checkpointIntervalMs?: number) => {
  const t = deployTier(name);
  return { ...t, qos: { ...t.qos, protection, ...(checkpointIntervalMs === undefined ? {} : { checkpointIntervalMs }) } };
};

async function bench(window?: number) {
  const clock = new FakeClock();
  const timers = new ManualScheduler(clock);
  const services = new InMemoryServiceStore();
  const vees = new InMemoryVeeStore();
  const checkpoints = new FakeCheckpointStore();
  const lines: string[] = [];
  const definition: ServiceDefinition = {
    name: 'svc', version: '1', relations: [], qos: { replicas: 0 },
    tiers: [tier('db', 'checkpoint', 1000), tier('app', 'live-standby', 2000), tier('web', 'restart')],
  };
  const now = clock.now();
  await services.create({ id: SERVICE, siteId: 's', name: 'svc', phase: 'running', definition, manifest: new Uint8Array(), createdAt: now, updatedAt: now }, { from: null, to: 'running', reason: 'x', at: now });
  const addVee = async (n: number, tierName: string, role: VeeRole = 'active'): Promise<VeeRecord> => {
    const vee: VeeRecord = {
      id: id(n), serviceId: SERVICE, serviceName: 'svc', tier: tierName, index: n, hostId: 'h1', hostName: 'h1', role, phase: 'running',
      domain: `rsv-svc-${tierName}-${n}`, consoleLog: '/c', spec: { name: 'd', uuid: id(n), vcpu: 1, memoryMiB: 64, disks: [], networks: [], boot: { kind: 'disk' }, properties: {} },
      createdAt: clock.now(), updatedAt: clock.now(),
    };
    await vees.create(vee, { veeId: vee.id, serviceId: SERVICE, from: null, to: 'running', reason: 'x', by: 'deploy', at: clock.now() });
    return vee;
  };
  // The fake service: each checkpoint takes `durationMs` of virtual time, or fails.
  const calls: { veeId: string; at: number; done?: number }[] = [];
  const behaviour = { durationMs: 100, fail: undefined as Error | undefined };
  let inFlight = 0;
  let maxInFlight = 0;
  const taker: CheckpointTaker = {
    takeVeeCheckpoint: (veeId) => {
      const call: { veeId: string; at: number; done?: number } = { veeId, at: clock.now().getTime() };
      calls.push(call);
      inFlight += 1;
      maxInFlight = Math.max(maxInFlight, inFlight);
      const createdAt = clock.now();
      return new Promise<StoredCheckpoint>((resolve, reject) => {
        timers.schedule(() => {
          inFlight -= 1;
          call.done = clock.now().getTime();
          if (behaviour.fail) reject(behaviour.fail);
          else resolve({ id: `ck-${calls.length}`, veeId, serviceId: SERVICE, epoch: calls.length, createdAt, completedAt: clock.now(), sizeBytes: 1, sha256: SHA, locations: [], complete: true });
        }, behaviour.durationMs);
      });
    },
  };
  const scheduler = new CheckpointScheduler({ services, vees, checkpoints, clock, log: (l) => lines.push(l) }, taker, { discoverEveryMs: 60_000, scheduler: timers.schedule, ...(window === undefined ? {} : { window }) });
  const startsOf = (veeId: string) => calls.filter((c) => c.veeId === veeId).map((c) => c.at - now.getTime());
  return { clock, timers, vees, checkpoints, scheduler, addVee, calls, behaviour, startsOf, lines, inFlight: () => maxInFlight, t0: now.getTime() };
}

/** Stops the scheduler; the checkpoint under way (virtual time) finishes first. */
async function stopped(b: Awaited<ReturnType<typeof bench>>): Promise<void> {
  const stopping = b.scheduler.stop();
  await b.timers.advance(10_000);
  await stopping;
}

describe('CheckpointScheduler (virtual time)', () => {
  it('checkpoints every eligible VEE every interval: checkpoint and live-standby tiers with an interval, active copies only', async () => {
    const b = await bench();
    const db = await b.addVee(1, 'db');
    const app = await b.addVee(2, 'app');
    const web = await b.addVee(3, 'web');
    const standby = await b.addVee(4, 'db', 'standby');
    b.scheduler.start();
    await b.timers.advance(5000);
    expect(b.scheduler.watchedVees().sort()).toEqual([db.id, app.id].sort());
    expect(b.startsOf(db.id)).toEqual([0, 1000, 2000, 3000, 4000, 5000]);
    expect(b.startsOf(app.id)).toEqual([0, 2000, 4000]);
    expect(b.startsOf(web.id)).toEqual([]);
    expect(b.startsOf(standby.id)).toEqual([]);
    const status = await b.scheduler.status(db.id);
    expect(status.rpo).toEqual({ configuredMs: 1000, achievedMs: 1100, degraded: false });
    expect(status.conditions).toEqual([]);
    expect(await b.scheduler.status(web.id)).toEqual({ conditions: [] });
    await stopped(b);
  });

  it('never runs two at once for a VEE: a checkpoint longer than the interval makes the next start when it ends, and the RPO degrade', async () => {
    const b = await bench();
    const db = await b.addVee(1, 'db');
    b.behaviour.durationMs = 1500;
    b.scheduler.start();
    await b.timers.advance(6000);
    expect(b.inFlight()).toBe(1);
    expect(b.startsOf(db.id)).toEqual([0, 1500, 3000, 4500, 6000]);
    const status = await b.scheduler.status(db.id);
    expect(status.rpo).toMatchObject({ configuredMs: 1000, achievedMs: 3000, degraded: true, message: expect.stringMatching(/checkpoints take 1500 ms \(p95\)/) });
    expect(status.conditions).toEqual([{ type: 'RpoDegraded', message: status.rpo?.message }]);
    await stopped(b);
  });

  it('shows failing checkpoints as a condition and the RPO growing; a VEE that is not running is skipped quietly', async () => {
    const b = await bench();
    const db = await b.addVee(1, 'db');
    b.behaviour.fail = new DomainError('unavailable', 'host h1 down');
    b.scheduler.start();
    await b.timers.advance(2000);
    const status = await b.scheduler.status(db.id);
    expect(status.rpo).toMatchObject({ achievedMs: 2000, degraded: true, message: expect.stringMatching(/no checkpoint has completed for 2000 ms/) });
    expect(status.conditions.map((c) => c.type)).toEqual(['RpoDegraded', 'CheckpointFailing']);
    expect(status.conditions[1]?.message).toMatch(/host h1 down/);
    b.behaviour.fail = new DomainError('conflict', 'VEE is failed');
    await b.timers.advance(1000);
    expect((await b.scheduler.status(db.id)).conditions.map((c) => c.type)).toEqual(['RpoDegraded']);
    b.behaviour.fail = undefined;
    await b.timers.advance(1000);
    // Checkpoints work again; the outage stays in the RPO window (the worst gap, 3100 ms, until it slides out).
    expect((await b.scheduler.status(db.id)).conditions).toEqual([{ type: 'RpoDegraded', message: 'achieved RPO 3100 ms exceeds the configured 1000 ms × 1.5' }]);
    b.scheduler.addConditionSource((veeId) => (veeId === db.id ? [{ type: 'NoSecondHost', message: 'no second host to copy checkpoints to' }] : []));
    expect((await b.scheduler.status(db.id)).conditions.map((c) => c.type)).toEqual(['RpoDegraded', 'NoSecondHost']);
    await stopped(b);
  });

  it('looks back over a sliding window of checkpoints: an old outage leaves the RPO once it slides out', async () => {
    const b = await bench(3);
    const db = await b.addVee(1, 'db');
    b.behaviour.fail = new DomainError('unavailable', 'host h1 down');
    b.scheduler.start();
    await b.timers.advance(2500);
    b.behaviour.fail = undefined;
    await b.timers.advance(1000);
    expect((await b.scheduler.status(db.id)).rpo).toMatchObject({ degraded: true });
    await b.timers.advance(3000);
    expect((await b.scheduler.status(db.id)).rpo).toEqual({ configuredMs: 1000, achievedMs: 1100, degraded: false });
    await stopped(b);
  });

  it('starts from the newest stored checkpoint, counts checkpoints taken by others, and drops VEEs that go', async () => {
    const b = await bench();
    const db = await b.addVee(1, 'db');
    b.clock.advance(400);
    await b.checkpoints.create({ id: 'api-1', veeId: db.id, serviceId: SERVICE, epoch: 1, createdAt: new Date(b.t0 + 100), locations: [{ kind: 'local', siteId: 's', path: '/p' }] });
    await b.checkpoints.complete('api-1', { sizeBytes: 1, sha256: SHA, locations: [{ kind: 'local', siteId: 's', path: '/p' }], completedAt: new Date(b.t0 + 300) });
    b.scheduler.start();
    await b.timers.advance(1000);
    expect(b.startsOf(db.id)).toEqual([1100]);
    // A checkpoint through the API in between resets the RPO too.
    await b.timers.advance(800);
    await b.checkpoints.create({ id: 'api-2', veeId: db.id, serviceId: SERVICE, epoch: 2, createdAt: b.clock.now(), locations: [{ kind: 'local', siteId: 's', path: '/q' }] });
    await b.checkpoints.complete('api-2', { sizeBytes: 1, sha256: SHA, locations: [{ kind: 'local', siteId: 's', path: '/q' }], completedAt: b.clock.now() });
    await b.timers.advance(50);
    expect((await b.scheduler.status(db.id)).report?.sinceLastMs).toBe(50);
    await b.vees.transition({ veeId: db.id, serviceId: SERVICE, from: 'running', to: 'deleted', reason: 'x', by: 'api', at: b.clock.now() });
    await b.scheduler.discover();
    expect(b.scheduler.watchedVees()).toEqual([]);
    const before = b.calls.length;
    await b.timers.advance(5000);
    expect(b.calls.length).toBe(before);
    await stopped(b);
    expect(b.timers.pending).toBe(0);
  });
});
