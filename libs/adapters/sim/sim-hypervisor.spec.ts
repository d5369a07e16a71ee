import { type DomainSpec, type HypervisorConnection, type LifecycleEvent } from '@reservoir/domain/ports/hypervisor.port';
import { rejectsWith } from '@reservoir/testing/hypervisor-contract';
import { SimHypervisorFactory, type SimHypervisorOptions } from './sim-hypervisor.factory';
import { ManualTimer } from './sim-timer';

/** What the simulator adds to the port contract: its host registry, capacity, time, images and spec checks. */

const HOST = 'sim://h1?vcpu=4&memory-mib=1024&disk-gib=10&failure-domain=rack1';
const instant = { bootMs: 0, shutdownMs: 0, saveMs: 0, restoreMs: 0, migrateMs: 0 };
let serial = 0;

function spec(overrides: Partial<DomainSpec> = {}): DomainSpec {
  serial += 1;
  return {
    name: `vee-${serial}`, uuid: `00000000-0000-4000-8000-${String(serial).padStart(12, '0')}`, vcpu: 1, memoryMiB: 256,
    disks: [{ name: 'root', sizeGiB: 1, format: 'qcow2', baseImage: { ref: 'counter' } }], networks: [], boot: { kind: 'disk' },
    properties: {}, ...overrides,
  };
}

async function sim(options: SimHypervisorOptions = {}) {
  const factory = new SimHypervisorFactory({ ...options, delays: { ...instant, ...options.delays } });
  const conn = await factory.connect(HOST);
  const events: LifecycleEvent[] = [];
  conn.onLifecycleEvent((e) => events.push(e));
  const defined = async (s = spec()) => conn.define(s).then(() => s.name);
  const running = async (s = spec()) => defined(s).then((name) => conn.start(name).then(() => name));
  const typesOf = (name: string) => events.filter((e) => e.domain === name).map((e) => (e.reason ? `${e.type}:${e.reason}` : e.type));
  return { factory, conn, events, defined, running, typesOf };
}

const stateOf = async (conn: HypervisorConnection, name: string) => (await conn.info(name)).state;

describe('sim host registry', () => {
  it('declares a host on first sight; a bare URI reaches it later', async () => {
    const { factory, conn } = await sim();
    expect(factory.hostConfigs()).toEqual([{ name: 'h1', vcpu: 4, memoryMiB: 1024, diskGiB: 10, failureDomain: 'rack1' }]);
    expect(conn.uri).toBe(HOST);
    expect((await factory.connect('sim://h1')).uri).toBe(HOST);
    expect(await conn.capacity()).toEqual({ vcpu: 4, memoryMiB: 1024, diskGiB: 10 });
  });

  it('refuses a redeclaration with other parameters and an undeclared bare name', async () => {
    const { factory } = await sim();
    await rejectsWith(factory.connect('sim://h1?vcpu=8&memory-mib=1024&disk-gib=10'), 'invalid-argument');
    await rejectsWith(factory.connect('sim://nobody'), 'invalid-argument');
    expect(() => factory.killHost('nobody')).toThrow(/no sim host 'nobody'/);
  });

  it('refuses calls on a closed connection and stops its listeners', async () => {
    const { factory, conn, events } = await sim();
    const other = await factory.connect('sim://h1');
    await conn.close();
    await rejectsWith(conn.list(), 'invalid-state');
    await other.define(spec());
    expect(events).toEqual([]);
    await conn.close();
  });
});

describe('sim capacity', () => {
  it('refuses a start beyond physical memory, lets vCPUs overcommit and frees memory on stop', async () => {
    const { conn, running, defined } = await sim();
    const small = [await running(spec({ vcpu: 4 })), await running(spec({ vcpu: 4 })), await running(spec({ vcpu: 4 }))];
    const big = await defined(spec({ memoryMiB: 512 }));
    const refused = await rejectsWith(conn.start(big), 'insufficient-capacity');
    expect(refused.retryable).toBe(false);
    expect(await stateOf(conn, big)).toBe('shutoff');
    await conn.pause(small[0]!);
    await rejectsWith(conn.start(big), 'insufficient-capacity');
    await conn.destroy(small[0]!);
    await conn.start(big);
    expect(await stateOf(conn, big)).toBe('running');
  });

  it('allocates disk when a domain is defined', async () => {
    const { conn, defined } = await sim();
    await defined(spec({ disks: [{ name: 'root', sizeGiB: 8, format: 'qcow2' }] }));
    await rejectsWith(conn.define(spec({ disks: [{ name: 'root', sizeGiB: 4, format: 'qcow2' }] })), 'insufficient-capacity');
  });
});

describe('sim time', () => {
  it('takes the boot delay to start, reporting running and sending started at the end', async () => {
    const timer = new ManualTimer();
    const { conn, defined, typesOf } = await sim({ timer, delays: { bootMs: 100 } });
    const name = await defined();
    let done = false;
    const started = conn.start(name).then(() => (done = true));
    await timer.advance(99);
    expect([done, timer.pending, await stateOf(conn, name), typesOf(name)]).toEqual([false, 1, 'running', ['defined:api']]);
    await rejectsWith(conn.pause(name), 'invalid-state').then((e) => expect(e.retryable).toBe(true));
    await timer.advance(1);
    await started;
    expect(typesOf(name)).toEqual(['defined:api', 'started:booted']);
  });

  it('fails a start whose host dies (host-down) or whose domain is destroyed (operation-failed) while booting', async () => {
    const timer = new ManualTimer();
    const { factory, conn, defined } = await sim({ timer, delays: { bootMs: 100 } });
    const [a, b] = [await defined(), await defined()];
    const startA = rejectsWith(conn.start(a), 'operation-failed');
    await conn.destroy(a);
    await timer.advance(100);
    await startA;
    const startB = rejectsWith(conn.start(b), 'host-down');
    factory.killHost('h1');
    await timer.advance(100);
    await startB;
  });

  it('lets destroy overtake a graceful shutdown, with one stopped event', async () => {
    const timer = new ManualTimer();
    const { conn, running, typesOf } = await sim({ timer, delays: { shutdownMs: 500 } });
    const name = await running();
    await conn.shutdown(name);
    expect(await stateOf(conn, name)).toBe('shutting-down');
    await rejectsWith(conn.start(name), 'invalid-state');
    await conn.destroy(name);
    await timer.advance(500);
    expect(await stateOf(conn, name)).toBe('shutoff');
    expect(typesOf(name)).toEqual(['defined:api', 'started:booted', 'stopped:destroyed']);
  });

  it('counts CPU time as running time × vCPUs, not while paused, from zero at each start', async () => {
    const timer = new ManualTimer();
    const { conn, running } = await sim({ timer });
    const name = await running(spec({ vcpu: 2 }));
    const cpu = async () => (await conn.info(name)).cpuTimeNs;
    await timer.advance(1000);
    expect(await cpu()).toBe(2e9);
    await conn.pause(name);
    await timer.advance(1000);
    await conn.resume(name);
    await timer.advance(500);
    expect(await cpu()).toBe(3e9);
    await conn.destroy(name);
    await conn.start(name);
    expect(await cpu()).toBe(0);
  });
});

describe('sim images and specs', () => {
  it('knows the example refs, with digests and minimum memory', () => {
    const { catalogue } = new SimHypervisorFactory();
    expect(catalogue.list().map((i) => [i.ref, i.minMemoryMiB])).toEqual([['counter', 16], ['tiny-linux', 80]]);
    for (const image of catalogue.list()) expect(image.sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it('boots a guest whose image needs more memory into a panic: crashed, reason guest-panic', async () => {
    const { conn, running, typesOf } = await sim();
    const tiny = (memoryMiB: number) => spec({ memoryMiB, disks: [{ name: 'root', sizeGiB: 1, format: 'qcow2', baseImage: { ref: 'tiny-linux' } }] });
    const starved = await running(tiny(64));
    expect(await stateOf(conn, starved)).toBe('crashed');
    expect(typesOf(starved)).toEqual(['defined:api', 'started:booted', 'crashed:guest-panic']);
    expect(await stateOf(conn, await running(tiny(128)))).toBe('running');
  });

  it('refuses an unknown image (not-found) and a digest that does not match (invalid-argument)', async () => {
    const { factory, conn } = await sim();
    const disk = (ref: string, sha256?: string) => spec({ disks: [{ name: 'root', sizeGiB: 1, format: 'qcow2', baseImage: { ref, sha256 } }] });
    await rejectsWith(conn.define(disk('windows-95')), 'not-found');
    await rejectsWith(conn.define(disk('counter', 'ab'.repeat(32))), 'invalid-argument');
    await conn.define(disk('counter', factory.catalogue.get('counter')!.sha256.toUpperCase()));
  });

  it('reports every problem of a bad spec in one invalid-argument error', async () => {
    const { conn } = await sim();
    const bad = spec({
      name: '', uuid: 'nope', vcpu: 0, memoryMiB: 1.5, networks: [{ name: 'n', segment: 's', bandwidthMbps: -1 }, { name: 'n', segment: 'bad segment' }],
      disks: [{ name: 'd', sizeGiB: 0, format: 'vmdk' as 'raw' }, { name: 'd', sizeGiB: 1, format: 'raw' }],
    });
    const error = await rejectsWith(conn.define(bad), 'invalid-argument');
    for (const part of ["name ''", "uuid 'nope'", 'vcpu', 'memoryMiB', 'disks[0]: sizeGiB', 'disks[0]: format', 'networks[0]', 'networks[1]: segment', 'disk names', 'network names']) {
      expect(error.message).toContain(part);
    }
    await rejectsWith(conn.define(spec({ disks: [] })), 'invalid-argument');
    await conn.define(spec({ disks: [], boot: { kind: 'kernel', kernelPath: '/boot/guest.elf', cmdline: 'console=ttyS0' } }));
  });
});
