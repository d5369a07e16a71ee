// Boot-to-ready of the counter guest on qemu:///system: through the broker (POST a manifest → the guest's first
// ready line in its console log) against the raw baseline (`virsh define` + `virsh start` of the same domain XML →
// the same line). The raw XML is the broker's own (`virsh dumpxml --inactive`), with its name, uuid, console
// path and disk renamed; the raw disk is a qcow2 overlay of the same backing file, made before the clock starts.
import { randomUUID } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { imageFromCatalogue } from '@reservoir/testing/libvirt-services';
import { renamed } from '@reservoir/testing/broker-harness';
import { type BenchBroker, deleteService, getService, phaseAt, registerHost, startBenchBroker, submitService } from './bench-broker';
import { type Cleanup } from './cleanup';
import { backingOf, type Backing, domainNames, qemuImg, readyLine, removeRawDomain, virsh, waitForConsole } from './libvirt-tools';

const BOOT_TIMEOUT_MS = 60_000;
/** Where LibvirtHypervisorFactory creates VEE disks by default (the broker does not change it). */
const BROKER_DISK_DIR = '/var/lib/libvirt/images/reservoir';

/** One boot, in ms. `toRunning`: POST until the broker recorded `running` (broker runs only). */
export interface BootSample {
  total: number;
  toRunning?: number;
  define?: number;
  start?: number;
  overlay?: number;
}

export interface QemuBootResult {
  guest: string;
  readyText: string;
  domainXmlFrom: string;
  cold: { broker: BootSample; raw: BootSample };
  broker: BootSample[];
  raw: BootSample[];
  /** ms of one `virsh list --name` process (connect, one call, exit): what each virsh step of the raw path pays. */
  virshRoundTrip: number[];
}

/** What the raw runs copy from the broker's first deployment. */
interface Template {
  xml: string;
  domain: string;
  consoleLog: string;
  disks: { path: string; backing: Backing }[];
}

interface Context {
  uri: string;
  bench: BenchBroker;
  consoleDir: string;
  rawDir: string;
  ready: RegExp;
  cleanup: Cleanup;
  runId: string;
}

/** Deploys minimal.xml (renamed) and times POST → ready line; keeps the domain XML the first time; deletes the service. */
async function brokerBoot(c: Context, i: number, keep?: (t: Template) => Promise<void>): Promise<BootSample> {
  const name = `bench-qemu-${c.runId}-${i}`;
  const manifest = renamed('minimal.xml', name).toString('utf8');
  const postedAt = Date.now();
  const t0 = performance.now();
  const id = await submitService(c.bench.url, manifest);
  const drop = c.cleanup.add(`service ${name}`, () => deleteService(c.bench.url, id));
  const seen = await waitForConsole({ dir: c.consoleDir, prefix: `rsv-${name}-` }, c.ready, BOOT_TIMEOUT_MS);
  const service = await getService(c.bench.url, id);
  const vee = service?.vees?.[0];
  if (!service || !vee) throw new Error(`service ${name} has no VEE although its guest printed its ready line`);
  if (vee.consoleLog !== seen.path) throw new Error(`ready line seen in ${seen.path}, but the VEE's consoleLog is ${vee.consoleLog}`);
  if (keep) await keep(await templateOf(c.uri, vee.domain, vee.consoleLog));
  await deleteService(c.bench.url, id);
  drop();
  return { total: seen.at - t0, toRunning: phaseAt(service, 'running') - postedAt };
}

async function templateOf(uri: string, domain: string, consoleLog: string): Promise<Template> {
  const xml = await virsh(uri, 'dumpxml', '--inactive', domain);
  const paths = [...xml.matchAll(/<disk type='file' device='disk'>[\s\S]*?<source file='([^']+)'/g)].map((m) => m[1] ?? '');
  const disks = await Promise.all(paths.map(async (path) => ({ path, backing: await backingOf(path) })));
  return { xml, domain, consoleLog, disks };
}

/** The broker's XML under another name, uuid, console log and disks. Throws if anything of the old domain is left. */
export function rawDomainXml(t: Template, name: string, consoleLog: string, disks: string[]): string {
  let xml = t.xml.replace(`<name>${t.domain}</name>`, `<name>${name}</name>`).replace(/<uuid>[^<]*<\/uuid>/, `<uuid>${randomUUID()}</uuid>`);
  xml = xml.split(`'${t.consoleLog}'`).join(`'${consoleLog}'`);
  t.disks.forEach((d, i) => (xml = xml.split(`'${d.path}'`).join(`'${disks[i] ?? ''}'`)));
  if (xml.includes(t.domain)) throw new Error(`domain XML still names ${t.domain} after renaming: cannot make an independent copy`);
  return xml;
}

/** Overlay(s) made untimed, then `virsh define` + `virsh start` of the renamed XML, timed to the ready line. */
async function rawBoot(c: Context, t: Template, i: number): Promise<BootSample> {
  const name = `bench-raw-${c.runId}-${i}`;
  const consoleLog = join(c.rawDir, `${name}.log`);
  const disks = t.disks.map((_, n) => join(c.rawDir, `${name}-disk${n}.qcow2`));
  const xmlFile = join(c.rawDir, `${name}.xml`);
  const remove = async (): Promise<void> => {
    await removeRawDomain(c.uri, name);
    for (const f of [...disks, consoleLog, xmlFile]) rmSync(f, { force: true });
  };
  const drop = c.cleanup.add(`raw domain ${name}`, remove);
  const o0 = performance.now();
  for (const [n, d] of t.disks.entries()) {
    await qemuImg('create', '-q', '-f', 'qcow2', '-b', d.backing.path, '-F', d.backing.format, disks[n] ?? '', String(d.backing.virtualSize));
  }
  const overlay = performance.now() - o0;
  writeFileSync(xmlFile, rawDomainXml(t, name, consoleLog, disks));
  const t0 = performance.now();
  await virsh(c.uri, 'define', xmlFile);
  const t1 = performance.now();
  await virsh(c.uri, 'start', name);
  const t2 = performance.now();
  const seen = await waitForConsole({ path: consoleLog }, c.ready, BOOT_TIMEOUT_MS);
  await remove();
  drop();
  return { total: seen.at - t0, define: t1 - t0, start: t2 - t1, overlay };
}

/**
 * A broker with the host `uri` registered, then one cold boot each way (not in the figures), then `repeats` of
 * each, interleaved and alternating which goes first. Everything is registered with `cleanup` as it is made.
 */
export async function measureQemuBoot(uri: string, repeats: number, cleanup: Cleanup): Promise<QemuBootResult> {
  const image = imageFromCatalogue('counter');
  const runId = String(process.pid);
  cleanup.add('leftover bench domains and overlays', () => sweep(uri, runId));
  const root = mkdtempSync(join(tmpdir(), 'reservoir-bench-qemu-'));
  cleanup.add(`temp dir ${root}`, () => rmSync(root, { recursive: true, force: true }));
  chmodSync(root, 0o755);
  const consoleDir = join(root, 'broker-consoles');
  const rawDir = join(root, 'raw');
  for (const d of [consoleDir, rawDir]) mkdirSync(d, { mode: 0o755 });
  const bench = await startBenchBroker({ RESERVOIR_CONSOLE_DIR: consoleDir });
  cleanup.add('qemu broker', () => bench.close());
  await registerHost(bench.url, 'qemu-1', uri);
  const c: Context = { uri, bench, consoleDir, rawDir, ready: readyLine(image.consoleReady), cleanup, runId };
  let template: Template | undefined;
  const coldBroker = await brokerBoot(c, 0, async (t) => {
    template = t;
  });
  if (!template) throw new Error('no domain XML captured from the broker');
  const t = template;
  const coldRaw = await rawBoot(c, t, 0);
  const broker: BootSample[] = [];
  const raw: BootSample[] = [];
  for (let i = 1; i <= repeats; i += 1) {
    if (i % 2 === 1) {
      broker.push(await brokerBoot(c, i));
      raw.push(await rawBoot(c, t, i));
    } else {
      raw.push(await rawBoot(c, t, i));
      broker.push(await brokerBoot(c, i));
    }
  }
  const virshRoundTrip: number[] = [];
  for (let i = 0; i < repeats; i += 1) {
    const t0 = performance.now();
    await virsh(uri, 'list', '--name');
    virshRoundTrip.push(performance.now() - t0);
  }
  return { guest: image.ref, readyText: image.consoleReady, domainXmlFrom: t.domain, cold: { broker: coldBroker, raw: coldRaw }, broker, raw, virshRoundTrip };
}

/** Whatever a failed run may have left of this process's domains: raw ones and the broker's (with their overlays). */
async function sweep(uri: string, runId: string): Promise<void> {
  const mine = (await domainNames(uri)).filter((d) => d.startsWith(`bench-raw-${runId}-`) || d.startsWith(`rsv-bench-qemu-${runId}-`));
  for (const d of mine) await removeRawDomain(uri, d);
  const files = existsSync(BROKER_DISK_DIR) ? readdirSync(BROKER_DISK_DIR) : [];
  for (const f of files.filter((name) => name.startsWith(`rsv-bench-qemu-${runId}-`))) rmSync(join(BROKER_DISK_DIR, f), { force: true });
}
