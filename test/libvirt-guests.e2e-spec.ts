/**
 * The catalogue's test guests boot on the real libvirt daemon started by `npm run services:up`, driven with plain
 * `virsh` (the product's libvirt adapter is not involved): each is defined as a persistent domain of the type the
 * host supports (TCG here), booted from its kernel with a serial console written to a file, watched until it
 * prints what it promises, then stopped and undefined, leaving no domain behind.
 *
 * Run: npx jest --selectProjects e2e --runInBand --testPathPattern libvirt-guests
 */
import { execFile } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  type CatalogueImage,
  describeWithLibvirt,
  imageFromCatalogue,
  libvirtDomainType,
  TEST_LIBVIRT_URI,
} from '../libs/testing/libvirt-services';

jest.setTimeout(60_000);

const execFileAsync = promisify(execFile);

async function virsh(...args: string[]): Promise<string> {
  const { stdout } = await execFileAsync('virsh', ['-q', '-c', TEST_LIBVIRT_URI, ...args], { timeout: 30_000 });
  return stdout;
}

/** Domain names on the host, defined or running. */
async function allDomains(): Promise<string[]> {
  return (await virsh('list', '--all', '--name')).split('\n').map((l) => l.trim()).filter(Boolean);
}

function xmlEscape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/'/g, '&apos;');
}

/** A kernel-booted domain: one vCPU, no disk, no network, serial console (COM1 / ttyS0) into `consoleLog`. */
function domainXml(name: string, image: CatalogueImage, memoryMiB: number, cmdline: string, consoleLog: string): string {
  const initrd = image.boot.initrd ? `<initrd>${xmlEscape(image.boot.initrd)}</initrd>` : '';
  return `<domain type='${libvirtDomainType()}'>
  <name>${name}</name>
  <memory unit='MiB'>${memoryMiB}</memory>
  <vcpu>1</vcpu>
  <os>
    <type arch='x86_64' machine='pc'>hvm</type>
    <kernel>${xmlEscape(image.boot.kernel)}</kernel>
    ${initrd}
    <cmdline>${xmlEscape(cmdline)}</cmdline>
  </os>
  <features><acpi/></features>
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>destroy</on_reboot>
  <on_crash>destroy</on_crash>
  <devices>
    <controller type='usb' model='none'/>
    <serial type='file'><source path='${xmlEscape(consoleLog)}'/><target port='0'/></serial>
    <memballoon model='none'/>
  </devices>
</domain>
`;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls the console log until `pattern` matches; returns the log and the milliseconds it took. */
async function waitForConsole(log: string, pattern: RegExp, timeoutMs: number): Promise<{ text: string; ms: number }> {
  const t0 = Date.now();
  let text = '';
  while (Date.now() - t0 < timeoutMs) {
    text = existsSync(log) ? readFileSync(log, 'utf8') : '';
    if (pattern.test(text)) return { text, ms: Date.now() - t0 };
    await sleep(50);
  }
  throw new Error(`console ${log} did not show ${pattern} within ${timeoutMs} ms; it has:\n${text.slice(-2000)}`);
}

async function domainState(name: string): Promise<string> {
  return (await virsh('domstate', name)).trim();
}

describeWithLibvirt('catalogue guests on real libvirt (virsh)', () => {
  const run = `${process.pid}-${Date.now().toString(36)}`;
  const counterName = `rsv-test-counter-${run}`;
  const linuxName = `rsv-test-tiny-linux-${run}`;
  let dir: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'rsv-libvirt-'));
    chmodSync(dir, 0o755); // QEMU runs as libvirt-qemu
  });

  afterAll(async () => {
    // Best effort, for a test that failed half-way: nothing of ours may outlive the run.
    for (const name of [counterName, linuxName]) {
      await virsh('destroy', name).catch(() => undefined);
      await virsh('undefine', name).catch(() => undefined);
    }
    rmSync(dir, { recursive: true, force: true });
  });

  /** define + start; returns the console log path and how long define and start took. */
  async function boot(name: string, image: CatalogueImage, memoryMiB: number, cmdline: string) {
    const consoleLog = join(dir, `${name}.console.log`);
    const xmlFile = join(dir, `${name}.xml`);
    writeFileSync(xmlFile, domainXml(name, image, memoryMiB, cmdline, consoleLog));
    const t0 = Date.now();
    await virsh('define', xmlFile);
    await virsh('start', name);
    return { consoleLog, startedAt: t0, defineStartMs: Date.now() - t0 };
  }

  it('counter: boots from its kernel, echoes its command line and counts up every 100 ms', async () => {
    const image = imageFromCatalogue('counter');
    const { consoleLog, startedAt, defineStartMs } = await boot(counterName, image, 64, 'dirty-mib=4 reservoir.test=42');

    const { text } = await waitForConsole(consoleLog, /counter=3\r?\n/, 10_000);
    const bootMs = Date.now() - startedAt;
    expect(text).toMatch(/counter: boot cmdline=\S*kernel\.elf dirty-mib=4 reservoir\.test=42/);
    expect(text).toMatch(/dirty-mib=4 interval-ms=100/);
    const first = [...text.matchAll(/counter=(\d+)/g)].map((m) => Number(m[1]));
    expect(first.slice(0, 3)).toEqual([1, 2, 3]);

    // Still counting, one per 100 ms: after another 500 ms, later and consecutive values.
    await sleep(500);
    const later = [...readFileSync(consoleLog, 'utf8').matchAll(/counter=(\d+)/g)].map((m) => Number(m[1]));
    expect(later[later.length - 1]).toBeGreaterThanOrEqual(first[first.length - 1] + 3);
    later.forEach((n, i) => expect(n).toBe(i + 1));
    expect(await domainState(counterName)).toBe('running');
    console.log(`counter: define+start ${defineStartMs} ms, counter=3 ${bootMs} ms after define`);
  });

  it('tiny-linux: boots at its minimum memory, reports ready and its reservoir.* parameters, ticks', async () => {
    const image = imageFromCatalogue('tiny-linux');
    const cmdline = `${image.boot.cmdline} reservoir.test=42`;
    const { consoleLog, startedAt, defineStartMs } = await boot(linuxName, image, image.minMemoryMiB, cmdline);

    await waitForConsole(consoleLog, /^tiny-linux: ready\r?$/m, 30_000);
    const readyMs = Date.now() - startedAt;
    const { text } = await waitForConsole(consoleLog, /^tick=2\r?$/m, 10_000);
    expect(text).toMatch(/^tiny-linux: reservoir\.test=42\r?$/m);
    expect(await domainState(linuxName)).toBe('running');
    console.log(`tiny-linux: define+start ${defineStartMs} ms, ready ${readyMs} ms after define`);
  });

  it('stops both (ACPI shutdown for tiny-linux, destroy for counter), undefines them, leaves no domain', async () => {
    // tiny-linux powers off on the ACPI power button (its initramfs runs acpid); counter has no ACPI: destroy it.
    await virsh('shutdown', linuxName);
    const t0 = Date.now();
    while ((await domainState(linuxName)) !== 'shut off') {
      if (Date.now() - t0 > 15_000) throw new Error(`${linuxName} did not power off within 15 s of virsh shutdown`);
      await sleep(100);
    }
    await virsh('destroy', counterName);
    expect(await domainState(counterName)).toBe('shut off');

    await virsh('undefine', counterName);
    await virsh('undefine', linuxName);
    const left = await allDomains();
    expect(left).not.toContain(counterName);
    expect(left).not.toContain(linuxName);
  });
});
