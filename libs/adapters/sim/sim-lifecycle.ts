import {
  HypervisorError, isDomainActive,
  type DomainInfo, type DomainSpec, type DomainSummary, type HostCapacity, type HostFeatures,
} from '@reservoir/domain/ports/hypervisor.port';
import { checkSpec, newSimDomain, type SimDomain } from './sim-domain';
import { type SimHost } from './sim-host';

/** Inspection and lifecycle of simulated domains; each function is one port operation on one host. */

export function capacity(host: SimHost): HostCapacity {
  host.enter('capacity');
  const { vcpu, memoryMiB, diskGiB } = host.config;
  return { vcpu, memoryMiB, diskGiB };
}

/** Simulated hosts enforce every bandwidth they are given. */
export function features(host: SimHost): HostFeatures {
  host.enter('features');
  return { bandwidthQoS: { enforced: true } };
}

/** A segment exists while a domain defined on the host joins it, as the libvirt adapter's do. */
export function segments(host: SimHost): string[] {
  host.enter('segments');
  return [...new Set(host.all().flatMap((d) => d.spec.networks.map((n) => n.segment)))].sort();
}

export function info(host: SimHost, name: string): DomainInfo {
  host.enter('info');
  const d = host.domain(name);
  return { ...summary(d), vcpu: d.spec.vcpu, memoryMiB: d.spec.memoryMiB, cpuTimeNs: host.cpuTimeNs(d) };
}

export function list(host: SimHost): DomainSummary[] {
  host.enter('list');
  return host.all().map(summary);
}

export function define(host: SimHost, spec: DomainSpec): void {
  host.enter('define');
  checkSpec(spec, host.env.catalogue);
  host.ensureFree(spec);
  host.ensureDisk(spec);
  const d = newSimDomain(spec);
  host.add(d);
  host.emit(d, 'defined', 'api');
}

/** Boots for `delays.bootMs`; a guest given less memory than its image needs then panics ('crashed'). */
export async function start(host: SimHost, name: string): Promise<void> {
  host.enter('start');
  const d = host.domain(name);
  host.ensureIdle(d, 'start');
  host.ensureState(d, 'start', ['shutoff', 'crashed']);
  host.ensureMemory(d.spec.memoryMiB);
  host.setState(d, 'running');
  d.busy = 'start';
  await host.hold(d, 'start', host.env.delays.bootMs);
  host.emit(d, 'started', 'booted');
  const starved = imageNeeds(host, d) > d.spec.memoryMiB;
  if (starved) {
    host.setState(d, 'crashed');
    host.emit(d, 'crashed', 'guest-panic');
  }
}

/** Returns once asked; the guest is off after `delays.shutdownMs` (at once when zero). */
export function shutdown(host: SimHost, name: string): void {
  host.enter('shutdown');
  const d = host.domain(name);
  host.ensureIdle(d, 'shutdown');
  host.ensureState(d, 'shutdown', ['running']);
  host.setState(d, 'shutting-down');
  d.busy = 'shutdown';
  const done = host.hold(d, 'shutdown', host.env.delays.shutdownMs).then(
    () => {
      host.setState(d, 'shutoff');
      host.emit(d, 'stopped', 'shutdown');
    },
    () => undefined, // destroyed, crashed or host lost meanwhile: that change already tells the story
  );
  void done;
}

/** Hard stop; overtakes any operation under way on the domain. */
export function destroy(host: SimHost, name: string): void {
  host.enter('destroy');
  const d = host.domain(name);
  if (!isDomainActive(d.state)) throw new HypervisorError('invalid-state', `cannot destroy '${name}': it is ${d.state}`);
  d.busy = undefined;
  host.setState(d, 'shutoff');
  host.emit(d, 'stopped', 'destroyed');
}

export function undefine(host: SimHost, name: string): void {
  host.enter('undefine');
  const d = host.domain(name);
  host.ensureIdle(d, 'undefine');
  host.ensureState(d, 'undefine', ['shutoff', 'crashed']);
  host.remove(d);
  host.emit(d, 'undefined', 'api');
}

export function pause(host: SimHost, name: string): void {
  host.enter('pause');
  const d = host.domain(name);
  host.ensureIdle(d, 'pause');
  host.ensureState(d, 'pause', ['running']);
  host.setState(d, 'paused');
  host.emit(d, 'paused', 'api');
}

export function resume(host: SimHost, name: string): void {
  host.enter('resume');
  const d = host.domain(name);
  host.ensureIdle(d, 'resume');
  host.ensureState(d, 'resume', ['paused']);
  host.setState(d, 'running');
  host.emit(d, 'resumed', 'api');
}

/** The most memory any of the domain's base images needs to boot. */
export function imageNeeds(host: SimHost, d: SimDomain): number {
  return Math.max(0, ...d.spec.disks.map((disk) => (disk.baseImage ? host.env.catalogue.get(disk.baseImage.ref)?.minMemoryMiB ?? 0 : 0)));
}

function summary(d: SimDomain): DomainSummary {
  return { name: d.spec.name, uuid: d.spec.uuid, state: d.state };
}

