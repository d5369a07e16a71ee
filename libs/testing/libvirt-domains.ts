/**
 * Reading real libvirt domains and guests from e2e tests: virsh on TEST_LIBVIRT_URI, a domain's QEMU process,
 * and the `counter` guest's console (`counter=N` every 100 ms).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { TEST_LIBVIRT_URI } from './libvirt-services';

/** virsh's stdout and stderr together (tests match on either). */
export function virsh(...args: string[]): string {
  return virshAt(TEST_LIBVIRT_URI, ...args);
}

/** Names of the running domains, or of all defined ones. */
export function domainNames(all: boolean): string[] {
  return domainNamesAt(TEST_LIBVIRT_URI, all);
}

/** The QEMU process of a running domain, by libvirt's pid file, else by its `guest=<name>` argument. */
export function qemuPid(domain: string): number | undefined {
  const pidFile = `/run/libvirt/qemu/${domain}.pid`;
  if (existsSync(pidFile)) {
    const pid = Number(readFileSync(pidFile, 'utf8').trim());
    if (Number.isInteger(pid) && pid > 0) return pid;
  }
  const ps = spawnSync('ps', ['-eo', 'pid=,args='], { encoding: 'utf8' }).stdout ?? '';
  const line = ps.split('\n').find((l) => l.includes('qemu-system') && l.includes(`guest=${domain},`));
  return line ? Number(line.trim().split(/\s+/)[0]) : undefined;
}

/** virsh on another daemon (`uri`), stdout and stderr together. */
export function virshAt(uri: string, ...args: string[]): string {
  const r = spawnSync('virsh', ['-c', uri, ...args], { encoding: 'utf8', timeout: 20_000 });
  return `${r.stdout ?? ''}${r.stderr ?? ''}`;
}

/** Names of the running (or all defined) domains of the daemon at `uri`. */
export function domainNamesAt(uri: string, all: boolean): string[] {
  return virshAt(uri, 'list', '--name', ...(all ? ['--all'] : [])).split('\n').map((l) => l.trim()).filter((l) => l !== '');
}

/** `virsh domstate` of a domain on the daemon at `uri` ('running', 'paused', 'shut off', …), undefined when unknown there. */
export function domStateAt(uri: string, domain: string): string | undefined {
  const r = spawnSync('virsh', ['-c', uri, 'domstate', domain], { encoding: 'utf8', timeout: 20_000 });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

/**
 * The QEMU process of a domain that runs (or is paused) on one daemon, by that daemon's pid file in `pidDir`
 * (/run/libvirt/qemu for the system daemon, SecondLibvirtd.qemuPidDir for a second one). Unlike {@link qemuPid} it
 * never guesses from `ps`: two daemons may each run a domain of the same name.
 */
export function qemuPidIn(pidDir: string, domain: string): number | undefined {
  const file = join(pidDir, `${domain}.pid`);
  if (!existsSync(file)) return undefined;
  const pid = Number(readFileSync(file, 'utf8').trim());
  if (!Number.isInteger(pid) || pid <= 0 || !existsSync(`/proc/${pid}/cmdline`)) return undefined;
  return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(`guest=${domain},`) ? pid : undefined;
}

/** Bytes in a console log now (an offset to read from later). */
export function consoleLength(path: string): number {
  return existsSync(path) ? readFileSync(path).length : 0;
}

/** The counter values the guest printed on its console after byte `from` (complete lines only). */
export function countersSince(path: string, from = 0): number[] {
  if (!existsSync(path)) return [];
  const text = readFileSync(path).subarray(from).toString('latin1');
  return [...text.matchAll(/counter=(\d+)\r?\n/g)].map((m) => Number(m[1]));
}

/** The last counter value printed after byte `from`, if any. */
export function lastCounter(path: string, from = 0): number | undefined {
  return countersSince(path, from).at(-1);
}

/**
 * Where the counter went back after byte `from`: the first value smaller than the one before it (a restore from a
 * checkpoint, or a fresh boot at 1), with the value printed just before. Undefined while it only went up.
 */
export function firstDrop(path: string, from = 0): { before: number; after: number } | undefined {
  const values = countersSince(path, from);
  for (let i = 1; i < values.length; i += 1) {
    if ((values[i] as number) < (values[i - 1] as number)) return { before: values[i - 1] as number, after: values[i] as number };
  }
  return undefined;
}

/** Where LibvirtHypervisorFactory puts the disks it creates (its default). */
export const LIBVIRT_DISK_DIR = '/var/lib/libvirt/images/reservoir';

/** Destroys and undefines test domains and deletes the root and data overlays the broker made for them. */
export function removeTestDomains(names: readonly string[]): void {
  for (const d of names) {
    virsh('destroy', d);
    virsh('undefine', d);
    for (const disk of ['root', 'data']) rmSync(join(LIBVIRT_DISK_DIR, `${d}-${disk}.qcow2`), { force: true });
  }
}
