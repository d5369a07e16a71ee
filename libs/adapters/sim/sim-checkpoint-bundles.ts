import { createHash } from 'node:crypto';
import {
  HypervisorError, isDomainActive, type CheckpointBundle, type CheckpointFile, type DomainSpec, type DomainState,
} from '@reservoir/domain/ports/hypervisor.port';
import { type SimDomain } from './sim-domain';
import { type SimHost } from './sim-host';

/**
 * Checkpoint bundles of simulated domains. A bundle stands for a host directory: it lives in the host's memory keyed
 * by `dir` and holds synthetic file contents (`memory.state`, one `disk-<name>.qcow2` per disk) derived from the
 * domain and its `guestState`, so sizes and sha256 digests are real and change when a test corrupts a file.
 */

/** A bundle as the simulated host keeps it. */
export interface SimCheckpointBundle {
  uuid: string;
  state: DomainState;
  guestState: number;
  /** File name → content. */
  files: Map<string, string>;
}

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
  const bundle: SimCheckpointBundle = { uuid: d.spec.uuid, state: d.state, guestState: d.guestState, files: bundleFiles(d) };
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
  if (bundle.uuid.toLowerCase() !== d.spec.uuid.toLowerCase()) {
    throw new HypervisorError('invalid-argument', `checkpoint '${dir}' is of another domain (uuid ${bundle.uuid}), not '${name}'`);
  }
  if (isDomainActive(d.state)) {
    d.busy = undefined;
    host.setState(d, 'shutoff');
    host.emit(d, 'stopped', 'restored');
  }
  host.ensureMemory(d.spec.memoryMiB);
  d.guestState = bundle.guestState;
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

/** Test hook: changes one file's content, so its digest (and size) differ from what write reported. */
export function corruptCheckpointFile(host: SimHost, dir: string, file: string): void {
  const bundle = findBundle(host, dir);
  const content = bundle.files.get(file);
  if (content === undefined) throw new HypervisorError('not-found', `checkpoint '${dir}' has no file '${file}'`);
  bundle.files.set(file, `${content}\ncorrupted`);
}

/** Test hook: deletes one file of a bundle. */
export function deleteCheckpointFile(host: SimHost, dir: string, file: string): void {
  if (!findBundle(host, dir).files.delete(file)) throw new HypervisorError('not-found', `checkpoint '${dir}' has no file '${file}'`);
}

/**
 * The first way `actual` differs from `expected` (a file missing, extra, or with another size or digest), naming the
 * file; undefined when they are the same.
 */
export function firstMismatch(actual: readonly CheckpointFile[], expected: readonly CheckpointFile[]): string | undefined {
  const want = new Map(expected.map((f) => [f.name, f]));
  for (const file of actual) {
    const w = want.get(file.name);
    if (!w) return `file '${file.name}' is not expected`;
    if (w.bytes !== file.bytes) return `file '${file.name}' has ${file.bytes} bytes, not ${w.bytes}`;
    if (w.sha256.toLowerCase() !== file.sha256) return `file '${file.name}' has sha256 ${file.sha256}, not ${w.sha256}`;
    want.delete(file.name);
  }
  const missing = [...want.keys()][0];
  return missing === undefined ? undefined : `file '${missing}' is missing`;
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

function bundleFiles(d: SimDomain): Map<string, string> {
  const spec: DomainSpec = d.spec;
  const files = new Map<string, string>();
  files.set('memory.state', `sim memory ${spec.uuid} ${spec.memoryMiB}MiB state=${d.state} guest=${d.guestState}`);
  for (const disk of spec.disks) {
    files.set(`disk-${disk.name}.qcow2`, `sim qcow2 ${spec.uuid} ${disk.name} ${disk.sizeGiB}GiB base=${disk.baseImage?.ref ?? '-'} guest=${d.guestState}`);
  }
  return files;
}

function measureFiles(bundle: SimCheckpointBundle): CheckpointFile[] {
  return [...bundle.files.entries()]
    .map(([name, content]) => ({ name, bytes: Buffer.byteLength(content), sha256: createHash('sha256').update(content).digest('hex') }))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}
