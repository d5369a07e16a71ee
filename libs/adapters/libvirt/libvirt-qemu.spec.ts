import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isHypervisorError, type DomainSpec, type LifecycleEvent } from '@reservoir/domain/ports/hypervisor.port';
import { type LibvirtConnection } from './libvirt-connection';
import { LibvirtHypervisorFactory } from './libvirt-hypervisor.factory';
import { bridgeName } from './libvirt-segments';
import { libvirtAvailable } from './native-binding';

/**
 * Optional: real QEMU (TCG) through a running libvirtd at qemu:///system. A diskless-boot guest (an empty qcow2
 * disk the adapter creates; SeaBIOS then waits forever) is enough to drive lifecycle, internal snapshots,
 * save/restore, a killed QEMU read as 'crashed', and the events. Skipped, with the reason, when the addon is not
 * built or no daemon answers (also under CI: the contract suite on test:///default is the required check).
 */

const URI = 'qemu:///system';
jest.setTimeout(60_000);

const SOCKET = '/run/libvirt/libvirt-sock';
const availability = libvirtAvailable();
const skipReason = !availability.ok
  ? `libvirt adapter not built (${availability.reason})`
  : existsSync(SOCKET) ? undefined : `no libvirtd here (${SOCKET} is absent)`;
if (skipReason) console.warn(`SKIPPED: libvirt with QEMU: ${skipReason}`);
const itWithQemu = skipReason ? it.skip : it;

let conn: LibvirtConnection | undefined;
let dir: string;
const events: LifecycleEvent[] = [];
const name = `reservoir-libvirt-spec-${process.pid}`;

beforeAll(async () => {
  if (skipReason) return;
  dir = await mkdtemp(join(tmpdir(), 'reservoir-qemu-'));
  await chmod(dir, 0o755); // QEMU runs as libvirt-qemu and must reach the disk and console files
  // A socket left behind by a stopped daemon: say so rather than fail the unit run.
  conn = await new LibvirtHypervisorFactory({ diskDir: dir }).connect(URI).catch((error: unknown) => {
    if (!isHypervisorError(error, 'host-down')) throw error;
    console.warn(`SKIPPED: libvirt with QEMU: ${URI} does not answer (${error.message})`);
    return undefined;
  });
  conn?.onLifecycleEvent((e) => events.push(e));
});

afterAll(async () => {
  if (conn) {
    await conn.destroy(name).catch(() => undefined);
    await conn.undefine(name).catch(() => undefined);
    await conn.close();
  }
  if (dir) await rm(dir, { recursive: true, force: true });
});

const spec = (): DomainSpec => ({
  name, uuid: `c0ffee00-0000-4000-8000-${String(process.pid).padStart(12, '0')}`, vcpu: 1, memoryMiB: 64,
  disks: [{ name: 'root', sizeGiB: 1, format: 'qcow2' }], networks: [], boot: { kind: 'disk' },
  consoleLogPath: join(dir, 'console.log'), properties: { 'tier.role': 'probe' },
});

async function until(what: string, check: () => Promise<boolean>): Promise<void> {
  for (const deadline = Date.now() + 10_000; !(await check());) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

itWithQemu('drives a real TCG guest: define, start, pause, snapshot, save/restore, crash, undefine', async () => {
  if (!conn) return; // reported as SKIPPED in beforeAll
  const c = conn;
  await c.define(spec());
  expect(await c.info(name)).toMatchObject({ state: 'shutoff', vcpu: 1, memoryMiB: 64 });
  await c.start(name);
  await c.pause(name);
  await c.resume(name);
  await c.snapshotCreate(name, 'warm');
  expect(await c.snapshotList(name)).toEqual([{ name: 'warm', state: 'running' }]);
  await c.snapshotDelete(name, 'warm');

  const image = join(dir, 'guest.save');
  await c.save(name, image);
  expect((await c.info(name)).state).toBe('shutoff');
  expect(await c.restore(image)).toBe(name);
  expect((await c.info(name)).state).toBe('running');

  const pid = Number(await readFile(`/run/libvirt/qemu/${name}.pid`, 'utf8'));
  process.kill(pid, 'SIGKILL');
  await until(`${name} to be crashed`, async () => (await c.info(name)).state === 'crashed');
  await c.start(name);
  await c.destroy(name);
  await c.undefine(name);

  const mine = () => events.filter((e) => e.domain === name).map((e) => (e.reason ? `${e.type}/${e.reason}` : e.type));
  await until('the undefined event', async () => mine().includes('undefined'));
  expect(mine()).toEqual(expect.arrayContaining(['defined', 'started/booted', 'paused/api', 'resumed/api', 'stopped/saved', 'started/restored', 'crashed/failed', 'stopped/destroyed', 'undefined']));
});

itWithQemu('puts a guest on its isolated segment: own bridge with the tap on it, shaped where the host can, gone with the domain', async () => {
  if (!conn) return; // reported as SKIPPED in beforeAll
  const c = conn;
  const segment = `rsv-spec-${process.pid}`;
  const bridge = bridgeName(segment);
  const { bandwidthQoS } = await c.features();
  await c.define({ ...spec(), networks: [{ name: 'internal', segment, bandwidthMbps: 10 }] });
  await c.start(name);
  expect(await c.segments()).toContain(segment);
  // The guest's tap is the only port of the segment's bridge, and the bridge has no address: isolated.
  const ports = await readdir(`/sys/class/net/${bridge}/brif`);
  expect(ports).toHaveLength(1);
  expect(execFileSync('ip', ['-o', 'addr', 'show', 'dev', bridge], { encoding: 'utf8' })).not.toMatch(/\binet6? (?!fe80)/);
  const qdiscs = execFileSync('tc', ['qdisc', 'show', 'dev', ports[0] as string], { encoding: 'utf8' });
  if (bandwidthQoS.enforced) expect(qdiscs).toMatch(/htb/);
  else {
    console.warn(`NOTE: this host does not shape bandwidth: ${bandwidthQoS.reason}`);
    expect(qdiscs).not.toMatch(/htb/);
  }
  await c.destroy(name);
  await c.undefine(name);
  expect(await c.segments()).not.toContain(segment);
  expect(existsSync(`/sys/class/net/${bridge}`)).toBe(false);
});

itWithQemu('defines several domains on one new segment at once on a real daemon (they race to create it)', async () => {
  if (!conn) return; // reported as SKIPPED in beforeAll
  const c = conn;
  const segment = `rsv-race-${process.pid}`;
  const names = [1, 2, 3, 4].map((i) => `${name}-race-${i}`);
  const uuid = (i: number) => `c0ffee00-0000-4000-9000-${String(process.pid * 10 + i).padStart(12, '0')}`;
  try {
    await Promise.all(names.map((n, i) => c.define({ ...spec(), name: n, uuid: uuid(i), disks: [], boot: { kind: 'kernel', kernelPath: '/nonexistent' }, networks: [{ name: 'internal', segment }] })));
    expect(await c.segments()).toContain(segment);
  } finally {
    for (const n of names) await c.undefine(n).catch(() => undefined);
  }
  expect(await c.segments()).not.toContain(segment);
});
