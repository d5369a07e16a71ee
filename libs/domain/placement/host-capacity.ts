/**
 * Capacity arithmetic shared by the planner and the hosts API: what a host may hold (physical × ratio),
 * what it holds, what is left, and what one VEE of a tier asks for.
 */
import {
  DEFAULT_OVERCOMMIT,
  definedRatios,
  type HostState,
  type OvercommitRatios,
  type Resources,
  type TierDemand,
} from './placement-types';

/** A host's load as the hosts API shows it. */
export interface HostUsage {
  /** Ratios in force for this host (its own, else the fallback, else the defaults). */
  overcommit: OvercommitRatios;
  /** Physical capacity × ratio; disk is never over-committed. */
  allocatable: Resources;
  /** Sum of the host's allocations. */
  used: Resources;
  /** allocatable − used; negative when the host is already over-committed (for example after a ratio cut). */
  free: Resources;
  /** used / allocatable per resource, 0 when nothing is allocatable. */
  utilisation: { cpu: number; memory: number; disk: number };
}

/** Absorbs floating-point noise in `capacity × ratio` (e.g. 3 × 1.1) so an exact fit is not refused. */
export const CAPACITY_EPSILON = 1e-9;

export function hostOvercommit(host: HostState, fallback: Partial<OvercommitRatios> = DEFAULT_OVERCOMMIT): OvercommitRatios {
  return { ...DEFAULT_OVERCOMMIT, ...definedRatios(fallback), ...definedRatios(host.overcommit) };
}

export function allocatableCapacity(host: HostState, fallback?: Partial<OvercommitRatios>): Resources {
  const ratios = hostOvercommit(host, fallback);
  return {
    vcpu: host.capacity.vcpu * ratios.cpu,
    memoryMiB: host.capacity.memoryMiB * ratios.memory,
    diskGiB: host.capacity.diskGiB,
  };
}

export function usedCapacity(host: HostState): Resources {
  const used: Resources = { vcpu: 0, memoryMiB: 0, diskGiB: 0 };
  for (const a of host.allocations) {
    used.vcpu += a.vcpu;
    used.memoryMiB += a.memoryMiB;
    used.diskGiB += a.diskGiB;
  }
  return used;
}

/** allocatable − used, per resource; negative when over-committed. */
export function freeCapacity(host: HostState, fallback?: Partial<OvercommitRatios>): Resources {
  return hostUsage(host, fallback).free;
}

export function hostUsage(host: HostState, fallback?: Partial<OvercommitRatios>): HostUsage {
  const allocatable = allocatableCapacity(host, fallback);
  const used = usedCapacity(host);
  return {
    overcommit: hostOvercommit(host, fallback),
    allocatable,
    used,
    free: {
      vcpu: allocatable.vcpu - used.vcpu,
      memoryMiB: allocatable.memoryMiB - used.memoryMiB,
      diskGiB: allocatable.diskGiB - used.diskGiB,
    },
    utilisation: {
      cpu: share(used.vcpu, allocatable.vcpu),
      memory: share(used.memoryMiB, allocatable.memoryMiB),
      disk: share(used.diskGiB, allocatable.diskGiB),
    },
  };
}

/** What one VEE of the tier needs: its vCPUs and memory, and the sum of its storage as disk. */
export function veeDemand(tier: TierDemand): Resources {
  let diskGiB = 0;
  for (const s of tier.storage) diskGiB += s.sizeGiB;
  return { vcpu: tier.vee.vcpu, memoryMiB: tier.vee.memoryMiB, diskGiB };
}

/** part / whole, or 0 when the whole is 0 (an empty host of zero capacity is not "infinitely" loaded). */
export function share(part: number, whole: number): number {
  return whole > 0 ? part / whole : 0;
}
