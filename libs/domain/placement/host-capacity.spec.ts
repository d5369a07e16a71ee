import { applyPlacement } from './apply-placement';
import { freeCapacity, hostOvercommit, hostUsage, veeDemand } from './host-capacity';
import { buildAllocation, buildHost, buildTier } from '@reservoir/testing/placement-builders';
import { planPlacement } from './plan-placement';
import { resolvePlacementPolicy } from './placement-types';

describe('host capacity', () => {
  const host = buildHost('h1', {
    capacity: { vcpu: 8, memoryMiB: 16_384, diskGiB: 500 },
    allocations: [buildAllocation({ vcpu: 6, memoryMiB: 4096, diskGiB: 50 }), buildAllocation({ vcpu: 2, memoryMiB: 4096, diskGiB: 50 })],
  });

  it('shows allocatable, used, free and utilisation with the default ratios', () => {
    expect(hostUsage(host)).toEqual({
      overcommit: { cpu: 4, memory: 1 },
      allocatable: { vcpu: 32, memoryMiB: 16_384, diskGiB: 500 },
      used: { vcpu: 8, memoryMiB: 8192, diskGiB: 100 },
      free: { vcpu: 24, memoryMiB: 8192, diskGiB: 400 },
      utilisation: { cpu: 0.25, memory: 0.5, disk: 0.2 },
    });
  });

  it.each([
    ['defaults', {}, undefined, { cpu: 4, memory: 1 }],
    ['fallback (the policy) fills what the host does not set', {}, { memory: 1.5 }, { cpu: 4, memory: 1.5 }],
    ["the host's own ratio wins", { overcommit: { cpu: 2 } }, { cpu: 8, memory: 1.5 }, { cpu: 2, memory: 1.5 }],
    ['an explicit undefined does not wipe a default', { overcommit: { cpu: undefined } }, undefined, { cpu: 4, memory: 1 }],
  ])('ratios: %s', (_, fields, fallback, expected) => {
    expect(hostOvercommit(buildHost('h1', fields), fallback)).toEqual(expected);
  });

  it('reports negative free capacity on an over-committed host', () => {
    expect(freeCapacity({ ...host, overcommit: { cpu: 0.5 } })).toEqual({ vcpu: -4, memoryMiB: 8192, diskGiB: 400 });
  });

  it('reads zero utilisation, not NaN, for a host with no capacity', () => {
    expect(hostUsage(buildHost('h0', { capacity: { vcpu: 0, memoryMiB: 0, diskGiB: 0 } })).utilisation).toEqual({ cpu: 0, memory: 0, disk: 0 });
  });

  it('sizes a VEE: disk is the sum of its storage', () => {
    expect(veeDemand(buildTier('db', { vcpu: 4, memoryMiB: 8192, disksGiB: [20, 100, 5] }))).toEqual({ vcpu: 4, memoryMiB: 8192, diskGiB: 125 });
    expect(veeDemand(buildTier('db', { disksGiB: [] })).diskGiB).toBe(0);
  });

  it('resolves a policy with every default', () => {
    expect(resolvePlacementPolicy()).toEqual({ strategy: 'spread', spreadThreshold: 99.9, overcommit: { cpu: 4, memory: 1 } });
  });
});

describe('applyPlacement', () => {
  const hosts = [buildHost('h1'), buildHost('h2')];
  const tiers = [buildTier('web', { instances: 3, vcpu: 2, disksGiB: [5, 5] })];

  it('adds one allocation per assignment and leaves other hosts as they are', () => {
    const next = applyPlacement(hosts, tiers, planPlacement({ hosts, tiers }));
    const vee = { vcpu: 2, memoryMiB: 1024, diskGiB: 10, service: 'shop', tier: 'web' };
    expect(next[0]?.allocations).toEqual([{ ...vee, index: 0 }, { ...vee, index: 2 }]);
    expect(next[1]?.allocations).toEqual([{ ...vee, index: 1 }]);
    expect(hosts[0]?.allocations).toEqual([]);
    expect(applyPlacement(hosts, tiers, { assignments: [], unplaced: [], warnings: [], complete: true })[0]).toBe(hosts[0]);
  });

  it('lets the next plan see the VEEs of the last one', () => {
    const next = applyPlacement(hosts, tiers, planPlacement({ hosts, tiers }));
    expect(planPlacement({ hosts: next, tiers: [buildTier('api')] }).assignments[0]?.hostId).toBe('h2');
  });

  it('refuses a plan naming a tier or host it does not know', () => {
    const bad = { assignments: [{ service: 'shop', tier: 'web', index: 0, hostId: 'h9' }], unplaced: [], warnings: [], complete: true };
    expect(() => applyPlacement(hosts, tiers, bad)).toThrow(expect.objectContaining({ code: 'invalid-input' }));
    expect(() => applyPlacement(hosts, [], { ...bad, assignments: [{ ...bad.assignments[0]!, hostId: 'h1' }] })).toThrow(/unknown tier/);
  });
});
