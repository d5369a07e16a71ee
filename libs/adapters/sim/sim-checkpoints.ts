import { HypervisorError, isDomainActive, type SnapshotInfo } from '@reservoir/domain/ports/hypervisor.port';
import { newSimDomain, type SimDomain, type SimSnapshot } from './sim-domain';
import { type SimHost } from './sim-host';

/**
 * Snapshots and save images of simulated domains. Both keep the domain's state and `guestState`, so a test can
 * move the guest on and see a revert or a restore roll it back. Save images live in the host's memory keyed by
 * path; nothing touches the disk.
 */

const SNAPSHOT_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$/;

/** Like libvirt internal snapshots, these need qcow2 disks ('unsupported' with a raw one). */
export function snapshotCreate(host: SimHost, name: string, snapshot: string): void {
  host.enter('snapshotCreate');
  const d = host.domain(name);
  host.ensureIdle(d, 'snapshotCreate');
  if (!SNAPSHOT_NAME.test(snapshot)) throw new HypervisorError('invalid-argument', `snapshot name '${snapshot}' is not valid`);
  if (d.snapshots.has(snapshot)) throw new HypervisorError('already-exists', `domain '${name}' already has a snapshot '${snapshot}'`);
  const raw = d.spec.disks.find((disk) => disk.format === 'raw');
  if (raw) throw new HypervisorError('unsupported', `snapshots of '${name}' need qcow2 disks; disk '${raw.name}' is raw`);
  const state = isDomainActive(d.state) ? d.state : 'shutoff';
  d.snapshots.set(snapshot, { name: snapshot, state, guestState: d.guestState });
}

/** Puts back the snapshot's guest state and domain state, with the events a real transition would send. */
export async function snapshotRevert(host: SimHost, name: string, snapshot: string): Promise<void> {
  host.enter('snapshotRevert');
  const d = host.domain(name);
  host.ensureIdle(d, 'snapshotRevert');
  const snap = findSnapshot(d, snapshot);
  const from = d.state;
  if (isDomainActive(snap.state) && !isDomainActive(from)) host.ensureMemory(d.spec.memoryMiB);
  d.guestState = snap.guestState;
  host.setState(d, snap.state);
  if (!isDomainActive(from) && isDomainActive(snap.state)) {
    d.busy = 'start';
    await host.hold(d, 'snapshotRevert', host.env.delays.bootMs);
    host.emit(d, 'started', 'snapshot');
    if (snap.state === 'paused') host.emit(d, 'paused', 'snapshot');
  } else if (isDomainActive(from) && !isDomainActive(snap.state)) {
    host.emit(d, 'stopped', 'snapshot');
  } else if (from !== snap.state) {
    host.emit(d, snap.state === 'paused' ? 'paused' : 'resumed', 'snapshot');
  }
}

export function snapshotDelete(host: SimHost, name: string, snapshot: string): void {
  host.enter('snapshotDelete');
  const d = host.domain(name);
  host.ensureIdle(d, 'snapshotDelete');
  findSnapshot(d, snapshot);
  d.snapshots.delete(snapshot);
}

export function snapshotList(host: SimHost, name: string): SnapshotInfo[] {
  host.enter('snapshotList');
  return [...host.domain(name).snapshots.values()].map(({ name: snapshot, state }) => ({ name: snapshot, state }));
}

/** Takes `delays.saveMs`; the domain ends shutoff and the image replaces any earlier one at `path`. */
export async function save(host: SimHost, name: string, path: string): Promise<void> {
  host.enter('save');
  const d = host.domain(name);
  host.ensureIdle(d, 'save');
  host.ensureState(d, 'save', ['running', 'paused']);
  if (path.length === 0) throw new HypervisorError('invalid-argument', 'save needs a path');
  d.busy = 'save';
  await host.hold(d, 'save', host.env.delays.saveMs);
  host.saveImages.set(path, { name: path, spec: structuredClone(d.spec), state: d.state, guestState: d.guestState });
  host.setState(d, 'shutoff');
  host.emit(d, 'stopped', 'saved');
}

/** Runs the saved domain again with the saved configuration, defining it first when the host does not know it. */
export async function restore(host: SimHost, path: string): Promise<string> {
  host.enter('restore');
  const image = host.saveImages.get(path);
  if (!image) throw new HypervisorError('not-found', `no save image at '${path}' on sim host '${host.config.name}'`);
  const existing = host.find(image.spec.name);
  if (existing) {
    host.ensureIdle(existing, 'restore');
    if (isDomainActive(existing.state)) throw new HypervisorError('invalid-state', `cannot restore '${existing.spec.name}': it is ${existing.state}`);
    if (existing.spec.uuid.toLowerCase() !== image.spec.uuid.toLowerCase()) {
      throw new HypervisorError('already-exists', `domain '${existing.spec.name}' exists with another uuid than the save image's`);
    }
  } else {
    host.ensureFree(image.spec);
    host.ensureDisk(image.spec);
  }
  host.ensureMemory(image.spec.memoryMiB);
  const d = existing ?? defineFrom(host, image.spec);
  d.spec = structuredClone(image.spec);
  d.guestState = image.guestState;
  host.setState(d, image.state);
  d.busy = 'restore';
  await host.hold(d, 'restore', host.env.delays.restoreMs);
  host.emit(d, 'started', 'restored');
  if (image.state === 'paused') host.emit(d, 'paused', 'restored');
  return d.spec.name;
}

function defineFrom(host: SimHost, spec: SimDomain['spec']): SimDomain {
  const d = newSimDomain(spec);
  host.add(d);
  host.emit(d, 'defined', 'restored');
  return d;
}

function findSnapshot(d: SimDomain, snapshot: string): SimSnapshot {
  const snap = d.snapshots.get(snapshot);
  if (!snap) throw new HypervisorError('not-found', `domain '${d.spec.name}' has no snapshot '${snapshot}'`);
  return snap;
}
