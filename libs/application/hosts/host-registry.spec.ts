import { SimHypervisorFactory } from '@reservoir/adapters/sim';
import { HypervisorRouter } from '@reservoir/adapters/hypervisors/hypervisor-router';
import { type HostRecord } from '@reservoir/domain/hosts/host-record';
import { type HostStore } from '@reservoir/domain/ports/host-store.port';
import { FakeClock, SequentialIds } from '@reservoir/testing/fakes';
import { HostRegistry } from './host-registry';

class MemoryHostStore implements HostStore {
  readonly hosts = new Map<string, HostRecord>();
  async create(h: HostRecord) {
    this.hosts.set(h.id, h);
  }
  async get(id: string) {
    return this.hosts.get(id);
  }
  async list() {
    return [...this.hosts.values()];
  }
  async remove(id: string) {
    return this.hosts.delete(id);
  }
}

describe('HostRegistry', () => {
  const setup = (vees = 0) => {
    const store = new MemoryHostStore();
    const registry = new HostRegistry(store, new HypervisorRouter(new SimHypervisorFactory()), new FakeClock(), new SequentialIds(), async () => vees);
    return { store, registry };
  };

  it('makes a host without a rack its own failure domain', async () => {
    const { registry } = setup();
    const host = await registry.register({ name: 'solo', uri: 'sim://solo?vcpu=2&memory-mib=1024&disk-gib=10' });
    expect(host).toMatchObject({ failureDomain: 'solo', capacity: { vcpu: 2, memoryMiB: 1024, diskGiB: 10 }, health: 'up' });
  });

  it('refuses to remove a host while VEEs run there', async () => {
    const { registry, store } = setup(3);
    const host = await registry.register({ name: 'busy', uri: 'sim://busy?vcpu=2&memory-mib=1024&disk-gib=10' });
    await expect(registry.remove(host.id)).rejects.toMatchObject({ code: 'conflict', message: expect.stringMatching(/still runs 3 VEE/) });
    expect(store.hosts.size).toBe(1);
  });

  it('stores nothing when the URI is refused', async () => {
    const { registry, store } = setup();
    await expect(registry.register({ name: 'k', uri: 'test:///default' })).rejects.toMatchObject({ code: 'invalid-input', details: [{ path: '/uri' }] });
    expect(store.hosts.size).toBe(0);
  });
});
