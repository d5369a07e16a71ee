import { HypervisorError, type DomainSpec, type LifecycleEvent } from '@reservoir/domain/ports/hypervisor.port';
import { rejectsWith } from '@reservoir/testing/hypervisor-contract';
import { SimHypervisorFactory } from './sim-hypervisor.factory';
import { ManualTimer } from './sim-timer';

/** Save images, snapshots, migration and failure injection beyond the port contract. */

const A = 'sim://a?vcpu=4&memory-mib=1024&disk-gib=10&failure-domain=rack1';
const B = 'sim://b?vcpu=4&memory-mib=1024&disk-gib=10&failure-domain=rack2';
let serial = 0;

function spec(overrides: Partial<DomainSpec> = {}): DomainSpec {
  serial += 1;
  return {
    name: `vee-${serial}`, uuid: `00000000-0000-4000-9000-${String(serial).padStart(12, '0')}`, vcpu: 1, memoryMiB: 256,
    disks: [{ name: 'root', sizeGiB: 1, format: 'qcow2' }], networks: [], boot: { kind: 'disk' }, properties: {}, ...overrides,
  };
}

async function twoHosts(timer?: ManualTimer) {
  const delays = { bootMs: 0, shutdownMs: 0, saveMs: 0, restoreMs: 0, migrateMs: timer ? 100 : 0 };
  const factory = new SimHypervisorFactory({ delays, ...(timer ? { timer } : {}) });
  const [a, b] = [await factory.connect(A), await factory.connect(B)];
  const events: LifecycleEvent[] = [];
  a.onLifecycleEvent((e) => events.push(e));
  b.onLifecycleEvent((e) => events.push(e));
  const running = async (s = spec()) => {
    await a.define(s);
    await a.start(s.name);
    return s.name;
  };
  return { factory, a, b, events, running };
}

describe('sim save images and snapshots', () => {
  it('restores a domain saved paused as paused, defining it again when it was undefined', async () => {
    const { factory, a, events, running } = await twoHosts();
    const name = await running();
    factory.advanceGuest(A, name, 5);
    await a.pause(name);
    await a.save(name, '/var/lib/reservoir/x.save');
    await a.undefine(name);
    events.length = 0;
    expect(await a.restore('/var/lib/reservoir/x.save')).toBe(name);
    expect([(await a.info(name)).state, factory.guestState(A, name)]).toEqual(['paused', 5]);
    expect(events.map((e) => `${e.type}:${e.reason}`)).toEqual(['defined:restored', 'started:restored', 'paused:restored']);
  });

  it('keeps save images on their host: another host does not know the path', async () => {
    const { a, b, running } = await twoHosts();
    await a.save(await running(), '/saves/one');
    await rejectsWith(b.restore('/saves/one'), 'not-found');
  });

  it('refuses snapshots of a domain with a raw disk (unsupported)', async () => {
    const { a, running } = await twoHosts();
    const name = await running(spec({ disks: [{ name: 'root', sizeGiB: 1, format: 'raw' }] }));
    await rejectsWith(a.snapshotCreate(name, 's1'), 'unsupported');
    await rejectsWith(a.snapshotCreate(name, 'bad name'), 'invalid-argument');
  });
});

describe('sim migration', () => {
  it('refuses what libvirt refuses and leaves the domain running at the source', async () => {
    const { a, b, running } = await twoHosts();
    const name = await running();
    await rejectsWith(a.migrate(name, A, { live: true }), 'invalid-argument');
    await rejectsWith(a.migrate(name, 'sim://nowhere', { live: true }), 'invalid-argument');
    await a.snapshotCreate(name, 's1');
    await rejectsWith(a.migrate(name, B, { live: true }), 'invalid-state');
    await a.snapshotDelete(name, 's1');
    const clash = spec({ name });
    await b.define(clash);
    await rejectsWith(a.migrate(name, B, { live: true }), 'already-exists');
    await b.undefine(name);
    await b.define(spec({ memoryMiB: 900 }));
    await b.start((await b.list())[0]!.name);
    await rejectsWith(a.migrate(name, B, { live: false }), 'insufficient-capacity');
    expect((await a.info(name)).state).toBe('running');
  });

  it('moves a paused domain paused, with its CPU time, to a host declared by the migration URI', async () => {
    const timer = new ManualTimer();
    const { factory, a, events, running } = await twoHosts(timer);
    const name = await running(spec({ vcpu: 2 }));
    await timer.advance(1000);
    await a.pause(name);
    const c = 'sim://c?vcpu=2&memory-mib=512&disk-gib=5';
    const moving = a.migrate(name, c, { live: true, copyStorage: true });
    await timer.advance(100);
    await moving;
    const dest = await factory.connect('sim://c');
    expect(await dest.info(name)).toMatchObject({ state: 'paused', cpuTimeNs: 2e9 });
    expect(events.filter((e) => e.domain === name).map((e) => e.type)).toEqual(['defined', 'started', 'paused', 'migrated']);
  });

  it('shows the incoming domain paused at the destination and drops it when the destination dies mid-transfer', async () => {
    const timer = new ManualTimer();
    const { factory, a, b, running } = await twoHosts(timer);
    const name = await running();
    const moving = rejectsWith(a.migrate(name, B, { live: true }), 'host-down');
    await timer.advance(50);
    expect((await b.info(name)).state).toBe('paused');
    await rejectsWith(a.start(name), 'invalid-state');
    factory.killHost(B);
    await timer.advance(50);
    await moving;
    factory.reviveHost(B);
    expect((await a.info(name)).state).toBe('running');
    expect(await b.list()).toEqual([]);
    const retry = a.migrate(name, B, { live: true });
    await timer.advance(100);
    await retry;
    expect((await b.info(name)).state).toBe('running');
  });

  it('fails with host-down and leaves nothing at the destination when the source dies mid-transfer', async () => {
    const timer = new ManualTimer();
    const { factory, a, b, running } = await twoHosts(timer);
    const name = await running();
    const moving = rejectsWith(a.migrate(name, B, { live: true }), 'host-down');
    factory.killHost(A);
    await timer.advance(100);
    await moving;
    expect(await b.list()).toEqual([]);
  });
});

describe('sim failure injection', () => {
  it('kills a host silently; connections work again once it is revived', async () => {
    const { factory, a, events, running } = await twoHosts();
    const name = await running();
    events.length = 0;
    factory.killHost(A);
    expect([factory.isHostUp(A), events]).toEqual([false, []]);
    expect(() => factory.crashDomain(A, name)).toThrow(/is down/);
    factory.reviveHost(A);
    expect((await a.info(name)).state).toBe('crashed');
    expect(() => factory.crashDomain(A, name)).toThrow(/cannot crash/);
    expect(() => factory.advanceGuest(A, name)).toThrow(/not running/);
  });

  it('queues refusals per operation, one per call, and can refuse a connection', async () => {
    const { factory, a } = await twoHosts();
    factory.refuseNext(A, 'list', new HypervisorError('operation-failed', 'first'));
    factory.refuseNext(A, 'list', new HypervisorError('host-down', 'second'));
    factory.refuseNext(A, 'connect', new HypervisorError('host-down', 'no route'));
    expect((await rejectsWith(a.list(), 'operation-failed')).message).toBe('first');
    expect((await rejectsWith(a.list(), 'host-down')).retryable).toBe(true);
    await expect(a.list()).resolves.toEqual([]);
    await rejectsWith(factory.connect(A), 'host-down');
  });

  it('keeps going when a listener throws', async () => {
    const { a, running } = await twoHosts();
    a.onLifecycleEvent(() => {
      throw new Error('listener bug');
    });
    const name = await running();
    expect((await a.info(name)).state).toBe('running');
  });
});
