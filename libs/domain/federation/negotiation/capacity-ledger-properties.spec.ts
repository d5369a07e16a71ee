import fc from 'fast-check';
import { buildHost } from '@reservoir/testing/placement-builders';
import { CAPACITY_EPSILON, hostUsage, type HostState, resolvePlacementPolicy } from '../../placement';
import { type TierDemand } from '../protocol/envelope';
import { type CapacityLedger, expire, liveReservations, release, reserve } from './capacity-ledger';

/**
 * Random sequences of reserve / release / expire while time passes, as a provider would run them for
 * concurrent CFPs: the arithmetic must never book any host beyond its allocatable capacity.
 */
const T0 = Date.parse('2025-01-01T00:00:00.000Z');

type Op =
  | { kind: 'reserve'; demand: TierDemand[]; validS: number }
  | { kind: 'release'; pick: number }
  | { kind: 'expire' }
  | { kind: 'wait'; s: number };

const tierDemand = (tier: string): fc.Arbitrary<TierDemand> =>
  fc.record({
    tier: fc.constant(tier),
    vcpu: fc.integer({ min: 0, max: 16 }),
    memoryMiB: fc.integer({ min: 0, max: 16 }).map((g) => g * 1024),
    diskGiB: fc.integer({ min: 0, max: 300 }),
    instances: fc.integer({ min: 0, max: 4 }),
    protection: fc.constantFrom<TierDemand['protection']>('none', 'restart', 'checkpoint', 'live-standby'),
  });

const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('reserve' as const), demand: fc.uniqueArray(fc.constantFrom('web', 'app', 'db'), { maxLength: 3 }).chain((names) => fc.tuple(...names.map(tierDemand))), validS: fc.integer({ min: 1, max: 120 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('release' as const), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'expire' as const }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('wait' as const), s: fc.integer({ min: 1, max: 60 }) }) },
);

const site: fc.Arbitrary<CapacityLedger> = fc
  .record({
    hosts: fc.array(
      fc.record({
        vcpu: fc.integer({ min: 1, max: 16 }),
        memoryGiB: fc.integer({ min: 1, max: 32 }),
        diskGiB: fc.integer({ min: 10, max: 500 }),
        used: fc.array(fc.record({ vcpu: fc.integer({ min: 0, max: 20 }), memoryMiB: fc.integer({ min: 0, max: 16_384 }), diskGiB: fc.integer({ min: 0, max: 200 }) }), { maxLength: 3 }),
        health: fc.constantFrom<HostState['health']>('up', 'up', 'up', 'down'),
        memoryRatio: fc.constantFrom(1, 1.5),
      }),
      { maxLength: 5 },
    ),
    cpuRatio: fc.constantFrom(1, 2, 4),
  })
  .map(({ hosts, cpuRatio }) => ({
    hosts: hosts.map((h, i) =>
      buildHost(`h${i}`, {
        capacity: { vcpu: h.vcpu, memoryMiB: h.memoryGiB * 1024, diskGiB: h.diskGiB },
        allocations: h.used,
        health: h.health,
        overcommit: { memory: h.memoryRatio },
      }),
    ),
    reservations: [],
    policy: { overcommit: { cpu: cpuRatio } },
  }));

describe('capacity ledger (properties)', () => {
  it('never books a host beyond allocatable capacity, whatever the sequence of reserve, release and expire', () => {
    fc.assert(
      fc.property(site, fc.array(op, { maxLength: 40 }), (initial, ops) => {
        let ledger = initial;
        let now = T0;
        let next = 0;
        for (const o of ops) {
          const at = new Date(now);
          if (o.kind === 'reserve') {
            const before = ledger;
            const r = reserve(ledger, `r${next++}`, o.demand, at, new Date(now + o.validS * 1000));
            if (r.ok) {
              ledger = r.ledger;
              const held = new Map(r.reservation.holds.map((v) => [`${v.tier}/${v.index}`, v]));
              expect(held.size).toBe(o.demand.reduce((n, t) => n + t.instances, 0));
              for (const v of r.reservation.holds) expect(ledger.hosts.find((h) => h.id === v.hostId)?.health).toBe('up');
            } else {
              expect(ledger).toBe(before);
            }
          } else if (o.kind === 'release') {
            const ids = ledger.reservations.map((r) => r.id);
            if (ids.length > 0) ledger = release(ledger, ids[o.pick % ids.length]);
          } else if (o.kind === 'expire') {
            const r = expire(ledger, at);
            for (const x of r.expired) expect(x.expiresAt.getTime()).toBeLessThanOrEqual(now);
            ledger = r.ledger;
          } else {
            now += o.s * 1000;
          }
          checkHosts(ledger, new Date(now));
        }
      }),
      { numRuns: 300 },
    );
  });
});

/** Oracle, independent of the ledger's own sums: per host, VEEs + live holds ≤ allocatable wherever a hold sits. */
function checkHosts(ledger: CapacityLedger, now: Date): void {
  const fallback = resolvePlacementPolicy(ledger.policy).overcommit;
  for (const host of ledger.hosts) {
    const holds = liveReservations(ledger, now).flatMap((r) => r.holds.filter((v) => v.hostId === host.id));
    if (holds.length === 0) continue;
    const { used, allocatable } = hostUsage(host, fallback);
    const sum = (k: 'vcpu' | 'memoryMiB' | 'diskGiB'): number => used[k] + holds.reduce((n, v) => n + v[k], 0);
    expect(sum('vcpu')).toBeLessThanOrEqual(allocatable.vcpu + CAPACITY_EPSILON);
    expect(sum('memoryMiB')).toBeLessThanOrEqual(allocatable.memoryMiB + CAPACITY_EPSILON);
    expect(sum('diskGiB')).toBeLessThanOrEqual(allocatable.diskGiB + CAPACITY_EPSILON);
  }
}
