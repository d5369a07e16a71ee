/**
 * A provider site's capacity as negotiation sees it: its hosts (with what runs there) minus the capacity its
 * live reservations hold. Each reservation is placed VEE by VEE on hosts with the placement planner, so a
 * site never offers a demand its hosts could not actually take, and never offers the same capacity twice.
 *
 * Pure and synchronous: the application rebuilds the ledger from its store, serialises `reserve` calls behind
 * one mutex per site, and persists the returned ledger's reservations before answering the CFP.
 */
import {
  type HostAllocation,
  type HostState,
  hostUsage,
  type PlacementPolicy,
  planPlacement,
  type Resources,
  type TierDemand as PlacementTier,
} from '../../placement';
import { type TierDemand } from '../protocol/envelope';

/** One VEE of a reservation, held on one host. */
export interface ReservedVee extends Resources {
  hostId: string;
  tier: string;
  index: number;
}

/** Capacity held for a contract (id = the contract id) until it is released or `expiresAt` passes. */
export interface Reservation {
  id: string;
  demand: TierDemand[];
  holds: ReservedVee[];
  createdAt: Date;
  expiresAt: Date;
}

/**
 * `hosts` carry their real allocations (VEEs). When a contract's replica is deployed, its VEE records hold the
 * capacity themselves: release the reservation then, or it is counted twice.
 */
export interface CapacityLedger {
  hosts: readonly HostState[];
  reservations: readonly Reservation[];
  /** Overcommit ratios and strategy for placing reservations; the site's placement policy. */
  policy?: PlacementPolicy;
}

export type ReserveResult =
  | { ok: true; ledger: CapacityLedger; reservation: Reservation }
  | { ok: false; reason: string; details: string[] };

/** Reservations still in force at `now` (expiresAt after now); the others hold nothing even before `expire`. */
export function liveReservations(ledger: CapacityLedger, now: Date): Reservation[] {
  return ledger.reservations.filter((r) => r.expiresAt.getTime() > now.getTime());
}

/** The hosts with every live reservation's VEEs added as allocations (no service/tier: anti-affinity ignores them). */
export function hostsWithReservations(ledger: CapacityLedger, now: Date): HostState[] {
  const held = new Map<string, HostAllocation[]>();
  for (const r of liveReservations(ledger, now)) {
    for (const v of r.holds) {
      const list = held.get(v.hostId) ?? [];
      list.push({ vcpu: v.vcpu, memoryMiB: v.memoryMiB, diskGiB: v.diskGiB });
      held.set(v.hostId, list);
    }
  }
  return ledger.hosts.map((h) => {
    const extra = held.get(h.id);
    return extra === undefined ? h : { ...h, allocations: [...h.allocations, ...extra] };
  });
}

/**
 * Holds `demand` until `validUntil` if every VEE of every tier fits on an up host next to the hosts' VEEs and
 * the live reservations; otherwise nothing changes and the refusal says why (one line per host for the first
 * tier that did not fit, from the planner).
 */
export function reserve(ledger: CapacityLedger, id: string, demand: readonly TierDemand[], now: Date, validUntil: Date): ReserveResult {
  if (ledger.reservations.some((r) => r.id === id)) return refuse(`reservation ${id} already exists`);
  if (validUntil.getTime() <= now.getTime()) return refuse(`reservation ${id} would lapse at once (valid until ${validUntil.toISOString()})`);
  const invalid = invalidDemand(demand);
  if (invalid.length > 0) return refuse('invalid demand', invalid);
  const service = `reservation:${id}`;
  const tiers: PlacementTier[] = demand.map((t) => ({
    service,
    name: t.tier,
    vee: { vcpu: t.vcpu, memoryMiB: t.memoryMiB, instances: t.instances },
    storage: [{ sizeGiB: t.diskGiB }],
    qos: { availability: 0 },
  }));
  const plan = planPlacement({ hosts: hostsWithReservations(ledger, now), tiers, ...(ledger.policy ? { policy: ledger.policy } : {}) });
  if (!plan.complete) {
    const details = plan.unplaced.flatMap((u) => [`tier ${u.tier}: ${u.placed} of ${u.needed} instances fit`, ...u.reasons]);
    return refuse('not enough free capacity', details);
  }
  const size = new Map(demand.map((t) => [t.tier, t]));
  const holds: ReservedVee[] = plan.assignments.map((a) => {
    const t = size.get(a.tier) as TierDemand;
    return { hostId: a.hostId, tier: a.tier, index: a.index, vcpu: t.vcpu, memoryMiB: t.memoryMiB, diskGiB: t.diskGiB };
  });
  const reservation: Reservation = { id, demand: demand.map((t) => ({ ...t })), holds, createdAt: now, expiresAt: validUntil };
  return { ok: true, ledger: { ...ledger, reservations: [...ledger.reservations, reservation] }, reservation };
}

/** Drops the reservation; releasing an unknown id changes nothing (idempotent). */
export function release(ledger: CapacityLedger, id: string): CapacityLedger {
  return ledger.reservations.some((r) => r.id === id) ? { ...ledger, reservations: ledger.reservations.filter((r) => r.id !== id) } : ledger;
}

/** Drops every reservation whose `expiresAt` is at or before `now` and says which. */
export function expire(ledger: CapacityLedger, now: Date): { ledger: CapacityLedger; expired: Reservation[] } {
  const live = liveReservations(ledger, now);
  if (live.length === ledger.reservations.length) return { ledger, expired: [] };
  const expired = ledger.reservations.filter((r) => !live.includes(r));
  return { ledger: { ...ledger, reservations: live }, expired };
}

/**
 * Keeps a reservation until `until` (an award sets the contract term, a renewal extends it). The holds stay
 * where they are. Returns undefined when there is no such reservation.
 */
export function extendReservation(ledger: CapacityLedger, id: string, until: Date): CapacityLedger | undefined {
  if (!ledger.reservations.some((r) => r.id === id)) return undefined;
  return { ...ledger, reservations: ledger.reservations.map((r) => (r.id === id ? { ...r, expiresAt: until } : r)) };
}

/** Free capacity of the up hosts after VEEs and live reservations (heartbeat `free`); over-committed hosts count 0. */
export function ledgerFree(ledger: CapacityLedger, now: Date): Resources {
  const total: Resources = { vcpu: 0, memoryMiB: 0, diskGiB: 0 };
  for (const h of hostsWithReservations(ledger, now)) {
    if (h.health !== 'up') continue;
    const { free } = hostUsage(h, ledger.policy?.overcommit);
    total.vcpu += Math.max(0, free.vcpu);
    total.memoryMiB += Math.max(0, free.memoryMiB);
    total.diskGiB += Math.max(0, free.diskGiB);
  }
  return total;
}

function refuse(reason: string, details: string[] = []): ReserveResult {
  return { ok: false, reason, details };
}

function invalidDemand(demand: readonly TierDemand[]): string[] {
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const t of demand) {
    if (seen.has(t.tier)) problems.push(`tier ${t.tier} asked twice`);
    seen.add(t.tier);
    if (!(Number.isInteger(t.instances) && t.instances >= 0)) problems.push(`tier ${t.tier}: instances must be a whole number ≥ 0`);
    for (const [k, v] of [['vcpu', t.vcpu], ['memoryMiB', t.memoryMiB], ['diskGiB', t.diskGiB]] as const) {
      if (!(Number.isFinite(v) && v >= 0)) problems.push(`tier ${t.tier}: ${k} must be a number ≥ 0`);
    }
  }
  return problems;
}
