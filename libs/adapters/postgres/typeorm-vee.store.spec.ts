import { type ServiceStore } from '@reservoir/domain/ports/service-store.port';
import { type VeeStore } from '@reservoir/domain/ports/vee-store.port';
import { type VeeRecord } from '@reservoir/domain/vee/vee-record';
import { webShopDefinition } from '@reservoir/testing/deploy-builders';
import { InMemoryVeeStore } from '@reservoir/testing/fakes-deploy';
import { InMemoryServiceStore } from '@reservoir/testing/fakes';
import { onServerAndPglite } from '@reservoir/testing/store-suite-targets';
import { type StoreSuiteTarget } from '@reservoir/testing/store-suite-targets';
import { TypeormServiceStore } from './typeorm-service.store';
import { TypeormVeeStore } from './typeorm-vee.store';

/**
 * The VeeStore's host move (failover moving a VEE) on the PostgreSQL server, on embedded PGlite and on the
 * in-memory fake: the record points at the new host with the spec defined there; phase and history stay.
 */
jest.setTimeout(60000);

interface Stores {
  vees: VeeStore;
  services: ServiceStore;
}

const T0 = new Date('2026-03-01T10:00:00.000Z');
let n = 0;
const id = (kind: string, i: number): string => `${kind}0000000-0000-4000-8000-${String(i).padStart(12, '0')}`;

async function aVee(s: Stores): Promise<VeeRecord> {
  n += 1;
  const serviceId = id('5', n);
  const name = `move-${n}-${Math.random().toString(36).slice(2, 8)}`;
  await s.services.create(
    { id: serviceId, siteId: 'test', name, phase: 'running', definition: webShopDefinition(name), manifest: new Uint8Array(), createdAt: T0, updatedAt: T0 },
    { from: null, to: 'running', reason: 'test', at: T0 },
  );
  const vee: VeeRecord = {
    id: id('a', n), serviceId, serviceName: name, tier: 'web-servers', index: 0, hostId: id('b', 1), hostName: 'h1', role: 'active', phase: 'running',
    domain: `rsv-${name}-web-servers-0`, consoleLog: '/var/log/x.log', createdAt: T0, updatedAt: T0,
    spec: { name: `rsv-${name}-web-servers-0`, uuid: id('a', n), vcpu: 1, memoryMiB: 256, disks: [{ name: 'root', sizeGiB: 2, format: 'qcow2' }], networks: [], boot: { kind: 'disk' }, properties: {} },
  };
  await s.vees.create(vee, { veeId: vee.id, serviceId, from: null, to: 'running', reason: 'test', by: 'deploy', at: T0 });
  return vee;
}

function moveHostSuite(label: string, target: StoreSuiteTarget<Stores>): void {
  describe(label, () => {
    beforeAll(async () => target.setup?.());
    afterAll(async () => target.teardown?.());

    it('moves a VEE to another host with its new spec; phase and history stay', async () => {
      const s = await target.makeStore();
      const vee = await aVee(s);
      const later = new Date(T0.getTime() + 60_000);
      const spec = { ...vee.spec, disks: [{ name: 'root', sizeGiB: 2, format: 'qcow2' as const, path: '/new/root.qcow2' }] };
      expect(await s.vees.moveHost(vee.id, { hostId: id('b', 2), hostName: 'h2', spec }, later)).toBe(true);
      const moved = await s.vees.get(vee.id);
      expect(moved).toMatchObject({ hostId: id('b', 2), hostName: 'h2', phase: 'running', spec });
      expect(moved?.updatedAt.getTime()).toBe(later.getTime());
      expect(await s.vees.countOnHost(id('b', 1))).toBe(0);
      expect(await s.vees.countOnHost(id('b', 2))).toBe(1);
      expect((await s.vees.history(vee.serviceId)).map((h) => h.to)).toEqual(['running']);
    });

    it('says false for an unknown VEE', async () => {
      const s = await target.makeStore();
      expect(await s.vees.moveHost(id('c', 99), { hostId: id('b', 2), hostName: 'h2', spec: (await aVee(s)).spec }, T0)).toBe(false);
    });
  });
}

onServerAndPglite('TypeormVeeStore', 'vee_phase_history, vees', (ds) => ({ vees: new TypeormVeeStore(ds), services: new TypeormServiceStore(ds) }), moveHostSuite);

moveHostSuite('InMemoryVeeStore', { makeStore: async () => ({ vees: new InMemoryVeeStore(), services: new InMemoryServiceStore() }) });
