/**
 * Weighers rank the hosts that passed every filter. Higher weight wins; the planner breaks ties by host id.
 * Load is the larger of CPU and memory utilisation of the allocatable capacity *after* placing the VEE, so a
 * big VEE is weighed by what it does to the host, and disk (rarely the bottleneck) does not steer placement.
 */
import { share } from './host-capacity';
import { type PlacementStrategy, type Resources } from './placement-types';
import { type HostSlot } from './site-state';

/** Weight of placing the VEE on the host; higher is better. Must be pure and cheap: it runs per VEE per host. */
export type Weigher = (slot: HostSlot, vee: Resources) => number;

/** max(cpu, memory) utilisation of the host's allocatable capacity once the VEE is on it. */
export function loadAfter(s: HostSlot, vee: Resources): number {
  const cpu = share(s.usedVcpu + vee.vcpu, s.allocVcpu);
  const memory = share(s.usedMemoryMiB + vee.memoryMiB, s.allocMemoryMiB);
  return cpu > memory ? cpu : memory;
}

/** Spread: the least loaded host wins, which evens load and limits the blast radius of one host. */
export const spreadWeigher: Weigher = (s, vee) => -loadAfter(s, vee);

/** Pack: the most loaded host that still fits wins, which keeps whole hosts free for big VEEs or power-off. */
export const packWeigher: Weigher = (s, vee) => loadAfter(s, vee);

export const WEIGHERS: Readonly<Record<PlacementStrategy, Weigher>> = { spread: spreadWeigher, pack: packWeigher };
