import { buildAllocation, buildHost, buildTier } from '@reservoir/testing/placement-builders';
import { type HostState, type PlacementInput, type PlacementPlan, type TierDemand } from './placement-types';
import { planPlacement } from './plan-placement';

/** `tier[index]@host` for each assignment, in plan order. */
const placed = (plan: PlacementPlan): string[] => plan.assignments.map((a) => `${a.tier}[${a.index}]@${a.hostId}`);
const hostsOf = (plan: PlacementPlan): string[] => plan.assignments.map((a) => a.hostId);
const plan = (hosts: HostState[], tiers: TierDemand[], policy?: PlacementInput['policy']): PlacementPlan =>
  planPlacement({ hosts, tiers, ...(policy ? { policy } : {}) });
const three = (): HostState[] => ['h1', 'h2', 'h3'].map((id) => buildHost(id));

describe('planPlacement: weighers', () => {
  it('spreads by default: each VEE on the least loaded host, ties to the lowest id', () => {
    expect(placed(plan(three(), [buildTier('web', { instances: 4 })]))).toEqual(['web[0]@h1', 'web[1]@h2', 'web[2]@h3', 'web[3]@h1']);
  });

  it('packs: the most loaded host that still fits', () => {
    const p = plan(three(), [buildTier('web', { instances: 17 })], { strategy: 'pack' });
    expect(hostsOf(p).filter((h) => h === 'h1')).toHaveLength(16); // 16 GiB of memory, ratio 1
    expect(p.assignments[16]?.hostId).toBe('h2');
  });

  it('counts existing allocations as load', () => {
    const hosts = [buildHost('h1', { allocations: [buildAllocation({ vcpu: 4 })] }), buildHost('h2')];
    expect(hostsOf(plan(hosts, [buildTier('web')]))).toEqual(['h2']);
    expect(hostsOf(plan(hosts, [buildTier('web')], { strategy: 'pack' }))).toEqual(['h1']);
  });

  it('weighs by the larger of CPU and memory utilisation after placement', () => {
    // h1: 50 % of 32 allocatable vCPU used, memory empty; h2: 25 % of memory used, CPU empty. The VEE adds
    // 1/32 CPU and 1/16 memory: h1 ends at max(0.53, 0.06), h2 at max(0.03, 0.31); spread picks h2.
    const hosts = [
      buildHost('h1', { allocations: [buildAllocation({ vcpu: 16, memoryMiB: 0 })] }),
      buildHost('h2', { allocations: [buildAllocation({ vcpu: 0, memoryMiB: 4096 })] }),
    ];
    expect(hostsOf(plan(hosts, [buildTier('web')]))).toEqual(['h2']);
    expect(hostsOf(plan(hosts, [buildTier('web')], { strategy: 'pack' }))).toEqual(['h1']);
  });

  it('breaks ties by host id in code-unit order ("h10" before "h2")', () => {
    expect(hostsOf(plan([buildHost('h2'), buildHost('h10')], [buildTier('web')]))).toEqual(['h10']);
  });
});

describe('planPlacement: determinism', () => {
  const hosts = Array.from({ length: 12 }, (_, i) => buildHost(`h${i}`, { failureDomain: `rack${i % 4}`, allocations: i % 3 === 0 ? [buildAllocation({ vcpu: i })] : [] }));
  const tiers = [buildTier('db', { instances: 3, availability: 99.99, vcpu: 4 }), buildTier('web', { instances: 7, memoryMiB: 3000 })];

  it.each(['spread', 'pack'] as const)('%s: the same input gives the same plan, whatever the host order', (strategy) => {
    const first = plan(hosts, tiers, { strategy });
    expect(plan(hosts, tiers, { strategy })).toEqual(first);
    expect(plan([...hosts].reverse(), tiers, { strategy })).toEqual(first);
    expect(plan([...hosts.slice(5), ...hosts.slice(0, 5)], tiers, { strategy })).toEqual(first);
  });

  it('does not mutate its input', () => {
    const copy = structuredClone({ hosts, tiers });
    plan(hosts, tiers);
    expect({ hosts, tiers }).toEqual(copy);
  });
});

describe('planPlacement: overcommit', () => {
  const tiny = { memoryMiB: 16, disksGiB: [] };
  it.each([
    ['CPU ratio 4 by default: an 8-CPU host takes 32 single-vCPU VEEs', {}, undefined, 32],
    ['the policy sets the ratio for hosts without their own', { overcommit: { cpu: 2 } }, undefined, 16],
    ["a host's own ratio beats the policy's", { overcommit: { cpu: 2 } }, { cpu: 1.5 }, 12],
  ])('%s', (_, policy, overcommit, fits) => {
    const host = buildHost('h1', overcommit ? { overcommit } : {});
    const p = plan([host], [buildTier('web', { ...tiny, instances: 40 })], policy);
    expect(p.assignments).toHaveLength(fits);
    expect(p.unplaced[0]?.reasons).toEqual([`host h1: 0 of 1 vCPU free`]);
  });

  it('memory ratio 1 by default: a 16 GiB host takes 16 VEEs of 1 GiB', () => {
    const p = plan([buildHost('h1')], [buildTier('web', { instances: 20, disksGiB: [] })]);
    expect(p.assignments).toHaveLength(16);
    expect(p.unplaced[0]?.reasons).toEqual(['host h1: 0 of 1024 MiB memory free']);
  });

  it('refuses a VEE larger than any host physically, and says so, though overcommit would allow it', () => {
    const p = plan(three(), [buildTier('big', { vcpu: 12 })]);
    expect(p.unplaced).toEqual([
      {
        service: 'shop',
        tier: 'big',
        needed: 1,
        placed: 0,
        reasons: ['host h1: VEE needs 12 vCPU, host has 8 physically', 'host h2: VEE needs 12 vCPU, host has 8 physically', 'host h3: VEE needs 12 vCPU, host has 8 physically'],
      },
    ]);
  });
});

describe('planPlacement: what cannot be placed', () => {
  const mixed = (): HostState[] => [
    buildHost('h1', { health: 'down' }),
    buildHost('h2', { allocations: [buildAllocation({ vcpu: 31, memoryMiB: 0, diskGiB: 0 })], labels: { zone: 'eu' } }),
    buildHost('h3', { health: 'unknown', labels: { zone: 'eu' } }),
    buildHost('h4', { labels: { zone: 'us' } }),
  ];

  it('gives one reason per host, in id order', () => {
    const p = plan(mixed(), [buildTier('web', { vcpu: 2, requiredLabels: { zone: 'eu' } })]);
    expect(p.complete).toBe(false);
    expect(p.assignments).toEqual([]);
    expect(p.unplaced).toEqual([
      {
        service: 'shop',
        tier: 'web',
        needed: 1,
        placed: 0,
        reasons: ['host h1: down', 'host h2: 1 of 2 vCPU free', 'host h3: health unknown', 'host h4: label zone=eu missing'],
      },
    ]);
  });

  it('uses only up hosts carrying the required labels', () => {
    const hosts = [...mixed(), buildHost('h5', { labels: { zone: 'eu' } })];
    const tiers = [buildTier('web', { instances: 3, requiredLabels: { zone: 'eu' } })];
    expect(hostsOf(plan(hosts, tiers))).toEqual(['h5', 'h5', 'h5']);
    expect(hostsOf(plan(hosts, tiers, { strategy: 'pack' }))).toEqual(['h2', 'h5', 'h5']);
  });

  it('keeps a partial placement, counts it, and still places later tiers', () => {
    const p = plan([buildHost('h1')], [buildTier('db', { instances: 20, disksGiB: [100] }), buildTier('web', { disksGiB: [] })]);
    expect(p.unplaced).toEqual([{ service: 'shop', tier: 'db', needed: 20, placed: 5, reasons: ['host h1: 0 of 100 GiB disk free'] }]);
    expect(p.assignments.filter((a) => a.tier === 'web')).toEqual([{ service: 'shop', tier: 'web', index: 0, hostId: 'h1' }]);
    expect(p.complete).toBe(false);
  });

  it('does not let tiers of the same size but other labels share candidates', () => {
    const hosts = [buildHost('h1', { labels: { zone: 'eu' } }), buildHost('h2')];
    const tiers = [buildTier('eu', { requiredLabels: { zone: 'eu' } }), buildTier('any', { instances: 2 }), buildTier('us', { requiredLabels: { zone: 'us' } })];
    const p = plan(hosts, tiers);
    expect(placed(p)).toEqual(['eu[0]@h1', 'any[0]@h2', 'any[1]@h1']);
    expect(p.unplaced.map((u) => u.reasons)).toEqual([['host h1: label zone=us missing', 'host h2: label zone=us missing']]);
  });

  it('reports a site without hosts', () => {
    expect(plan([], [buildTier('web')]).unplaced[0]?.reasons).toEqual(['no hosts at this site']);
  });

  it('is complete, with nothing to place', () => {
    expect(plan([], [buildTier('web', { instances: 0 })])).toEqual({ assignments: [], unplaced: [], warnings: [], complete: true });
  });

  it('numbers new VEEs from firstIndex (scale-out, re-placing one instance)', () => {
    expect(placed(plan(three(), [buildTier('web', { instances: 2, firstIndex: 3 })]))).toEqual(['web[3]@h1', 'web[4]@h2']);
  });
});

describe('planPlacement: failure-domain anti-affinity', () => {
  /** Two hosts per rack; the first host of each rack is the one pack prefers (lowest id). */
  const racks = (n: number, fields: Partial<HostState> = {}): HostState[] =>
    Array.from({ length: n * 2 }, (_, i) => buildHost(`h${i}`, { failureDomain: `rack${Math.floor(i / 2)}`, ...fields }));
  const domainsOf = (p: PlacementPlan, hosts: HostState[]): string[] =>
    p.assignments.map((a) => hosts.find((h) => h.id === a.hostId)?.failureDomain ?? '?');

  it('hard: one instance per failure domain from 99.9 %, even when packing', () => {
    const hosts = racks(3);
    const p = plan(hosts, [buildTier('db', { instances: 3, availability: 99.9 })], { strategy: 'pack' });
    expect(domainsOf(p, hosts)).toEqual(['rack0', 'rack1', 'rack2']);
    expect(p.warnings).toEqual([]);
  });

  it('none below the threshold: packing puts every instance on one host', () => {
    const p = plan(racks(3), [buildTier('db', { instances: 3, availability: 99.89 })], { strategy: 'pack' });
    expect(hostsOf(p)).toEqual(['h0', 'h0', 'h0']);
  });

  it('the threshold is a policy knob', () => {
    const hosts = racks(3);
    const p = plan(hosts, [buildTier('db', { instances: 3, availability: 99 })], { strategy: 'pack', spreadThreshold: 99 });
    expect(domainsOf(p, hosts)).toEqual(['rack0', 'rack1', 'rack2']);
  });

  it('soft when domains are short: as even as possible, with a warning', () => {
    const hosts = racks(2);
    const p = plan(hosts, [buildTier('db', { instances: 5, availability: 99.95 })], { strategy: 'pack' });
    expect(domainsOf(p, hosts)).toEqual(['rack0', 'rack1', 'rack0', 'rack1', 'rack0']);
    expect(p.complete).toBe(true);
    expect(p.warnings).toEqual([
      'service shop, tier db: availability 99.95 % asks for one failure domain per instance, but 5 new instances meet only 2 eligible failure domains without one; spread as evenly as possible',
    ]);
  });

  it('counts only eligible domains: a rack of down hosts does not make the rule hard', () => {
    const hosts = [...racks(2), buildHost('h9', { failureDomain: 'rack9', health: 'down' })];
    const p = plan(hosts, [buildTier('db', { instances: 3, availability: 99.99 })]);
    expect(p.complete).toBe(true);
    expect(p.warnings).toHaveLength(1);
  });

  it('counts existing instances: new ones avoid racks that already hold one', () => {
    const hosts = racks(3);
    hosts[0] = { ...hosts[0]!, allocations: [buildAllocation({ service: 'shop', tier: 'db', index: 0 })] };
    const p = plan(hosts, [buildTier('db', { instances: 2, availability: 99.99, firstIndex: 1 })], { strategy: 'pack' });
    expect(domainsOf(p, hosts)).toEqual(['rack1', 'rack2']);
  });

  it('hard stays hard when a free domain lacks capacity: the tier is unplaced and each host says why', () => {
    const full = [buildAllocation({ vcpu: 32, memoryMiB: 0, diskGiB: 0 })];
    const hosts = [buildHost('h1'), buildHost('h2'), buildHost('h3', { failureDomain: 'rack2', allocations: full })];
    const p = plan(hosts, [buildTier('web', { instances: 2, availability: 99.9 })]);
    expect(placed(p)).toEqual(['web[0]@h1']);
    expect(p.unplaced[0]?.reasons).toEqual([
      'host h1: already runs an instance of tier web in failure domain rack1',
      'host h2: failure domain rack1 already runs an instance of tier web (on host h1)',
      'host h3: 0 of 1 vCPU free',
    ]);
  });

  it('keeps tiers of different services apart only from themselves', () => {
    const hosts = racks(2);
    const tiers = ['a', 'b'].map((service) => buildTier('web', { service, instances: 2, availability: 99.99 }));
    const p = plan(hosts, tiers, { strategy: 'pack' });
    expect(domainsOf(p, hosts)).toEqual(['rack0', 'rack1', 'rack0', 'rack1']);
    expect(p.complete).toBe(true);
  });
});
