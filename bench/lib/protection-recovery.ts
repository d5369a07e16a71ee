// Recovery: the broker's failover after a SIGKILLed QEMU (restore of the newest checkpoint) against a raw
// `virsh restore` of a save image of the same guest (a clone of the broker's domain XML: the broker's own domain
// cannot be saved without its failover taking over).
import { randomUUID } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { qemuPid } from '@reservoir/testing/libvirt-domains';
import { sleep, until } from './bench-broker';
import { type Cleanup } from './cleanup';
import { backingOf, qemuImg, removeRawDomain, virsh } from './libvirt-tools';
import { getVee, takeCheckpoint } from './protection-broker';
import { observe, type Observed, pauseAround } from './protection-guest';
import { fileDisks } from './protection-pause';

const RECOVERY_TIMEOUT_MS = 90_000;
/** How long the guest runs on after the checkpoint before the kill: the work a recovery loses. */
const HOLD_MS = 1000;
/** RESERVOIR_FAILOVER_FORGET_AFTER_MS (1000) plus margin: the next kill starts a fresh recovery chain. */
const FORGET_WAIT_MS = 1300;

/** One recovery, ms. */
export interface RecoverySample {
  /** Failure (SIGKILL, or the raw restore call) → the first counter line of the restored guest. */
  readyMs: number;
  /** Broker: kill → the failover's recovery action issued (detection). */
  detectMs?: number;
  /** Broker: kill → libvirt's Stopped event (QEMU's death as libvirt reports it). */
  libvirtStopMs?: number;
  /** Broker: action issued → ready. Raw: the `virsh restore` process. */
  restoreMs: number;
  /** Raw: the `virsh save` before it (not part of the recovery). */
  saveMs?: number;
  action?: string;
  /** The restored guest's first counter is the checkpointed one + 1. */
  kept: boolean;
  /** Counter ticks the guest had printed after the checkpoint and lost. */
  lostTicks: number;
}

/** Checkpoint, run on HOLD_MS, SIGKILL the QEMU, wait for the restored guest's first line and the failover's view. */
async function brokerRecovery(url: string, veeId: string, o: Observed): Promise<RecoverySample> {
  const w0 = Date.now();
  const t0 = performance.now();
  await takeCheckpoint(url, veeId);
  const checkpointed = (await pauseAround(o, t0, performance.now(), w0, Date.now())).before;
  await sleep(HOLD_MS);
  const pid = qemuPid(o.domain);
  if (pid === undefined) throw new Error(`${o.domain}: no QEMU process to kill`);
  const last = o.tail.last();
  if (!last) throw new Error(`${o.domain}: no counter line before the kill`);
  const killedWall = Date.now();
  const k0 = performance.now();
  process.kill(pid, 'SIGKILL');
  const ready = await until(`${o.domain}: the restored guest's first line`, () => o.tail.lines.find((l) => l.at > k0 && l.n <= last.n), RECOVERY_TIMEOUT_MS, 1);
  const readyMs = ready.at - k0;
  const vee = await until(`${o.domain}: failover recorded`, async () => {
    const v = await getVee(url, veeId);
    return v.failover?.lastAction && Date.parse(v.failover.lastAction.at) >= killedWall ? v : undefined;
  }, RECOVERY_TIMEOUT_MS, 50);
  const detectMs = Date.parse(vee.failover?.lastAction?.at ?? '') - killedWall;
  const stopped = o.watch.events.find((e) => e.at >= killedWall - 20 && e.what.startsWith('Stopped'));
  await until(`${o.domain}: healthy again`, async () => {
    const v = await getVee(url, veeId);
    return v.phase === 'running' && v.failover?.state === 'healthy' ? true : undefined;
  }, RECOVERY_TIMEOUT_MS, 100);
  await sleep(FORGET_WAIT_MS);
  return {
    readyMs, detectMs, restoreMs: readyMs - detectMs, ...(stopped ? { libvirtStopMs: stopped.at - killedWall } : {}), action: vee.failover?.lastAction?.type,
    kept: ready.n === checkpointed + 1, lostTicks: last.n - checkpointed,
  };
}

export async function measureBrokerRecoveries(url: string, veeId: string, o: Observed, count: number, stopping: () => boolean): Promise<RecoverySample[]> {
  const samples: RecoverySample[] = [];
  for (let i = 0; i < count && !stopping(); i += 1) samples.push(await brokerRecovery(url, veeId, o));
  return samples;
}

/** The broker domain's XML, for the raw clone (taken while it exists). */
export interface DomainTemplate {
  xml: string;
  domain: string;
  consoleLog: string;
  disks: { path: string; backing: { path: string; format: string; virtualSize: number } }[];
}

export async function templateOf(uri: string, domain: string, consoleLog: string): Promise<DomainTemplate> {
  const xml = await virsh(uri, 'dumpxml', '--inactive', domain);
  const disks = await Promise.all((await fileDisks(uri, domain, true)).map(async (d) => ({ path: d.path, backing: await backingOf(d.path) })));
  return { xml, domain, consoleLog, disks };
}

/** The same guest under its own name, uuid, console log and overlays; started, ticking, removed via the result. */
async function startClone(uri: string, t: DomainTemplate, name: string, dir: string, cleanup: Cleanup): Promise<{ o: Observed; remove: () => Promise<void> }> {
  mkdirSync(dir, { mode: 0o755 });
  const consoleLog = join(dir, 'console.log');
  const disks = t.disks.map((_, n) => join(dir, `disk${n}.qcow2`));
  let xml = t.xml.replace(`<name>${t.domain}</name>`, `<name>${name}</name>`).replace(/<uuid>[^<]*<\/uuid>/, `<uuid>${randomUUID()}</uuid>`);
  xml = xml.split(`'${t.consoleLog}'`).join(`'${consoleLog}'`);
  t.disks.forEach((d, i) => (xml = xml.split(`'${d.path}'`).join(`'${disks[i] ?? ''}'`)));
  if (xml.includes(t.domain)) throw new Error(`domain XML still names ${t.domain} after renaming: cannot make an independent copy`);
  for (const [n, d] of t.disks.entries()) await qemuImg('create', '-q', '-f', 'qcow2', '-b', d.backing.path, '-F', d.backing.format, disks[n] ?? '', String(d.backing.virtualSize));
  writeFileSync(join(dir, 'domain.xml'), xml);
  const watching: { o?: Observed } = {};
  const remove = async (): Promise<void> => {
    await watching.o?.close();
    await removeRawDomain(uri, name);
    rmSync(dir, { recursive: true, force: true });
  };
  const drop = cleanup.add(`raw clone ${name}`, remove);
  await virsh(uri, 'define', join(dir, 'domain.xml'));
  const o = observe(uri, name, consoleLog);
  watching.o = o;
  await virsh(uri, 'start', name);
  await o.tail.reach(5, 30_000);
  return {
    o,
    remove: async () => {
      await remove();
      drop();
    },
  };
}

/** `virsh save` (timed apart), then `virsh restore` → the first counter line; `count` times on one clone. */
export async function measureRawRecoveries(uri: string, t: DomainTemplate, name: string, dir: string, count: number, cleanup: Cleanup, stopping: () => boolean): Promise<RecoverySample[]> {
  const { o, remove } = await startClone(uri, t, name, dir, cleanup);
  const samples: RecoverySample[] = [];
  try {
    for (let i = 0; i < count && !stopping(); i += 1) {
      await sleep(HOLD_MS);
      const image = join(dir, `guest-${i}.save`);
      const s0 = performance.now();
      await virsh(uri, 'save', name, image);
      const saveMs = performance.now() - s0;
      const r0 = performance.now();
      await virsh(uri, 'restore', image, '--running');
      const restoreMs = performance.now() - r0;
      const ready = await until(`${name}: restored guest's first line`, () => o.tail.lines.find((l) => l.at > r0), RECOVERY_TIMEOUT_MS, 1);
      const before = o.tail.lines.filter((l) => l.at < r0).at(-1)?.n ?? -1;
      rmSync(image, { force: true });
      samples.push({ readyMs: ready.at - r0, restoreMs, saveMs, kept: ready.n === before + 1, lostTicks: 0 });
    }
  } finally {
    await remove();
  }
  return samples;
}
