import {
  antiAffinityFilter,
  capacityFilter,
  healthFilter,
  type HostFilter,
  labelFilter,
  physicalSizeFilter,
} from './filters';
import { buildAllocation, buildHost, buildTier, type TierFields } from '@reservoir/testing/placement-builders';
import { DEFAULT_OVERCOMMIT, type HostState } from './placement-types';
import { SiteState } from './site-state';
import { newTierContext, type SpreadMode } from './tier-context';

/** Runs one filter for the first host (by id) of a site against the tier `web`. */
function reason(filter: HostFilter, hosts: HostState[], tier: TierFields = {}, spread: SpreadMode = 'none'): string | undefined {
  const site = new SiteState(hosts, DEFAULT_OVERCOMMIT);
  const ctx = { ...newTierContext(buildTier('web', tier), site), spread };
  const [first] = site.slots;
  if (first === undefined) throw new Error('no host');
  return filter(first, ctx);
}

const used = (vcpu: number, memoryMiB = 0, diskGiB = 0) => [buildAllocation({ vcpu, memoryMiB, diskGiB })];

describe('healthFilter', () => {
  it.each([
    ['up', undefined],
    ['down', 'down'],
    ['unknown', 'health unknown'],
  ] as const)('%s', (health, expected) => {
    expect(reason(healthFilter, [buildHost('h1', { health })])).toBe(expected);
  });
});

describe('labelFilter', () => {
  it.each([
    ['no requirement', { zone: 'us' }, undefined, undefined],
    ['all present', { zone: 'eu', disk: 'ssd', extra: 'x' }, { zone: 'eu', disk: 'ssd' }, undefined],
    ['absent', {}, { zone: 'eu' }, 'label zone=eu missing'],
    ['another value', { zone: 'us' }, { zone: 'eu' }, 'label zone=eu missing'],
    ['several, in key order', { zone: 'us' }, { zone: 'eu', disk: 'ssd' }, 'labels disk=ssd, zone=eu missing'],
    ['an inherited property is not a label', {}, { constructor: 'x' }, 'label constructor=x missing'],
  ])('%s', (_, labels, requiredLabels, expected) => {
    expect(reason(labelFilter, [buildHost('h1', { labels })], requiredLabels ? { requiredLabels } : {})).toBe(expected);
  });
});

describe('physicalSizeFilter (overcommit never splits one VEE over more than the host has)', () => {
  const host = buildHost('h1', { capacity: { vcpu: 8, memoryMiB: 16_384, diskGiB: 100 }, overcommit: { cpu: 4, memory: 2 } });
  it.each([
    ['fits exactly', { vcpu: 8, memoryMiB: 16_384, disksGiB: [60, 40] }, undefined],
    ['more vCPUs than physical, though 32 are allocatable', { vcpu: 9 }, 'VEE needs 9 vCPU, host has 8 physically'],
    ['more memory than physical, though the ratio is 2', { memoryMiB: 16_385 }, 'VEE needs 16385 MiB memory, host has 16384 MiB physically'],
    ['more disk than the host (sum of storage)', { disksGiB: [60, 41] }, 'VEE needs 101 GiB disk, host has 100 GiB'],
    ['every excess, joined', { vcpu: 16, memoryMiB: 32_768 }, 'VEE needs 16 vCPU, host has 8 physically; VEE needs 32768 MiB memory, host has 16384 MiB physically'],
  ])('%s', (_, tier, expected) => {
    expect(reason(physicalSizeFilter, [host], tier)).toBe(expected);
  });
});

describe('capacityFilter (allocatable = physical × ratio, minus what is allocated)', () => {
  it.each([
    ['fits in an empty host', buildHost('h1'), { vcpu: 2 }, undefined],
    ['the issue example', buildHost('h2', { allocations: used(31) }), { vcpu: 2 }, '1 of 2 vCPU free'],
    ['exactly full after placing', buildHost('h1', { allocations: used(30) }), { vcpu: 2 }, undefined],
    ['memory is not over-committed by default', buildHost('h1', { allocations: used(0, 15_872) }), {}, '512 of 1024 MiB memory free'],
    ['disk is never over-committed', buildHost('h1', { allocations: used(0, 0, 495) }), {}, '5 of 10 GiB disk free'],
    ['several shortfalls, joined', buildHost('h1', { allocations: used(32, 16_384) }), {}, '0 of 1 vCPU free, 0 of 1024 MiB memory free'],
    ['already over-committed (ratio lowered) reads 0 free', buildHost('h1', { overcommit: { cpu: 1 }, allocations: used(12) }), {}, '0 of 1 vCPU free'],
    ['a fractional ratio', buildHost('h1', { capacity: { vcpu: 3, memoryMiB: 16_384, diskGiB: 500 }, overcommit: { cpu: 1.5 }, allocations: used(3) }), { vcpu: 2 }, '1.5 of 2 vCPU free'],
    ['floating noise: 100 × 0.29 still takes 29 vCPU', buildHost('h1', { capacity: { vcpu: 100, memoryMiB: 16_384, diskGiB: 500 }, overcommit: { cpu: 0.29 } }), { vcpu: 29 }, undefined],
    ['existing reservations without a tier count', buildHost('h1', { allocations: [buildAllocation({ vcpu: 32, memoryMiB: 0, diskGiB: 0 })] }), {}, '0 of 1 vCPU free'],
  ])('%s', (_, host, tier, expected) => {
    expect(reason(capacityFilter, [host], tier)).toBe(expected);
  });
});

describe('antiAffinityFilter', () => {
  const webOn = (service = 'shop') => [buildAllocation({ service, tier: 'web', index: 0 })];
  it.each([
    ['hard, this host runs one', [buildHost('h1', { allocations: webOn() })], 'hard', 'already runs an instance of tier web in failure domain rack1'],
    ['hard, another host in the domain runs one', [buildHost('h1'), buildHost('h2', { allocations: webOn() })], 'hard', 'failure domain rack1 already runs an instance of tier web (on host h2)'],
    ['hard, domain free', [buildHost('h1'), buildHost('h2', { failureDomain: 'rack2', allocations: webOn() })], 'hard', undefined],
    ['hard, same tier name in another service', [buildHost('h1', { allocations: webOn('blog') })], 'hard', undefined],
    ['soft never refuses', [buildHost('h1', { allocations: webOn() })], 'soft', undefined],
    ['none never refuses', [buildHost('h1', { allocations: webOn() })], 'none', undefined],
  ] as const)('%s', (_, hosts, spread, expected) => {
    expect(reason(antiAffinityFilter, [...hosts], {}, spread)).toBe(expected);
  });
});
