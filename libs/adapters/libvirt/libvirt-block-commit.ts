import { rm } from 'node:fs/promises';
import { HypervisorError } from '@reservoir/domain/ports/hypervisor.port';
import { TEMP_OVERLAY, type XmlDisk } from './checkpoint-files';
import { unescapeXml } from './domain-xml';
import { Flags, VirErr } from './libvirt-codes';
import { type LibvirtSession } from './libvirt-session';
import { isLibvirtNativeError, type NativeHandle } from './native-binding';

/**
 * Merges a checkpoint's temporary overlay (`<disk>.ckpt-next`, the disk's active layer) back into the disk's own file
 * (its immediate backing) and pivots the domain to that file: virDomainBlockCommit with ACTIVE | SHALLOW, wait until
 * the job is ready, virDomainBlockJobAbort with PIVOT, then delete the temporary overlay.
 *
 * SHALLOW matters: without it libvirt commits into the deepest backing file, which is the catalogue's base image
 * shared by every VEE. The chain is checked first for the same reason.
 */

const READY_TIMEOUT_MS = 60_000;
const POLL_MS = 5;
const NOT_READY = new Set<number>([VirErr.OPERATION_INVALID, VirErr.BLOCK_COPY_ACTIVE]);

export async function mergeBack(session: LibvirtSession, h: NativeHandle, name: string, disk: XmlDisk): Promise<void> {
  const temp = disk.path + TEMP_OVERLAY;
  const chain = activeChain(await session.native.xml(h, name, 0), disk.target);
  if (chain[0] !== temp || chain[1] !== disk.path) {
    throw new HypervisorError('operation-failed', `checkpoint of ${name}: disk ${disk.target} is ${chain.join(' <- ')}, not ${temp} on ${disk.path}; not merging`);
  }
  await session.native.blockCommit(h, name, disk.target, null, Flags.BLOCK_COMMIT_ACTIVE | Flags.BLOCK_COMMIT_SHALLOW);
  await pivotWhenReady(session, h, name, disk.target);
  await rm(temp, { force: true });
}

/** Polls the job until cur == end, then pivots; a pivot refused as not ready yet is retried. */
async function pivotWhenReady(session: LibvirtSession, h: NativeHandle, name: string, target: string): Promise<void> {
  const deadline = performance.now() + READY_TIMEOUT_MS;
  for (;;) {
    const [running, , cur, end] = await session.native.blockJobInfo(h, name, target);
    if (!running) throw new HypervisorError('operation-failed', `checkpoint of ${name}: the block commit of ${target} ended without a pivot`);
    if (cur === end) {
      const pivoted = await session.native.blockJobAbort(h, name, target, Flags.BLOCK_JOB_ABORT_PIVOT).then(() => true, (error: unknown) => {
        if (isLibvirtNativeError(error) && NOT_READY.has(error.code)) return false; // not ready for the pivot yet
        throw error;
      });
      if (pivoted) return;
    }
    if (performance.now() > deadline) {
      throw new HypervisorError('operation-failed', `checkpoint of ${name}: the block commit of ${target} was not ready within ${READY_TIMEOUT_MS} ms`);
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

/** The file names of one disk's chain in a live domain XML, active layer first. */
export function activeChain(xml: string, target: string): string[] {
  const block = [...xml.matchAll(/<disk\b[\s\S]*?<\/disk>/g)].map(([b]) => b).find((b) => new RegExp(`<target\\s+dev=(['"])${target}\\1`).test(b));
  if (!block) return [];
  return [...block.matchAll(/<source\s+file=(['"])(.*?)\1/g)].map((m) => unescapeXml(m[2] ?? ''));
}
