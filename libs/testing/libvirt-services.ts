/**
 * Helpers for e2e tests that boot real guests on the libvirt daemon and image catalogue that `npm run services:up`
 * starts and builds (scripts/libvirt/: libvirtd on qemu:///system, guests `counter` and `tiny-linux`).
 *
 * `describeWithLibvirt` has the semantics of `describeWithPostgres` (./real-services.ts): decided once per test file
 * by a synchronous probe (`virsh -c TEST_LIBVIRT_URI version` answers and IMAGE_DIR has a catalogue.json);
 *   - available            -> a normal `describe`;
 *   - not, CI=true         -> throws: the test file fails (services:up should have started it);
 *   - not, locally         -> `console.warn('SKIPPED: ...')` and `describe.skip`.
 *
 *   describeWithLibvirt('counter guest', () => {
 *     it('boots', () => { const counter = imageFromCatalogue('counter'); ... virsh -c TEST_LIBVIRT_URI ... });
 *   });
 */
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { findShippedFile } from '@reservoir/config';
import { describeWithService, type ProbeResult } from './real-services';

/** The libvirt connection e2e tests use (RESERVOIR_TEST_LIBVIRT_URI). */
export const TEST_LIBVIRT_URI: string = process.env.RESERVOIR_TEST_LIBVIRT_URI ?? 'qemu:///system';

const REPO_ROOT = resolve(dirname(findShippedFile('scripts/libvirt/libvirt.sh')), '..', '..');

/** The image catalogue every broker uses unless configured otherwise: RESERVOIR_IMAGE_DIR, else <repo>/.services/images. */
export const IMAGE_DIR: string = process.env.RESERVOIR_IMAGE_DIR ?? join(REPO_ROOT, '.services', 'images');

/** Written by `scripts/libvirt/libvirt.sh start`: whether guests get KVM on this host (`kvm`) or TCG (`qemu`). */
export const LIBVIRT_ACCEL_FILE: string = join(REPO_ROOT, '.services', 'libvirt', 'accel.json');

const VIRSH_TIMEOUT_MS = 10_000;

/** One image of IMAGE_DIR/catalogue.json (scripts/libvirt/build-images.sh), with its paths made absolute. */
export interface CatalogueImage {
  ref: string;
  description: string;
  format: 'qcow2' | 'raw';
  /** sha256 over the image's files (see the catalogue's `about`). */
  sha256: string;
  minMemoryMiB: number;
  boot: { kind: 'kernel'; kernel: string; initrd?: string; cmdline: string };
  /** Empty base disk for copy-on-write overlays. */
  disk: string;
  /** Text the guest prints on its serial console once it is up. */
  consoleReady: string;
  files: { path: string; sha256: string; bytes: number }[];
}

/** The images in `dir`/catalogue.json, paths absolute. Throws if the catalogue is missing. */
export function readImageCatalogue(dir: string = IMAGE_DIR): CatalogueImage[] {
  const raw = JSON.parse(readFileSync(join(dir, 'catalogue.json'), 'utf8')) as { images: CatalogueImage[] };
  const abs = (p: string): string => join(dir, p);
  return raw.images.map((image) => ({
    ...image,
    boot: { ...image.boot, kernel: abs(image.boot.kernel), initrd: image.boot.initrd && abs(image.boot.initrd) },
    disk: abs(image.disk),
    files: image.files.map((f) => ({ ...f, path: abs(f.path) })),
  }));
}

/** The catalogue image `ref`; throws if there is none. */
export function imageFromCatalogue(ref: string, dir: string = IMAGE_DIR): CatalogueImage {
  const image = readImageCatalogue(dir).find((i) => i.ref === ref);
  if (!image) throw new Error(`image ${ref} is not in ${join(dir, 'catalogue.json')}`);
  return image;
}

/** Domain type for `<domain type=...>` here: `kvm` only where libvirt.sh saw KVM really boot the guests. */
export function libvirtDomainType(): 'kvm' | 'qemu' {
  try {
    const accel = JSON.parse(readFileSync(LIBVIRT_ACCEL_FILE, 'utf8')) as { domainType?: string };
    return accel.domainType === 'kvm' ? 'kvm' : 'qemu';
  } catch {
    return 'qemu';
  }
}

let libvirtProbe: ProbeResult | undefined;

/** Synchronous, cached per test file: does TEST_LIBVIRT_URI answer, and is there an image catalogue? */
export function libvirtAvailableSync(): ProbeResult {
  libvirtProbe ??= probeLibvirt();
  return libvirtProbe;
}

function probeLibvirt(): ProbeResult {
  const virsh = spawnSync('virsh', ['-c', TEST_LIBVIRT_URI, 'version'], { encoding: 'utf8', timeout: VIRSH_TIMEOUT_MS });
  if (virsh.error) return { ok: false, detail: `virsh: ${virsh.error.message}` };
  if (virsh.status !== 0) {
    const why = (virsh.stderr || `virsh exited ${virsh.status}`).trim().split('\n').slice(0, 2).join('; ');
    return { ok: false, detail: why };
  }
  if (!existsSync(join(IMAGE_DIR, 'catalogue.json'))) return { ok: false, detail: `no image catalogue in ${IMAGE_DIR}` };
  return { ok: true };
}

/** `describe` that needs libvirt at TEST_LIBVIRT_URI and the image catalogue: skipped with a warning locally, a failure on CI. */
export function describeWithLibvirt(name: string, fn: () => void): void {
  describeWithService(`libvirt (${TEST_LIBVIRT_URI}, images in ${IMAGE_DIR})`, libvirtAvailableSync(), name, fn);
}

/**
 * `describe` for tests that run a second libvirt daemon on this machine ({@link startSecondLibvirtd}) beside the one
 * at TEST_LIBVIRT_URI: needs that one, the image catalogue, and `unshare` and `libvirtd` to start the second.
 * Skipped with a warning locally, a failure on CI.
 */
export function describeWithTwoLibvirtHosts(name: string, fn: () => void): void {
  const first = libvirtAvailableSync();
  const missing = ['unshare', 'libvirtd'].filter((bin) => spawnSync('sh', ['-c', `command -v ${bin}`]).status !== 0);
  const probe = !first.ok ? first : missing.length > 0 ? { ok: false, detail: `not installed: ${missing.join(', ')}` } : first;
  describeWithService(`libvirt (${TEST_LIBVIRT_URI} and a second libvirtd, images in ${IMAGE_DIR})`, probe, name, fn);
}

/** A libvirt daemon of its own started by a test; see {@link startSecondLibvirtd}. */
export interface SecondLibvirtd {
  /** `qemu+unix:///session?socket=…`: a local URI (no host part), so the adapter provisions disks with qemu-img. */
  uri: string;
  /** Where its domains' QEMU pid files are. */
  qemuPidDir: string;
  /** SIGKILLs the daemon (its QEMU processes live on): the host stops answering, as a crashed machine would. */
  crash(): void;
  /** Stops the daemon and the virtlogd it started, and removes its directory; destroy its domains first. */
  stop(): Promise<void>;
}

/**
 * Starts a second, separate libvirt daemon on this machine: a second "host" with its own domain namespace for tests
 * of moves between hosts. Not `qemu:///session`: for root that URI reaches the system daemon (the privileged QEMU
 * driver serves both paths), so domains there are the same domains. This one is a session-mode libvirtd (it runs as
 * uid 1000 of a user namespace whose only mapping is this process's uid, so its QEMU processes keep root's access to
 * root's files), with its state, sockets and logs in `dir`. Rejects when it does not answer within 20 s.
 */
export async function startSecondLibvirtd(dir: string): Promise<SecondLibvirtd> {
  const run = join(dir, 'run');
  mkdirSync(run, { recursive: true });
  const env = { ...process.env, HOME: dir, XDG_RUNTIME_DIR: run, XDG_CONFIG_HOME: join(dir, 'config'), XDG_CACHE_HOME: join(dir, 'cache') };
  const log = openSync(join(dir, 'libvirtd.log'), 'a');
  const child = spawn('unshare', ['--user', '--map-user=1000', '--map-group=1000', 'libvirtd', '--timeout', '0'], { env, stdio: ['ignore', log, log] });
  closeSync(log);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const uri = `qemu+unix:///session?socket=${join(run, 'libvirt', 'libvirt-sock')}`;
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
    const qemuRun = join(run, 'libvirt', 'qemu', 'run');
    const left = existsSync(qemuRun) ? readdirSync(qemuRun).filter((f) => f.endsWith('.pid')) : [];
    for (const file of left) { // QEMU processes of this daemon still there (a crashed daemon does not stop them)
      const pid = Number(readFileSync(join(qemuRun, file), 'utf8').trim());
      if (pid > 0 && existsSync(`/proc/${pid}/cmdline`) && readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('qemu-system')) process.kill(pid, 'SIGKILL');
    }
    const logd = join(run, 'libvirt', 'virtlogd.pid');
    const pid = existsSync(logd) ? Number(readFileSync(logd, 'utf8').trim()) : 0;
    if (pid > 0 && existsSync(`/proc/${pid}/cmdline`) && readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('virtlogd')) process.kill(pid, 'SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (spawnSync('virsh', ['-c', uri, 'version'], { timeout: VIRSH_TIMEOUT_MS }).status === 0) break;
    if (child.exitCode !== null || Date.now() > deadline) {
      const why = existsSync(join(dir, 'libvirtd.log')) ? readFileSync(join(dir, 'libvirtd.log'), 'utf8').slice(-2000) : '';
      await stop();
      throw new Error(`a second libvirtd did not answer at ${uri}: ${why}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  const crash = (): void => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };
  return { uri, qemuPidDir: join(run, 'libvirt', 'qemu', 'run'), crash, stop };
}
