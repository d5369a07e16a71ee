/**
 * Host filters: each says why a host cannot take one more VEE of the tier, or `undefined` when it can.
 * Reasons are phrased for the operator and carry no host prefix; the planner adds `host <id>: `.
 *
 * Each filter is a boolean predicate plus the text for a refusal. The planner decides with the predicates
 * only (no strings in its loops) and builds the text for a VEE that found no host; every text function asks
 * its predicate first, so the reason and the decision cannot drift apart. Static filters depend only on the
 * host and the VEE's shape, so the planner runs them once per distinct shape; dynamic filters depend on what
 * has been placed so far and run per VEE.
 */
import { CAPACITY_EPSILON } from './host-capacity';
import { type Resources } from './placement-types';
import { type HostSlot } from './site-state';
import { type TierContext } from './tier-context';

/** A reason the host refuses the tier's next VEE, or `undefined` when it accepts it. */
export type HostFilter = (slot: HostSlot, ctx: TierContext) => string | undefined;

/** Only hosts reported `up` take new VEEs. */
export function isUp(s: HostSlot): boolean {
  return s.host.health === 'up';
}

export const healthFilter: HostFilter = (s) => (isUp(s) ? undefined : s.host.health === 'down' ? 'down' : `health ${s.host.health}`);

/** Every required label is present with exactly the required value. */
export function hasLabels(s: HostSlot, required: Readonly<Record<string, string>> | undefined): boolean {
  if (required === undefined) return true;
  const labels = s.host.labels;
  for (const k of Object.keys(required)) if (!Object.hasOwn(labels, k) || labels[k] !== required[k]) return false;
  return true;
}

export const labelFilter: HostFilter = (s, { tier }) => {
  const required = tier.requiredLabels;
  if (required === undefined || hasLabels(s, required)) return undefined;
  const missing = Object.keys(required)
    .sort()
    .filter((k) => !Object.hasOwn(s.host.labels, k) || s.host.labels[k] !== required[k])
    .map((k) => `${k}=${required[k]}`);
  return missing.length === 1 ? `label ${missing[0]} missing` : `labels ${missing.join(', ')} missing`;
};

/** One VEE never gets more vCPUs, memory or disk than the host physically has, whatever the overcommit. */
export function fitsPhysically(s: HostSlot, vee: Resources): boolean {
  const cap = s.host.capacity;
  return vee.vcpu <= cap.vcpu && vee.memoryMiB <= cap.memoryMiB && vee.diskGiB <= cap.diskGiB;
}

export const physicalSizeFilter: HostFilter = (s, { vee }) => {
  if (fitsPhysically(s, vee)) return undefined;
  const cap = s.host.capacity;
  const over: string[] = [];
  if (vee.vcpu > cap.vcpu) over.push(`VEE needs ${num(vee.vcpu)} vCPU, host has ${num(cap.vcpu)} physically`);
  if (vee.memoryMiB > cap.memoryMiB) over.push(`VEE needs ${num(vee.memoryMiB)} MiB memory, host has ${num(cap.memoryMiB)} MiB physically`);
  if (vee.diskGiB > cap.diskGiB) over.push(`VEE needs ${num(vee.diskGiB)} GiB disk, host has ${num(cap.diskGiB)} GiB`);
  return over.join('; ');
};

/** The static filters as one predicate: what the planner runs to find a tier's candidate hosts. */
export function passesStaticFilters(s: HostSlot, ctx: TierContext): boolean {
  return isUp(s) && hasLabels(s, ctx.tier.requiredLabels) && fitsPhysically(s, ctx.vee);
}

/** True when the VEE fits in what is left of the host's allocatable capacity (physical × ratio). */
export function fitsCapacity(s: HostSlot, vee: Resources): boolean {
  return (
    s.usedVcpu + vee.vcpu <= s.allocVcpu + CAPACITY_EPSILON &&
    s.usedMemoryMiB + vee.memoryMiB <= s.allocMemoryMiB + CAPACITY_EPSILON &&
    s.usedDiskGiB + vee.diskGiB <= s.allocDiskGiB + CAPACITY_EPSILON
  );
}

/** Allocatable capacity, including existing allocations and VEEs placed earlier in this plan. */
export const capacityFilter: HostFilter = (s, { vee }) => {
  if (fitsCapacity(s, vee)) return undefined;
  const short: string[] = [];
  const check = (used: number, alloc: number, need: number, unit: string): void => {
    if (used + need > alloc + CAPACITY_EPSILON) short.push(`${num(Math.max(0, alloc - used))} of ${num(need)} ${unit} free`);
  };
  check(s.usedVcpu, s.allocVcpu, vee.vcpu, 'vCPU');
  check(s.usedMemoryMiB, s.allocMemoryMiB, vee.memoryMiB, 'MiB memory');
  check(s.usedDiskGiB, s.allocDiskGiB, vee.diskGiB, 'GiB disk');
  return short.join(', ');
};

/** False when hard anti-affinity is in force and the failure domain (a host's) already holds an instance. */
export function spreadAllows(domain: number, ctx: TierContext): boolean {
  return ctx.spread !== 'hard' || ctx.domainCounts[domain] === 0;
}

/** Hard anti-affinity: one instance of the tier per failure domain. */
export const antiAffinityFilter: HostFilter = (s, ctx) => {
  if (spreadAllows(s.domain, ctx)) return undefined;
  const domain = ctx.site.domains[s.domain];
  const holders = ctx.site.instancesOf(ctx.tier.service, ctx.tier.name).filter((i) => ctx.site.slots[i].domain === s.domain);
  if (holders.includes(s.slot)) return `already runs an instance of tier ${ctx.tier.name} in failure domain ${domain}`;
  const first = ctx.site.slots[Math.min(...holders)];
  return `failure domain ${domain} already runs an instance of tier ${ctx.tier.name} (on host ${first.id})`;
};

/** Run once per tier, in this order; the first reason is the one reported. */
export const STATIC_FILTERS: readonly HostFilter[] = [healthFilter, labelFilter, physicalSizeFilter];
/** Run per VEE, after the static filters. */
export const DYNAMIC_FILTERS: readonly HostFilter[] = [capacityFilter, antiAffinityFilter];

/** The first reason any of the filters gives, or `undefined` when the host passes them all. */
export function firstRejection(filters: readonly HostFilter[], s: HostSlot, ctx: TierContext): string | undefined {
  for (const filter of filters) {
    const reason = filter(s, ctx);
    if (reason !== undefined) return reason;
  }
  return undefined;
}

/**
 * A quantity for a reason: at most two decimals, rounded down so that a refused fit never reads as enough
 * ("1.99 of 2 vCPU free", not "2 of 2").
 */
function num(x: number): string {
  return String(Math.floor(x * 100 + 1e-6) / 100);
}
