import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, rm, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { promisify } from 'node:util';
import { HypervisorError } from '@reservoir/domain/ports/hypervisor.port';

/**
 * Creates a domain's disk files before it is defined. Bulk data stays out of the broker: `qemu-img` writes a
 * qcow2 header (an overlay pointing at the catalogue image, or an empty sparse disk); only a requested sha256 check
 * reads the base image, streamed and remembered per (path, size, mtime).
 */
export interface DiskProvisioner {
  /** Returns an undo that removes what it created (run when the define fails). */
  provision(disks: readonly ProvisionedDisk[]): Promise<() => Promise<void>>;
}

/** One disk with host paths resolved. `owned`: the adapter chose the path, so an old file there is replaced. */
export interface ProvisionedDisk {
  path: string;
  format: 'qcow2' | 'raw';
  sizeGiB: number;
  owned: boolean;
  base?: { path: string; sha256?: string };
}

/** For drivers that never touch files (libvirt's test driver) and hosts whose disks someone else prepares. */
export const noDiskProvisioning: DiskProvisioner = { provision: async () => async () => undefined };

const run = promisify(execFile);

/** qemu-img on this machine: right for local hypervisors (qemu:///system, qemu+unix://…). */
export function qemuImgProvisioner(qemuImg = 'qemu-img'): DiskProvisioner {
  const digests = new Map<string, string>();
  return {
    async provision(disks) {
      const created: string[] = [];
      const undo = async () => {
        await Promise.all(created.map((path) => rm(path, { force: true })));
      };
      try {
        for (const disk of disks) {
          if (!disk.owned && (await exists(disk.path))) continue; // the caller's own disk file
          if (disk.base) await checkBase(disk.base, digests);
          await mkdir(dirname(disk.path), { recursive: true });
          await rm(disk.path, { force: true });
          created.push(disk.path);
          await run(qemuImg, createArgs(disk));
        }
        return undo;
      } catch (error) {
        await undo();
        throw error instanceof HypervisorError ? error : new HypervisorError('operation-failed', `creating disks: ${message(error)}`, { cause: error });
      }
    },
  };
}

/** The qemu-img command line for one disk (exported for tests). */
export function createArgs(disk: ProvisionedDisk): string[] {
  if (!(Number.isFinite(disk.sizeGiB) && disk.sizeGiB > 0)) throw new HypervisorError('invalid-argument', `disk ${disk.path}: sizeGiB must be positive`);
  const size = `${Math.ceil(disk.sizeGiB * 1024)}M`;
  if (!disk.base) return ['create', '-q', '-f', disk.format, disk.path, size];
  if (disk.format !== 'qcow2') throw new HypervisorError('invalid-argument', `disk ${disk.path}: only a qcow2 disk can be an overlay of a base image`);
  return ['create', '-q', '-f', 'qcow2', '-b', disk.base.path, '-F', 'qcow2', disk.path, size];
}

async function checkBase(base: { path: string; sha256?: string }, digests: Map<string, string>): Promise<void> {
  const info = await stat(base.path).catch(() => undefined);
  if (!info?.isFile()) throw new HypervisorError('not-found', `base image ${base.path} does not exist on this host`);
  if (!base.sha256) return;
  const key = `${base.path}:${info.size}:${info.mtimeMs}`;
  let digest = digests.get(key);
  if (!digest) {
    const hash = createHash('sha256');
    for await (const chunk of createReadStream(base.path)) hash.update(chunk as Buffer);
    digest = hash.digest('hex');
    digests.set(key, digest);
  }
  if (digest !== base.sha256.toLowerCase()) {
    throw new HypervisorError('invalid-argument', `base image ${base.path} has sha256 ${digest}, expected ${base.sha256}`);
  }
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(() => true, () => false);
}

function message(error: unknown): string {
  const stderr = (error as { stderr?: unknown }).stderr;
  return typeof stderr === 'string' && stderr.trim() ? stderr.trim() : error instanceof Error ? error.message : String(error);
}
