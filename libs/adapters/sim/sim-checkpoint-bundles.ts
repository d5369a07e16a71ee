import { firstMismatch } from '@reservoir/domain/protection/checkpoints/bundle-digest';
import { createHash } from 'node:crypto';
import {
  HypervisorError, isDomainActive, type CheckpointBundle, type CheckpointFile, type DomainSpec,
} from '@reservoir/domain/ports/hypervisor.port';
import { type SimDomain } from './sim-domain';
import { type SimHost } from './sim-host';

/**
 * Checkpoint bundles of simulated domains. A bundle stands for a host directory: it lives in the host's memory keyed
 * by `dir` and holds synthetic file contents (`memory.state`, one `disk-<name>.qcow2` per disk) derived from the
 * domain and its `guestState`, so sizes and sha256 digests are real and change when a test corrupts a file.
 * Everything a restore needs (uuid, guest state) is read back from `memory.state`, so a bundle copied file by file
 * (`checkpointReadFile` → `checkpointWriteFile`, to this or another sim host) restores like the original.
 */

/** A bundle as the simulated host keeps it: file name → content. */
export interface SimCheckpointBundle {
  files: Map<string, Buffer>;
}

const MEMORY_FILE = 'memory.state';
const MEMORY_LINE = /^sim memory (\S+) \d+MiB state=\S+ guest=(-?[0-9.e+-]+)$/;

/** Pauses a running guest for `delays.checkpointPauseMs` (a paused one stays paused, pausedMs 0), then stores the bundle. */
export async function checkpointWrite(host: SimHost, name: string, dir: string): Promise<CheckpointBundle> {
  host.enter('checkpointWrite');
  const d = host.domain(name);
  host.ensureIdle(d, 'checkpointWrite');
  if (!isDomainActive(d.state)) throw new HypervisorError('invalid-state', `cannot checkpoint '${name}': it is ${d.state}`);
  host.ensureState(d, 'checkpointWrite', ['running', 'paused']);
  const raw = d.spec.disks.find((disk) => disk.format === 'raw');
  if (raw) throw new HypervisorError('unsupported', `checkpoints of '${name}' need qcow2 disks; disk '${raw.name}' is raw`);
  ensureNew(host, dir);
  const bundle: SimCheckpointBundle = { files: bundleFiles(d) };
  const pausedMs = d.state === 'running' ? await pauseFor(host, d) : 0;
  ensureNew(host, dir);
  host.checkpointBundles.set(dir, bundle);
  return { files: measureFiles(bundle), pausedMs };
}

export function checkpointMeasure(host: SimHost, dir: string): CheckpointFile[] {
  host.enter('checkpointMeasure');
  return measureFiles(findBundle(host, dir));
}

/** Measures first and changes nothing on a mismatch; then stops the domain if active and resumes the bundle. */
export async function checkpointRestore(
  host: SimHost, name: string, dir: string, options: { paused: boolean; expected: readonly CheckpointFile[] },
): Promise<void> {
  host.enter('checkpointRestore');
  const d = host.domain(name);
  host.ensureIdle(d, 'checkpointRestore');
  const bundle = findBundle(host, dir);
  const mismatch = firstMismatch(measureFiles(bundle), options.expected);
  if (mismatch) throw new HypervisorError('invalid-argument', `checkpoint '${dir}' does not match what was expected: ${mismatch}`);
  const memory = memoryOf(bundle, dir);
  if (memory.uuid.toLowerCase() !== d.spec.uuid.toLowerCase()) {
    throw new HypervisorError('invalid-argument', `checkpoint '${dir}' is of another domain (uuid ${memory.uuid}), not '${name}'`);
  }
  if (isDomainActive(d.state)) {
    d.busy = undefined;
    host.setState(d, 'shutoff');
    host.emit(d, 'stopped', 'restored');
  }
  host.ensureMemory(d.spec.memoryMiB);
  d.guestState = memory.guestState;
  host.setState(d, options.paused ? 'paused' : 'running');
  d.busy = 'restore';
  await host.hold(d, 'checkpointRestore', host.env.delays.restoreMs);
  host.emit(d, 'started', 'restored');
  if (options.paused) host.emit(d, 'paused', 'restored');
}

export function checkpointRemove(host: SimHost, dir: string): void {
  host.enter('checkpointRemove');
  host.checkpointBundles.delete(dir);
}

/** One file in chunks of at most 64 KiB; checks (host up, file there) run on the first read, as the port says. */
export async function* checkpointReadFile(host: SimHost, dir: string, file: string): AsyncGenerator<Uint8Array> {
  host.enter('checkpointReadFile');
  const content = findBundle(host, dir).files.get(file);
  if (content === undefined) throw new HypervisorError('not-found', `checkpoint '${dir}' has no file '${file}' on sim host '${host.config.name}'`);
  const copy = Buffer.from(content); // a later corruption of the bundle does not change what is being read
  for (let at = 0; at < copy.length; at += READ_CHUNK) yield copy.subarray(at, at + READ_CHUNK);
}

const READ_CHUNK = 64 * 1024;

/**
 * Collects `data`, then adds the file to the bundle at `dir` (creating it when missing). Nothing is stored until the
 * source ended without error; a name taken before or while the data came is 'already-exists'.
 */
export async function checkpointWriteFile(host: SimHost, dir: string, file: string, data: AsyncIterable<Uint8Array>): Promise<CheckpointFile> {
  host.enter('checkpointWriteFile');
  if (dir.length === 0) throw new HypervisorError('invalid-argument', 'checkpointWriteFile needs a directory');
  if (!/^[A-Za-z0-9._-]{1,200}$/.test(file) || file === '.' || file === '..') {
    throw new HypervisorError('invalid-argument', `checkpointWriteFile: '${file}' is not a file name`);
  }
  const taken = () => host.checkpointBundles.get(dir)?.files.has(file) === true;
  const exists = () => new HypervisorError('already-exists', `'${dir}/${file}' already exists on sim host '${host.config.name}'`);
  if (taken()) throw exists();
  const hash = createHash('sha256');
  const chunks: Buffer[] = [];
  for await (const chunk of data) {
    hash.update(chunk);
    chunks.push(Buffer.from(chunk));
  }
  if (host.down) throw host.hostDown('checkpointWriteFile');
  if (taken()) throw exists();
  const content = Buffer.concat(chunks);
  const bundle = host.checkpointBundles.get(dir) ?? { files: new Map<string, Buffer>() };
  bundle.files.set(file, content);
  host.checkpointBundles.set(dir, bundle);
  return { name: file, bytes: content.length, sha256: hash.digest('hex') };
}

/** Test hook: changes one file's content, so its digest (and size) differ from what write reported. */
export function corruptCheckpointFile(host: SimHost, dir: string, file: string): void {
  const bundle = findBundle(host, dir);
  const content = bundle.files.get(file);
  if (content === undefined) throw new HypervisorError('not-found', `checkpoint '${dir}' has no file '${file}'`);
  bundle.files.set(file, Buffer.concat([content, Buffer.from('\ncorrupted')]));
}

/** Test hook: deletes one file of a bundle. */
export function deleteCheckpointFile(host: SimHost, dir: string, file: string): void {
  if (!findBundle(host, dir).files.delete(file)) throw new HypervisorError('not-found', `checkpoint '${dir}' has no file '${file}'`);
}

async function pauseFor(host: SimHost, d: SimDomain): Promise<number> {
  const from = host.env.timer.now();
  host.setState(d, 'paused');
  host.emit(d, 'paused', 'snapshot');
  d.busy = 'checkpoint';
  await host.hold(d, 'checkpointWrite', host.env.delays.checkpointPauseMs);
  host.setState(d, 'running');
  host.emit(d, 'resumed', 'snapshot');
  return Math.max(0, Math.round(host.env.timer.now() - from));
}

function ensureNew(host: SimHost, dir: string): void {
  if (dir.length === 0) throw new HypervisorError('invalid-argument', 'checkpointWrite needs a directory');
  if (host.checkpointBundles.has(dir)) throw new HypervisorError('already-exists', `'${dir}' already exists on sim host '${host.config.name}'`);
}

function findBundle(host: SimHost, dir: string): SimCheckpointBundle {
  const bundle = host.checkpointBundles.get(dir);
  if (!bundle) throw new HypervisorError('not-found', `no checkpoint at '${dir}' on sim host '${host.config.name}'`);
  return bundle;
}

function bundleFiles(d: SimDomain): Map<string, Buffer> {
  const spec: DomainSpec = d.spec;
  const files = new Map<string, Buffer>();
  files.set(MEMORY_FILE, Buffer.from(`sim memory ${spec.uuid} ${spec.memoryMiB}MiB state=${d.state} guest=${d.guestState}`));
  for (const disk of spec.disks) {
    files.set(`disk-${disk.name}.qcow2`, Buffer.from(`sim qcow2 ${spec.uuid} ${disk.name} ${disk.sizeGiB}GiB base=${disk.baseImage?.ref ?? '-'} guest=${d.guestState}`));
  }
  return files;
}

/** The domain uuid and guest state a bundle's memory file holds; 'invalid-argument' when it holds none. */
function memoryOf(bundle: SimCheckpointBundle, dir: string): { uuid: string; guestState: number } {
  const match = MEMORY_LINE.exec(bundle.files.get(MEMORY_FILE)?.toString('utf8') ?? '');
  const guestState = Number(match?.[2]);
  if (!match?.[1] || !Number.isFinite(guestState)) throw new HypervisorError('invalid-argument', `checkpoint '${dir}' has no readable ${MEMORY_FILE}`);
  return { uuid: match[1], guestState };
}

function measureFiles(bundle: SimCheckpointBundle): CheckpointFile[] {
  return [...bundle.files.entries()]
    .map(([name, content]) => ({ name, bytes: content.length, sha256: createHash('sha256').update(content).digest('hex') }))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}
