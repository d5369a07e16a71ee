/**
 * Inputs and output of the placement planner. Plain data: the caller reads hosts and tiers from its store,
 * calls `planPlacement`, and applies the plan; nothing here does I/O or reads a clock.
 */
import { type StorageItem, type TierQoS, type VeeRequirement } from '../manifest/service-definition';

/** Only `up` hosts take new VEEs; `unknown` (missed heartbeats, not yet judged) is treated like `down`. */
export type HostHealth = 'up' | 'down' | 'unknown';

/** An amount of each resource the planner counts. Disk is in GiB, memory in MiB. */
export interface Resources {
  vcpu: number;
  memoryMiB: number;
  diskGiB: number;
}

/**
 * How far a host may be over-committed: allocatable = physical × ratio. Disk is never over-committed.
 * Ratios are positive and finite (validated at the edge).
 */
export interface OvercommitRatios {
  cpu: number;
  memory: number;
}

/** Nova's long-standing defaults: CPU time is shared, memory is not. */
export const DEFAULT_OVERCOMMIT: Readonly<OvercommitRatios> = { cpu: 4.0, memory: 1.0 };

/**
 * What one existing VEE (or reservation) holds on a host. `service` and `tier` name the tier instance so that
 * anti-affinity counts it; both are absent for capacity held by anything else (a contract's reservation, a
 * foreign VM). Allocations on a host that is down still count: drop them from the input once moved.
 */
export interface HostAllocation extends Resources {
  service?: string;
  tier?: string;
  index?: number;
}

/** One hypervisor host as the planner sees it. `id` is unique per site and is the tie-breaker everywhere. */
export interface HostState {
  id: string;
  name: string;
  /** Physical capacity. */
  capacity: Resources;
  /** Per-host ratios; a missing ratio falls back to the policy's, then to DEFAULT_OVERCOMMIT. */
  overcommit?: Partial<OvercommitRatios>;
  /** The unit that fails together (a rack). Anti-affinity spreads a tier's instances over these. */
  failureDomain: string;
  labels: Readonly<Record<string, string>>;
  health: HostHealth;
  allocations: readonly HostAllocation[];
}

/**
 * One tier to place: `vee.instances` new VEEs numbered from `firstIndex` (default 0). A `TierDefinition`
 * plus its service name fits this shape as it is. Disk per VEE is the sum of `storage[].sizeGiB`.
 */
export interface TierDemand {
  /** Service the tier belongs to; `(service, name)` identifies the tier in hosts' allocations. */
  service: string;
  name: string;
  vee: Pick<VeeRequirement, 'vcpu' | 'memoryMiB' | 'instances'>;
  storage: readonly Pick<StorageItem, 'sizeGiB'>[];
  qos: Pick<TierQoS, 'availability'>;
  /** Labels a host must carry with exactly these values. Not in manifests yet: set by the caller. */
  requiredLabels?: Readonly<Record<string, string>>;
  /** Index of the first new VEE, for scale-out or re-placing one instance; default 0. */
  firstIndex?: number;
}

/** `spread`: least loaded host first (the default). `pack`: most loaded host that still fits. */
export type PlacementStrategy = 'spread' | 'pack';

/** Knobs of one planning run; every field is optional. */
export interface PlacementPolicy {
  strategy?: PlacementStrategy;
  /** Availability target (percent) from which a tier's instances must sit in distinct failure domains. */
  spreadThreshold?: number;
  /** Ratios for hosts that do not set their own. */
  overcommit?: Partial<OvercommitRatios>;
}

/** The policy with every default filled in. */
export interface ResolvedPlacementPolicy {
  strategy: PlacementStrategy;
  spreadThreshold: number;
  overcommit: OvercommitRatios;
}

export const DEFAULT_SPREAD_THRESHOLD = 99.9;

export function resolvePlacementPolicy(policy: PlacementPolicy = {}): ResolvedPlacementPolicy {
  return {
    strategy: policy.strategy ?? 'spread',
    spreadThreshold: policy.spreadThreshold ?? DEFAULT_SPREAD_THRESHOLD,
    overcommit: { ...DEFAULT_OVERCOMMIT, ...definedRatios(policy.overcommit) },
  };
}

/** The ratios that are set, so `{cpu: undefined}` does not wipe out a default. */
export function definedRatios(ratios: Partial<OvercommitRatios> | undefined): Partial<OvercommitRatios> {
  const out: Partial<OvercommitRatios> = {};
  if (ratios?.cpu !== undefined) out.cpu = ratios.cpu;
  if (ratios?.memory !== undefined) out.memory = ratios.memory;
  return out;
}

/** One VEE of one tier on one host. */
export interface Assignment {
  service: string;
  tier: string;
  index: number;
  hostId: string;
}

/**
 * A tier that could not be fully placed. `reasons` has one line per host, in host-id order, saying why that
 * host refused the first VEE that found no host (`host h2: 1 of 2 vCPU free`).
 */
export interface UnplacedTier {
  service: string;
  tier: string;
  needed: number;
  placed: number;
  reasons: string[];
}

/**
 * The planner's answer. Assignments follow the input's tier order, then index. Partial placement is kept;
 * a caller that wants all-or-nothing per service checks `complete`.
 */
export interface PlacementPlan {
  assignments: Assignment[];
  unplaced: UnplacedTier[];
  /** Soft decisions the caller should surface, such as anti-affinity that could not be honoured. */
  warnings: string[];
  /** True exactly when `unplaced` is empty. */
  complete: boolean;
}

/** The planner's input. Hosts may come in any order; tiers are placed in the order given (dependency order). */
export interface PlacementInput {
  hosts: readonly HostState[];
  tiers: readonly TierDemand[];
  policy?: PlacementPolicy;
}
