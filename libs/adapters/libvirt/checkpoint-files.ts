import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { chmod, copyFile, link, mkdir, readdir, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { HypervisorError, type CheckpointFile } from '@reservoir/domain/ports/hypervisor.port';
import { unescapeXml } from './domain-xml';

/**
 * The files side of checkpoint bundles on a local host: which disks a domain XML names, the bundle's file names,
 * digests (streamed sha256), comparing a bundle with what the caller expects, and copying disks in and out.
 */

/** The guest's memory and device state: a libvirt save image, written by the external snapshot. */
export const MEMORY_FILE = 'memory.save';
/** Suffix of the temporary overlay a checkpoint switches each disk to until it is merged back. */
export const TEMP_OVERLAY = '.ckpt-next';

/** One file-backed disk of a domain XML. `name` is the port's disk name (the `<serial>`), else the target. */
export interface XmlDisk {
  name: string;
  target: string;
  path: string;
  format: string;
}

export const diskFile = (disk: XmlDisk): string => `disk-${disk.name}.qcow2`;

/** The disks (device='disk') of a domain XML; 'unsupported' for one that is not a qcow2 file. */
export function checkpointDisks(xml: string, subject: string): XmlDisk[] {
  const disks: XmlDisk[] = [];
  for (const [block] of xml.matchAll(/<disk\b[\s\S]*?<\/disk>/g)) {
    if (attribute(/<disk\b[^>]*>/.exec(block)?.[0] ?? '', 'device') !== 'disk') continue;
    const target = attribute(/<target\b[^>]*>/.exec(block)?.[0] ?? '', 'dev');
    const path = attribute(/<source\b[^>]*>/.exec(block)?.[0] ?? '', 'file');
    const format = attribute(/<driver\b[^>]*>/.exec(block)?.[0] ?? '', 'type') ?? 'raw';
    if (!target || !path) throw new HypervisorError('unsupported', `${subject}: disk ${target ?? '?'} is not a file; checkpoints need qcow2 files`);
    if (format !== 'qcow2') throw new HypervisorError('unsupported', `${subject}: disk ${target} (${path}) is ${format}; checkpoints need qcow2 disks`);
    const serial = /<serial>([^<]*)<\/serial>/.exec(block)?.[1];
    const name = serial !== undefined && /^[A-Za-z0-9._-]{1,200}$/.test(unescapeXml(serial)) ? unescapeXml(serial) : target;
    disks.push({ name, target, path, format });
  }
  return disks;
}

function attribute(tag: string, name: string): string | undefined {
  const match = new RegExp(`\\s${name}=(['"])(.*?)\\1`).exec(tag);
  return match?.[2] === undefined ? undefined : unescapeXml(match[2]);
}

/** Creates `dir` (its parent too); 'already-exists' when it exists. */
export async function createBundleDir(dir: string): Promise<void> {
  if (dir.length === 0) throw new HypervisorError('invalid-argument', 'checkpointWrite needs a directory');
  await mkdir(dirname(dir), { recursive: true });
  await mkdir(dir, { mode: 0o755 }).catch((error: unknown) => {
    if (errnoOf(error) === 'EEXIST') throw new HypervisorError('already-exists', `checkpoint directory ${dir} exists`);
    throw fileError(error, `creating ${dir}`);
  });
}

/** Every regular file in `dir` with its size and digest, sorted by name; 'not-found' when `dir` does not exist. */
export async function measureBundle(dir: string): Promise<CheckpointFile[]> {
  const entries = await readdir(dir, { withFileTypes: true }).catch((error: unknown) => {
    throw errnoOf(error) === 'ENOENT'
      ? new HypervisorError('not-found', `no checkpoint at ${dir}`)
      : fileError(error, `reading ${dir}`);
  });
  const names = entries.filter((e) => e.isFile()).map((e) => e.name).sort(byName);
  const files: CheckpointFile[] = [];
  for (const name of names) files.push({ name, ...(await digest(join(dir, name))) });
  return files;
}

/** Streams the file through sha256. */
export async function digest(path: string): Promise<{ bytes: number; sha256: string }> {
  const hash = createHash('sha256');
  let bytes = 0;
  try {
    for await (const chunk of createReadStream(path)) {
      const buffer = chunk as Buffer;
      bytes += buffer.length;
      hash.update(buffer);
    }
  } catch (error) {
    throw fileError(error, `reading ${path}`);
  }
  return { bytes, sha256: hash.digest('hex') };
}

/**
 * Puts a copy of `from` at `to` atomically (a temporary file renamed over it), so the bundle stays as it is and a
 * QEMU that still has the old file open never sees it change. Mode 0644, like qemu-img's overlays; libvirt gives
 * QEMU the file (DAC labelling) when it starts the domain.
 */
export async function copyInto(from: string, to: string): Promise<void> {
  const temp = `${to}.ckpt-copy`;
  try {
    await copyFile(from, temp);
    await chmod(temp, 0o644);
    await rename(temp, to);
  } catch (error) {
    await rm(temp, { force: true });
    throw fileError(error, `copying ${from} to ${to}`);
  }
}

/** One file of a bundle, streamed; 'not-found' (on the first read) for a missing dir or file. */
export async function* readBundleFile(dir: string, file: string): AsyncGenerator<Uint8Array> {
  const path = join(dir, bundleFileName(file, 'checkpointReadFile'));
  try {
    for await (const chunk of createReadStream(path)) yield chunk as Buffer;
  } catch (error) {
    throw fileError(error, `checkpointReadFile ${path}`);
  }
}

/**
 * Streams `data` into `<dir>/<file>` (the dir created when missing), measuring size and sha256 on the way. The data
 * goes to a temporary name first, which is then linked to the final name (no-clobber: an existing file is
 * 'already-exists') and removed, so the file appears complete or not at all; a failing source leaves nothing.
 */
export async function writeBundleFile(dir: string, file: string, data: AsyncIterable<Uint8Array>): Promise<CheckpointFile> {
  const path = join(dir, bundleFileName(file, 'checkpointWriteFile'));
  const exists = () => new HypervisorError('already-exists', `checkpointWriteFile: ${path} exists`);
  await mkdir(dir, { recursive: true, mode: 0o755 }).catch((error: unknown) => {
    throw fileError(error, `creating ${dir}`);
  });
  if (await readdir(dir).then((names) => names.includes(file))) throw exists();
  const temp = join(dir, `.${file}.part-${randomBytes(6).toString('hex')}`);
  const hash = createHash('sha256');
  let bytes = 0;
  const measure = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      bytes += chunk.length;
      hash.update(chunk);
      done(null, chunk);
    },
  });
  try {
    await pipeline(data, measure, createWriteStream(temp, { flags: 'wx', mode: 0o644 }));
    await link(temp, path).catch((error: unknown) => {
      throw errnoOf(error) === 'EEXIST' ? exists() : error;
    });
  } catch (error) {
    throw fileError(error, `checkpointWriteFile ${path}`);
  } finally {
    await rm(temp, { force: true });
  }
  return { name: file, bytes, sha256: hash.digest('hex') };
}

/** A plain file name (no path, no leading dot): anything else is 'invalid-argument'. */
function bundleFileName(file: string, operation: string): string {
  if (!/^[A-Za-z0-9_-][A-Za-z0-9._-]{0,199}$/.test(file)) throw new HypervisorError('invalid-argument', `${operation}: '${file}' is not a bundle file name`);
  return file;
}

export function byName(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function errnoOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

export function fileError(error: unknown, what: string): HypervisorError {
  if (error instanceof HypervisorError) return error;
  const code = errnoOf(error);
  const text = error instanceof Error ? error.message : String(error);
  if (code === 'ENOENT') return new HypervisorError('not-found', `${what}: ${text}`, { cause: error });
  return new HypervisorError('operation-failed', `${what}: ${text}`, { cause: error });
}
