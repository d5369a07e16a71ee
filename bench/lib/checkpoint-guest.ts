// One counter guest for a checkpoint trial: its own qcow2 overlay on the catalogue's base disk, its serial console
// to a file (tailed with arrival times), its lifecycle events watched; removed with every snapshot and file.
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { imageFromCatalogue, libvirtDomainType } from '@reservoir/testing/libvirt-services';
import { type Cleanup } from './cleanup';
import { ConsoleTail } from './checkpoint-console';
import { LifecycleWatch } from './checkpoint-events';
import { domainNames, qemuImg, virsh } from './libvirt-tools';

const BOOT_TIMEOUT_MS = 20_000;
/** Lines seen before a trial starts: the guest is past boot and ticking steadily. */
const WARM_LINES = 3;

/** What every trial of one run shares. */
export interface GuestPlan {
  uri: string;
  /** Temp dir (mode 0755, so QEMU as libvirt-qemu can reach the overlays in it). */
  dir: string;
  /** Prefix of every domain this process makes, for the sweep. */
  prefix: string;
  dirtyMib: number;
}

export interface Guest {
  name: string;
  uri: string;
  /** This trial's own folder: overlays, memory files, console log. */
  dir: string;
  overlay: string;
  consoleLog: string;
  tail: ConsoleTail;
  watch: LifecycleWatch;
}

function domainXml(name: string, memoryMib: number, kernel: string, cmdline: string, overlay: string, consoleLog: string): string {
  return `<domain type='${libvirtDomainType()}'>
  <name>${name}</name>
  <memory unit='MiB'>${memoryMib}</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64' machine='pc'>hvm</type><kernel>${kernel}</kernel><cmdline>${cmdline}</cmdline></os>
  <on_crash>destroy</on_crash>
  <devices>
    <disk type='file' device='disk'><driver name='qemu' type='qcow2'/><source file='${overlay}'/><target dev='vda' bus='virtio'/></disk>
    <serial type='file'><source path='${consoleLog}' append='on'/><target port='0'/></serial>
    <memballoon model='none'/>
  </devices>
</domain>
`;
}

/** Makes, defines and starts a guest, registers its removal, and waits until it has printed a few lines. */
export async function startGuest(plan: GuestPlan, name: string, memoryMib: number, cleanup: Cleanup): Promise<{ guest: Guest; remove: () => Promise<void> }> {
  const image = imageFromCatalogue('counter');
  const dir = join(plan.dir, name);
  mkdirSync(dir, { mode: 0o755 });
  const overlay = join(dir, 'disk.qcow2');
  const consoleLog = join(dir, 'console.log');
  const base = image.disk; // imageFromCatalogue gives absolute paths
  await qemuImg('create', '-q', '-f', 'qcow2', '-b', base, '-F', image.format, overlay);
  const cmdline = [image.boot.cmdline, `dirty-mib=${plan.dirtyMib}`].filter((w) => w !== '').join(' ');
  writeFileSync(join(dir, 'domain.xml'), domainXml(name, memoryMib, image.boot.kernel, cmdline, overlay, consoleLog));
  const tail = new ConsoleTail(consoleLog);
  const watchers: LifecycleWatch[] = [];
  let removing: Promise<void> | undefined;
  // Idempotent: the trial's own removal and the run's cleanup (SIGINT) may both ask for it.
  const remove = (): Promise<void> =>
    (removing ??= (async () => {
      for (const w of watchers) w.close();
      await tail.close();
      await removeDomain(plan.uri, name);
      rmSync(dir, { recursive: true, force: true });
    })());
  const drop = cleanup.add(`domain ${name}`, remove);
  await virsh(plan.uri, 'define', join(dir, 'domain.xml'));
  const watch = new LifecycleWatch(plan.uri, name); // `virsh event` for a domain needs it defined
  watchers.push(watch);
  await virsh(plan.uri, 'start', name);
  await tail.reach(WARM_LINES, BOOT_TIMEOUT_MS);
  const guest: Guest = { name, uri: plan.uri, dir, overlay, consoleLog, tail, watch };
  return {
    guest,
    remove: async () => {
      await remove();
      drop();
    },
  };
}

/** Hard stop and undefine with its snapshot metadata (internal snapshot data goes with the overlay file). */
export async function removeDomain(uri: string, name: string): Promise<void> {
  if (!(await domainNames(uri)).includes(name)) return;
  await virsh(uri, 'destroy', name).catch(() => undefined); // already shut off
  await virsh(uri, 'undefine', name, '--snapshots-metadata', '--managed-save');
}

/** Removes whatever a failed run left of this process's domains and files. */
export async function sweep(plan: GuestPlan): Promise<void> {
  for (const d of (await domainNames(plan.uri)).filter((n) => n.startsWith(plan.prefix))) await removeDomain(plan.uri, d);
  if (existsSync(plan.dir)) rmSync(plan.dir, { recursive: true, force: true });
}
