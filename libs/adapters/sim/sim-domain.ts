import { HypervisorError, SEGMENT_NAME, type DomainSpec, type DomainState } from '@reservoir/domain/ports/hypervisor.port';
import { type SimImageCatalogue } from './sim-image-catalogue';

/** An operation that has changed a domain's state and is waiting out its simulated duration. */
export type SimBusy = 'start' | 'shutdown' | 'save' | 'restore' | 'checkpoint' | 'migrate-out' | 'migrate-in';

/** What a snapshot or a save image keeps: enough to put the domain back as it was. */
export interface SimSnapshot {
  name: string;
  state: DomainState;
  guestState: number;
}

/** A simulated domain. `guestState` stands for the guest's memory and disks: a counter tests can move. */
export interface SimDomain {
  spec: DomainSpec;
  state: DomainState;
  busy?: SimBusy;
  /** Bumped on every state change, so an operation that waited can tell it was overtaken (crash, destroy). */
  epoch: number;
  guestState: number;
  /** CPU time accrued in earlier running spells since the last start. */
  cpuNs: number;
  runningSince?: number;
  /** In creation order. */
  snapshots: Map<string, SimSnapshot>;
}

export function newSimDomain(spec: DomainSpec): SimDomain {
  return { spec: structuredClone(spec), state: 'shutoff', epoch: 0, guestState: 0, cpuNs: 0, snapshots: new Map() };
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Checks a spec the way a hypervisor would, reporting every problem in one 'invalid-argument' error; then resolves
 * base images: an unknown ref is 'not-found', a digest that differs from the catalogue's 'invalid-argument'.
 */
export function checkSpec(spec: DomainSpec, catalogue: SimImageCatalogue): void {
  const problems = specProblems(spec);
  if (problems.length) throw new HypervisorError('invalid-argument', `bad domain spec '${spec.name}': ${problems.join('; ')}`);
  for (const disk of spec.disks) {
    if (!disk.baseImage) continue;
    const image = catalogue.get(disk.baseImage.ref);
    if (!image) throw new HypervisorError('not-found', `disk '${disk.name}': no image '${disk.baseImage.ref}' in the catalogue`);
    if (disk.baseImage.sha256 !== undefined && disk.baseImage.sha256.toLowerCase() !== image.sha256) {
      throw new HypervisorError('invalid-argument', `disk '${disk.name}': image '${image.ref}' has sha256 ${image.sha256}, not ${disk.baseImage.sha256}`);
    }
  }
}

function specProblems(spec: DomainSpec): string[] {
  const problems: string[] = [];
  const check = (ok: boolean, problem: string) => ok || problems.push(problem);
  check(NAME.test(spec.name), `name '${spec.name}' must be 1 to 200 letters, digits, '.', '_' or '-', starting with a letter or digit`);
  check(UUID.test(spec.uuid), `uuid '${spec.uuid}' is not an RFC 4122 UUID`);
  check(isCount(spec.vcpu, 4096), `vcpu must be an integer from 1 to 4096, got ${spec.vcpu}`);
  check(isCount(spec.memoryMiB, 1 << 30), `memoryMiB must be a positive integer, got ${spec.memoryMiB}`);
  spec.disks.forEach((disk, i) => {
    check(NAME.test(disk.name), `disks[${i}]: name '${disk.name}' is not valid`);
    check(isCount(disk.sizeGiB, 1 << 24), `disks[${i}]: sizeGiB must be a positive integer, got ${disk.sizeGiB}`);
    check(disk.format === 'qcow2' || disk.format === 'raw', `disks[${i}]: format must be qcow2 or raw`);
  });
  spec.networks.forEach((net, i) => {
    check(NAME.test(net.name), `networks[${i}]: name '${net.name}' is not valid`);
    check(SEGMENT_NAME.test(net.segment), `networks[${i}]: segment '${net.segment}' must be 1 to 64 letters, digits, '.', '_' or '-'`);
    check(net.bandwidthMbps === undefined || isCount(net.bandwidthMbps, 1e6), `networks[${i}]: bandwidthMbps must be a positive integer`);
  });
  check(unique(spec.disks.map((d) => d.name)), 'disk names must be unique');
  check(unique(spec.networks.map((n) => n.name)), 'network names must be unique');
  if (spec.boot.kind === 'kernel') check(spec.boot.kernelPath.length > 0, 'boot: kernelPath must not be empty');
  else check(spec.disks.length > 0, 'boot: booting from disk needs a disk');
  return problems;
}

function isCount(n: number, max: number): boolean {
  return Number.isInteger(n) && n >= 1 && n <= max;
}

function unique(names: string[]): boolean {
  return new Set(names).size === names.length;
}
