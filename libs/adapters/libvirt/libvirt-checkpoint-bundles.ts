import { firstMismatch } from '@reservoir/domain/protection/checkpoints/bundle-digest';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import {
  HypervisorError, isDomainActive, isHypervisorError, type CheckpointBundle, type CheckpointFile, type LifecycleListener,
} from '@reservoir/domain/ports/hypervisor.port';
import {
  checkpointDisks, copyInto, createBundleDir, diskFile, measureBundle, MEMORY_FILE, readBundleFile, TEMP_OVERLAY,
  writeBundleFile, type XmlDisk,
} from './checkpoint-files';
import { attr } from './domain-xml';
import { firstElement } from './libvirt-checkpoints';
import { Flags } from './libvirt-codes';
import { ensureSegments, joinedNetworks } from './libvirt-segments';
import { type LibvirtSession } from './libvirt-session';
import { mergeBack } from './libvirt-block-commit';
import { type NativeHandle } from './native-binding';

/**
 * Checkpoint bundles on a local libvirt host (bench/lib/checkpoint-candidates.ts measured the options):
 * - write, running domain: one external snapshot with NO_METADATA and LIVE (memory to `memory.save`, each disk
 *   switched to a temporary overlay `<disk>.ckpt-next`); the old overlay, now frozen, is copied into the bundle as
 *   `disk-<name>.qcow2` (its backing, if any, is the catalogue image by absolute path, as for the VEE's overlay);
 *   then an active shallow block commit merges the temporary overlay back and pivots, so the live and the persistent
 *   definition name the original disk files again and no snapshot object remains.
 * - write, paused domain: save, copy the disk files, restore paused (see {@link saveAndRestorePaused}).
 * - restore: measure and compare, destroy, copy each disk file over the disk, restore `memory.save` (its embedded
 *   XML names the original disk paths).
 */

/** Subscribes to the connection's lifecycle events; returns the unsubscribe function. */
export type EventSource = (listener: LifecycleListener) => () => void;

const PAUSE_EVENT_WAIT_MS = 500;

export async function checkpointWrite(session: LibvirtSession, events: EventSource, name: string, dir: string): Promise<CheckpointBundle> {
  return session.run('checkpointWrite', name, async (h) => {
    refuseTestDriver(session, 'checkpointWrite', name);
    const domain = await session.require(h, name);
    if (!isDomainActive(domain.state) || !['running', 'blocked', 'paused'].includes(domain.state)) {
      throw new HypervisorError('invalid-state', `checkpointWrite ${name}: the domain is ${domain.state}, not running or paused`);
    }
    await finishEarlierMerges(session, h, name);
    const disks = checkpointDisks(await session.native.xml(h, name, 0), `checkpointWrite ${name}`);
    await createBundleDir(dir);
    try {
      const pausedMs = domain.state === 'paused' ? await saveAndRestorePaused(session, h, name, dir, disks) : await snapshotLive(session, h, events, name, dir, disks);
      return { files: await measureBundle(dir), pausedMs };
    } catch (error) {
      if (!isHypervisorError(error) || !error.message.includes(KEPT)) await rm(dir, { recursive: true, force: true });
      throw error;
    }
  });
}

const KEPT = 'the bundle is complete and kept';

/** A running domain: external live snapshot, copies of the frozen overlays, active commit back to them. */
async function snapshotLive(
  session: LibvirtSession, h: NativeHandle, events: EventSource, name: string, dir: string, disks: readonly XmlDisk[],
): Promise<number> {
  const pausedMs = await snapshot(session, h, events, name, dir, disks);
  for (const disk of disks) {
    await copyInto(disk.path, join(dir, diskFile(disk)));
    await mergeBack(session, h, name, disk);
  }
  await expectOriginalPaths(session, h, name, disks);
  return pausedMs;
}

/**
 * A paused domain: after a memory snapshot QEMU 7.2 leaves a paused guest's block nodes inactive (no block commit,
 * no further save or migration until it runs again), so a paused domain is saved instead (QEMU flushes its disks
 * and exits), its disk files copied, and the save image restored paused: same definition, same disk files, the
 * guest never runs. Costs a QEMU restart (about 2 s, mostly waiting for QEMU to exit).
 */
async function saveAndRestorePaused(session: LibvirtSession, h: NativeHandle, name: string, dir: string, disks: readonly XmlDisk[]): Promise<number> {
  await session.native.save(h, name, join(dir, MEMORY_FILE));
  let copyError: unknown;
  for (const disk of disks) await copyInto(disk.path, join(dir, diskFile(disk))).catch((error: unknown) => (copyError ??= error));
  await session.native.restoreXml(h, join(dir, MEMORY_FILE), null, Flags.SAVE_PAUSED).catch((error: unknown) => {
    const why = error instanceof Error ? error.message : String(error);
    const bundle = copyError === undefined ? KEPT : 'copying its disks failed too';
    throw new HypervisorError('operation-failed', `checkpointWrite ${name}: saved to ${dir} but not restored (${why}); the domain is shut off; ${bundle}`, { cause: error });
  });
  if (copyError !== undefined) throw copyError;
  return 0;
}

export async function checkpointMeasure(dir: string): Promise<CheckpointFile[]> {
  return measureBundle(dir);
}

export async function checkpointRestore(
  session: LibvirtSession, name: string, dir: string, options: { paused: boolean; expected: readonly CheckpointFile[] },
): Promise<void> {
  await session.run('checkpointRestore', name, async (h) => {
    refuseTestDriver(session, 'checkpointRestore', name);
    const domain = await session.require(h, name);
    const mismatch = firstMismatch(await measureBundle(dir), options.expected);
    if (mismatch) throw new HypervisorError('invalid-argument', `checkpointRestore ${name}: ${dir} does not match what was expected: ${mismatch}`);
    const memory = join(dir, MEMORY_FILE);
    const image = await session.native.saveImageXml(h, memory);
    if (firstElement(image, 'uuid')?.toLowerCase() !== domain.uuid.toLowerCase()) {
      throw new HypervisorError('invalid-argument', `checkpointRestore ${name}: ${dir} holds another domain (uuid ${firstElement(image, 'uuid') ?? '?'})`);
    }
    const disks = checkpointDisks(image, `checkpointRestore ${name}`);
    const names = new Set(options.expected.map((f) => f.name));
    const absent = disks.find((disk) => !names.has(diskFile(disk)));
    if (absent) throw new HypervisorError('invalid-argument', `checkpointRestore ${name}: ${dir} has no file '${diskFile(absent)}' for disk ${absent.target}`);
    if (disks.some((disk) => disk.path.endsWith(TEMP_OVERLAY))) {
      throw new HypervisorError('operation-failed', `checkpointRestore ${name}: the memory file of ${dir} names a temporary overlay`);
    }
    await ensureSegments(session.native, h, joinedNetworks(image));
    if (isDomainActive((await session.require(h, name)).state)) await session.native.destroy(h, name);
    for (const disk of disks) await copyInto(join(dir, diskFile(disk)), disk.path);
    await session.native.restoreXml(h, memory, null, options.paused ? Flags.SAVE_PAUSED : Flags.SAVE_RUNNING);
  });
}

export async function checkpointRemove(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true }).catch((error: unknown) => {
    throw new HypervisorError('operation-failed', `checkpointRemove ${dir}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  });
}

/** Local files: read where the host's directories are this process's (see checkpoint-files.ts). */
export function checkpointReadFile(dir: string, file: string): AsyncIterable<Uint8Array> {
  return readBundleFile(dir, file);
}

/** Streamed into a temporary name, digest measured while writing, then linked into place; see {@link writeBundleFile}. */
export function checkpointWriteFile(dir: string, file: string, data: AsyncIterable<Uint8Array>): Promise<CheckpointFile> {
  return writeBundleFile(dir, file, data);
}

/**
 * The external live snapshot; resolves to how long libvirt reported the guest paused (suspended → resumed events),
 * or, when those did not arrive, the snapshot call's duration (an upper bound).
 */
async function snapshot(session: LibvirtSession, h: NativeHandle, events: EventSource, name: string, dir: string, disks: readonly XmlDisk[]): Promise<number> {
  const xml = [
    '<domainsnapshot>',
    `<memory snapshot='external' file='${attr(join(dir, MEMORY_FILE))}'/>`,
    '<disks>',
    ...disks.map((d) => `<disk name='${attr(d.target)}' snapshot='external' type='file'><driver type='qcow2'/><source file='${attr(d.path + TEMP_OVERLAY)}'/></disk>`),
    '</disks>',
    '</domainsnapshot>',
  ].join('');
  for (const disk of disks) await rm(disk.path + TEMP_OVERLAY, { force: true }); // left by a write that failed before its snapshot
  const flags = Flags.SNAPSHOT_ATOMIC | Flags.SNAPSHOT_NO_METADATA | Flags.SNAPSHOT_LIVE;
  const watch = watchPause(events, name);
  const started = performance.now();
  try {
    await session.native.snapshotCreate(h, name, xml, flags);
    const callMs = performance.now() - started;
    return Math.round((await watch.pausedMs()) ?? callMs);
  } finally {
    watch.stop();
  }
}

/** Pairs the domain's 'paused' and 'resumed' events by arrival time (both cross the same event thread). */
function watchPause(events: EventSource, name: string): { pausedMs(): Promise<number | undefined>; stop(): void } {
  let since: number | undefined;
  let total: number | undefined;
  const stop = events((event) => {
    if (event.domain !== name) return;
    if (event.type === 'paused' && since === undefined) since = performance.now();
    if (event.type === 'resumed' && since !== undefined) {
      total = (total ?? 0) + performance.now() - since;
      since = undefined;
    }
  });
  return {
    async pausedMs() {
      const deadline = performance.now() + PAUSE_EVENT_WAIT_MS;
      while ((total === undefined || since !== undefined) && performance.now() < deadline) await new Promise((r) => setTimeout(r, 2));
      return since === undefined ? total : undefined;
    },
    stop,
  };
}

/** A write that failed after its snapshot left disks on their temporary overlays: merge them back first. */
async function finishEarlierMerges(session: LibvirtSession, h: NativeHandle, name: string): Promise<void> {
  const xml = await session.native.xml(h, name, 0);
  const leftovers = [...xml.matchAll(/<disk\b[\s\S]*?<\/disk>/g)].map(([block]) => block).filter((block) => block.includes(`${TEMP_OVERLAY}'`));
  if (leftovers.length === 0) return;
  for (const disk of checkpointDisks(leftovers.join('\n'), `checkpointWrite ${name}`)) {
    if (!disk.path.endsWith(TEMP_OVERLAY)) continue;
    await mergeBack(session, h, name, { ...disk, path: disk.path.slice(0, -TEMP_OVERLAY.length) });
  }
}

/** After the merge, both definitions name the original files (a later start or recreate uses them). */
async function expectOriginalPaths(session: LibvirtSession, h: NativeHandle, name: string, disks: readonly XmlDisk[]): Promise<void> {
  for (const flags of [0, Flags.XML_INACTIVE]) {
    const now = checkpointDisks(await session.native.xml(h, name, flags), `checkpointWrite ${name}`);
    for (const disk of disks) {
      const path = now.find((d) => d.target === disk.target)?.path;
      if (path !== disk.path) {
        const which = flags === 0 ? 'live' : 'persistent';
        throw new HypervisorError('operation-failed', `checkpointWrite ${name}: the ${which} definition names ${path ?? 'nothing'} for ${disk.target}, not ${disk.path}`);
      }
    }
  }
}

function refuseTestDriver(session: LibvirtSession, operation: 'checkpointWrite' | 'checkpointRestore', name: string): void {
  if (session.driver === 'TEST') {
    throw new HypervisorError('unsupported', `${operation} ${name}: libvirt's test driver writes no snapshot or save files`);
  }
}
