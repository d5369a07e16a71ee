/**
 * The planner's working copy of a site: hosts in id order with their limits and running totals, failure
 * domains interned to small integers, and where each tier's instances are. Built once per `planPlacement`
 * call and updated in place as VEEs are placed, so no total is ever summed twice.
 * Internal to the planner; the inputs are never mutated.
 */
import { allocatableCapacity } from './host-capacity';
import { type HostState, type OvercommitRatios, type Resources } from './placement-types';

/** One host during a planning run. Flat numeric fields keep the hot loop free of allocation. */
export interface HostSlot {
  readonly host: HostState;
  readonly id: string;
  /** Position in id order. */
  readonly slot: number;
  /** Interned failure domain (index into `SiteState.domains`). */
  readonly domain: number;
  readonly allocVcpu: number;
  readonly allocMemoryMiB: number;
  readonly allocDiskGiB: number;
  usedVcpu: number;
  usedMemoryMiB: number;
  usedDiskGiB: number;
}

/** Plain code-unit order: the same on every machine and locale. */
export function compareIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export class SiteState {
  /** Hosts sorted by id: the order of every scan, so ties and reasons never depend on input order. */
  readonly slots: HostSlot[];
  /** Failure domain names, indexed by `HostSlot.domain`. */
  readonly domains: string[] = [];
  /** service → tier → slots holding an instance. Nested, so no key string is built per allocation. */
  private readonly instanceSlots = new Map<string, Map<string, number[]>>();

  constructor(hosts: readonly HostState[], fallback: OvercommitRatios) {
    const domainIds = new Map<string, number>();
    const sorted = [...hosts].sort((a, b) => compareIds(a.id, b.id));
    this.slots = sorted.map((host, slot) => {
      let domain = domainIds.get(host.failureDomain);
      if (domain === undefined) {
        domain = this.domains.length;
        domainIds.set(host.failureDomain, domain);
        this.domains.push(host.failureDomain);
      }
      return newSlot(host, slot, domain, allocatableCapacity(host, fallback));
    });
    for (const s of this.slots) {
      for (const a of s.host.allocations) {
        s.usedVcpu += a.vcpu;
        s.usedMemoryMiB += a.memoryMiB;
        s.usedDiskGiB += a.diskGiB;
        if (a.service !== undefined && a.tier !== undefined) this.recordInstance(a.service, a.tier, s.slot);
      }
    }
  }

  /** Slots holding an instance of the tier, existing or planned, once per instance. */
  instancesOf(service: string, tier: string): readonly number[] {
    return this.instanceSlots.get(service)?.get(tier) ?? [];
  }

  /** Books one VEE of the tier on the host. */
  place(slot: HostSlot, service: string, tier: string, vee: Resources): void {
    slot.usedVcpu += vee.vcpu;
    slot.usedMemoryMiB += vee.memoryMiB;
    slot.usedDiskGiB += vee.diskGiB;
    this.recordInstance(service, tier, slot.slot);
  }

  private recordInstance(service: string, tier: string, slot: number): void {
    let tiers = this.instanceSlots.get(service);
    if (tiers === undefined) {
      tiers = new Map();
      this.instanceSlots.set(service, tiers);
    }
    const list = tiers.get(tier);
    if (list === undefined) tiers.set(tier, [slot]);
    else list.push(slot);
  }
}

function newSlot(host: HostState, slot: number, domain: number, alloc: Resources): HostSlot {
  return {
    host,
    id: host.id,
    slot,
    domain,
    allocVcpu: alloc.vcpu,
    allocMemoryMiB: alloc.memoryMiB,
    allocDiskGiB: alloc.diskGiB,
    usedVcpu: 0,
    usedMemoryMiB: 0,
    usedDiskGiB: 0,
  };
}
