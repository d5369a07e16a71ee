import fc from 'fast-check';
import { applyPlacement } from './apply-placement';
import { CAPACITY_EPSILON, hostUsage, veeDemand } from './host-capacity';
import {
  type HostAllocation,
  type HostState,
  type PlacementInput,
  type PlacementPlan,
  resolvePlacementPolicy,
  type TierDemand,
} from './placement-types';
import { planPlacement } from './plan-placement';

describe('planPlacement (properties)', () => {
  const runs = { numRuns: 400 };

  it('never takes a host beyond physical × ratio, counting existing allocations, nor past its filters', () => {
    fc.assert(
      fc.property(input, ({ hosts, tiers, policy }) => {
        const plan = planPlacement({ hosts, tiers, policy });
        const fallback = resolvePlacementPolicy(policy).overcommit;
        const after = applyPlacement(hosts, tiers, plan);
        const tierOf = new Map(tiers.map((t) => [`${t.service}/${t.name}`, t]));
        for (const [i, host] of hosts.entries()) {
          const added = plan.assignments.filter((a) => a.hostId === host.id);
          if (added.length === 0) continue;
          const { used, allocatable } = hostUsage(after[i] as HostState, fallback);
          expect(used.vcpu).toBeLessThanOrEqual(allocatable.vcpu + CAPACITY_EPSILON);
          expect(used.memoryMiB).toBeLessThanOrEqual(allocatable.memoryMiB + CAPACITY_EPSILON);
          expect(used.diskGiB).toBeLessThanOrEqual(allocatable.diskGiB + CAPACITY_EPSILON);
          for (const a of added) expect(eligible(host, tierOf.get(`${a.service}/${a.tier}`) as TierDemand)).toBe(true);
        }
      }),
      runs,
    );
  });

  it('never puts two instances of a spread tier in one failure domain when enough domains exist, and warns otherwise', () => {
    fc.assert(
      fc.property(input, ({ hosts, tiers, policy }) => {
        const plan = planPlacement({ hosts, tiers, policy });
        const threshold = resolvePlacementPolicy(policy).spreadThreshold;
        const domainOf = new Map(hosts.map((h) => [h.id, h.failureDomain]));
        let shortOfDomains = 0;
        for (const tier of tiers) {
          if (tier.qos.availability < threshold || tier.vee.instances === 0) continue;
          const taken = new Set(hosts.filter((h) => h.allocations.some((a) => isOf(a, tier))).map((h) => h.failureDomain));
          const free = new Set(hosts.filter((h) => eligible(h, tier) && !taken.has(h.failureDomain)).map((h) => h.failureDomain));
          if (free.size < tier.vee.instances) {
            shortOfDomains += 1;
            continue;
          }
          const domains = plan.assignments.filter((a) => isOf(a, tier)).map((a) => domainOf.get(a.hostId) ?? '?');
          expect(new Set(domains).size).toBe(domains.length);
          for (const d of domains) expect(taken.has(d)).toBe(false);
        }
        expect(plan.warnings).toHaveLength(shortOfDomains);
      }),
      runs,
    );
  });

  it('places or reports every VEE, with one reason per host; complete exactly when nothing is unplaced', () => {
    fc.assert(
      fc.property(input, ({ hosts, tiers, policy }) => {
        const plan = planPlacement({ hosts, tiers, policy });
        expect(plan.complete).toBe(plan.unplaced.length === 0);
        const hostLines = [...hosts].map((h) => h.id).sort().map((id) => `host ${id}: `);
        for (const tier of tiers) {
          const indices = plan.assignments.filter((a) => isOf(a, tier)).map((a) => a.index);
          const missing = plan.unplaced.filter((u) => u.service === tier.service && u.tier === tier.name);
          const placed = missing[0]?.placed ?? tier.vee.instances;
          expect(missing.length).toBeLessThanOrEqual(1);
          expect(indices).toEqual(Array.from({ length: placed }, (_, i) => (tier.firstIndex ?? 0) + i));
          for (const u of missing) {
            expect(u.needed).toBe(tier.vee.instances);
            expect(u.placed).toBeLessThan(u.needed);
            if (hosts.length === 0) expect(u.reasons).toEqual(['no hosts at this site']);
            else expect(u.reasons.map((r, i) => r.startsWith(hostLines[i] ?? '-') && !r.includes('inconsistency'))).toEqual(hostLines.map(() => true));
          }
        }
      }),
      runs,
    );
  });

  it('gives the same plan for any order of the hosts', () => {
    const shuffled = input.chain((i) => fc.shuffledSubarray([...i.hosts], { minLength: i.hosts.length }).map((hosts) => ({ i, hosts })));
    fc.assert(
      fc.property(shuffled, ({ i, hosts }) => {
        expect(planPlacement({ ...i, hosts })).toEqual<PlacementPlan>(planPlacement(i));
      }),
      runs,
    );
  });
});

// ---------------------------------------------------------------- oracle helpers, independent of the planner

function isOf(a: { service?: string; tier?: string }, tier: TierDemand): boolean {
  return a.service === tier.service && a.tier === tier.name;
}

/** Up, carrying the tier's labels, physically large enough for one VEE. */
function eligible(host: HostState, tier: TierDemand): boolean {
  const vee = veeDemand(tier);
  const labels = Object.entries(tier.requiredLabels ?? {}).every(([k, v]) => Object.hasOwn(host.labels, k) && host.labels[k] === v);
  const fits = vee.vcpu <= host.capacity.vcpu && vee.memoryMiB <= host.capacity.memoryMiB && vee.diskGiB <= host.capacity.diskGiB;
  return host.health === 'up' && labels && fits;
}

// ---------------------------------------------------------------- random sites and demands

const SERVICES = ['s1', 's2'];
const TIER_NAMES = ['web', 'app', 'db'];
const optional = <T>(arb: fc.Arbitrary<T>): fc.Arbitrary<T | undefined> => fc.option(arb, { nil: undefined });

const allocation: fc.Arbitrary<HostAllocation> = fc.record({
  vcpu: fc.integer({ min: 0, max: 12 }),
  memoryMiB: fc.integer({ min: 0, max: 8192 }),
  diskGiB: fc.integer({ min: 0, max: 150 }),
  of: optional(fc.record({ service: fc.constantFrom(...SERVICES), tier: fc.constantFrom(...TIER_NAMES) })),
}).map(({ of, ...r }) => ({ ...r, ...of }));

const host = fc.record({
  capacity: fc.record({
    vcpu: fc.integer({ min: 1, max: 16 }),
    memoryMiB: fc.integer({ min: 1, max: 32 }).map((g) => g * 1024),
    diskGiB: fc.integer({ min: 10, max: 400 }),
  }),
  overcommit: optional(fc.record({ cpu: optional(fc.integer({ min: 2, max: 32 }).map((q) => q / 4)), memory: optional(fc.integer({ min: 5, max: 20 }).map((t) => t / 10)) })),
  failureDomain: fc.constantFrom('r1', 'r2', 'r3', 'r4', 'r5'),
  labels: fc.oneof(fc.constant({}), fc.constantFrom('eu', 'us').map((zone) => ({ zone }))),
  health: fc.constantFrom('up', 'up', 'up', 'down', 'unknown') as fc.Arbitrary<HostState['health']>,
  allocations: fc.array(allocation, { maxLength: 4 }),
});

const hosts: fc.Arbitrary<HostState[]> = fc
  .array(host, { maxLength: 10 })
  .map((list) => list.map((h, i) => ({ id: `h${(i * 7) % 11}`, name: `host ${i}`, ...h })));

const tier: fc.Arbitrary<TierDemand> = fc.record({
  service: fc.constantFrom(...SERVICES),
  name: fc.constantFrom(...TIER_NAMES),
  vee: fc.record({ vcpu: fc.integer({ min: 1, max: 8 }), memoryMiB: fc.integer({ min: 128, max: 8192 }), instances: fc.integer({ min: 0, max: 6 }) }),
  storage: fc.array(fc.record({ sizeGiB: fc.integer({ min: 1, max: 100 }) }), { maxLength: 2 }),
  qos: fc.record({ availability: fc.constantFrom(99, 99.5, 99.9, 99.95, 99.99) }),
  requiredLabels: optional(fc.constant({ zone: 'eu' })),
  firstIndex: optional(fc.integer({ min: 0, max: 3 })),
});

const input: fc.Arbitrary<PlacementInput> = fc.record({
  hosts,
  tiers: fc.uniqueArray(tier, { maxLength: 5, selector: (t) => `${t.service}/${t.name}` }),
  policy: fc.record({
    strategy: optional(fc.constantFrom('spread', 'pack') as fc.Arbitrary<'spread' | 'pack'>),
    spreadThreshold: optional(fc.constantFrom(99, 99.9, 99.99)),
    overcommit: optional(fc.record({ cpu: optional(fc.constantFrom(1, 2, 4, 8)), memory: optional(fc.constantFrom(1, 1.5)) })),
  }),
});
