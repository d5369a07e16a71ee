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
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
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
