/**
 * Builders for placement tests and the benchmark: a host or a tier with sensible defaults and only the
 * fields a case cares about. Imported as @reservoir/testing/placement-builders.
 */
import { type HostAllocation, type HostState, type TierDemand } from '@reservoir/domain/placement/placement-types';

/** An `up` 8-CPU / 16 GiB / 500 GiB host in rack1 with no labels and nothing on it. */
export function buildHost(id: string, fields: Partial<HostState> = {}): HostState {
  return {
    id,
    name: `${id}.example`,
    capacity: { vcpu: 8, memoryMiB: 16_384, diskGiB: 500 },
    failureDomain: 'rack1',
    labels: {},
    health: 'up',
    allocations: [],
    ...fields,
  };
}

export interface TierFields {
  service?: string;
  vcpu?: number;
  memoryMiB?: number;
  instances?: number;
  /** Sizes of the tier's storage items; default one 10 GiB disk. */
  disksGiB?: number[];
  availability?: number;
  requiredLabels?: Record<string, string>;
  firstIndex?: number;
}

/** A tier of service `shop`: 1 instance of 1 vCPU / 1024 MiB / 10 GiB, availability 99 %. */
export function buildTier(name: string, f: TierFields = {}): TierDemand {
  return {
    service: f.service ?? 'shop',
    name,
    vee: { vcpu: f.vcpu ?? 1, memoryMiB: f.memoryMiB ?? 1024, instances: f.instances ?? 1 },
    storage: (f.disksGiB ?? [10]).map((sizeGiB) => ({ sizeGiB })),
    qos: { availability: f.availability ?? 99 },
    ...(f.requiredLabels === undefined ? {} : { requiredLabels: f.requiredLabels }),
    ...(f.firstIndex === undefined ? {} : { firstIndex: f.firstIndex }),
  };
}

/** An existing VEE (or, without `tier`, a reservation) of the given size. */
export function buildAllocation(fields: Partial<HostAllocation> = {}): HostAllocation {
  return { vcpu: 1, memoryMiB: 1024, diskGiB: 10, ...fields };
}
