import { type ProtectionLevel, type TierDefinition } from '../../manifest/service-definition';
import { type TierDemand } from '../protocol/envelope';
import { priceOf, type PriceList } from './price';
import { demandOf, replicaRoleOf } from './replica-plan';

const demand = (tier: string, fields: Partial<TierDemand> = {}): TierDemand => ({
  tier, vcpu: 2, memoryMiB: 4096, diskGiB: 20, instances: 1, protection: 'restart', ...fields,
});

describe('priceOf', () => {
  const list: PriceList = { vcpuHour: 0.01, memoryGiBHour: 0.005, diskGiBHour: 0.0001, currency: 'EUR' };
  const table: [string, TierDemand[], PriceList, number][] = [
    ['nothing', [], list, 0],
    ['one VEE', [demand('web')], list, 2 * 0.01 + 4 * 0.005 + 20 * 0.0001],
    ['instances multiply', [demand('web', { instances: 3 })], list, 3 * 0.042],
    ['tiers add', [demand('web'), demand('db', { vcpu: 4, memoryMiB: 512, diskGiB: 0 })], list, 0.042 + 0.04 + 0.0025],
    ['disk free when unpriced', [demand('web')], { vcpuHour: 0.01, memoryGiBHour: 0.005, currency: 'EUR' }, 0.04],
    ['standbys cost the same', [demand('db', { protection: 'live-standby' })], list, 0.042],
    ['float noise rounded away', [demand('a', { vcpu: 1, memoryMiB: 0, diskGiB: 0 }), demand('b', { vcpu: 2, memoryMiB: 0, diskGiB: 0 })], { vcpuHour: 0.1, memoryGiBHour: 0, currency: 'EUR' }, 0.3],
  ];
  it.each(table)('%s', (_label, tiers, priceList, expected) => {
    expect(priceOf(tiers, priceList)).toBeCloseTo(expected, 9);
  });

  it('gives exactly equal prices for equal sums', () => {
    const list1: PriceList = { vcpuHour: 0.1, memoryGiBHour: 0, currency: 'EUR' };
    expect(priceOf([demand('a', { vcpu: 1 }), demand('b', { vcpu: 2 })], list1)).toBe(priceOf([demand('c', { vcpu: 3 })], list1));
  });
});

describe('replica demand', () => {
  const roles: [ProtectionLevel, 'active' | 'standby'][] = [['none', 'active'], ['restart', 'active'], ['checkpoint', 'standby'], ['live-standby', 'standby']];
  it.each(roles)('runs a %s tier as %s at a replica', (protection, role) => {
    expect(replicaRoleOf(protection)).toBe(role);
  });

  const tier = (name: string, protection: ProtectionLevel, storage: number[]): TierDefinition => ({
    name,
    vee: { vcpu: 2, memoryMiB: 1536, instances: 3, minInstances: 1, maxInstances: 5 },
    image: { ref: 'img', format: 'qcow2' },
    software: [],
    storage: storage.map((sizeGiB, i) => ({ name: `d${i}`, sizeGiB })),
    networks: [],
    configuration: [],
    qos: { availability: 99.9, protection, ...(protection === 'checkpoint' ? { checkpointIntervalMs: 1000 } : {}) },
  });

  it('asks for every tier at full size and count, standbys included, disks as the deployer creates them', () => {
    const tiers = [tier('web', 'none', [4, 10]), tier('app', 'restart', []), tier('db', 'checkpoint', [2.5, 0.2])];
    expect(demandOf({ tiers })).toEqual<TierDemand[]>([
      { tier: 'web', vcpu: 2, memoryMiB: 1536, diskGiB: 14, instances: 3, protection: 'none' },
      { tier: 'app', vcpu: 2, memoryMiB: 1536, diskGiB: 1, instances: 3, protection: 'restart' },
      { tier: 'db', vcpu: 2, memoryMiB: 1536, diskGiB: 4, instances: 3, protection: 'checkpoint' },
    ]);
  });
});
