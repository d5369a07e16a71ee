import { type DomainSpec, type HypervisorConnection } from '@reservoir/domain/ports/hypervisor.port';
import { SimHypervisorFactory } from './sim-hypervisor.factory';

/** The simulator must carry scale tests of the broker: thousands of hosts with many domains each. */

const HOSTS = 2000;
const PER_HOST = 10;
const RACKS = 20;

function spec(host: number, i: number): DomainSpec {
  const n = host * PER_HOST + i;
  return {
    name: `h${host}-vee-${i}`, uuid: `00000000-0000-4000-a000-${n.toString(16).padStart(12, '0')}`, vcpu: 2, memoryMiB: 1024,
    disks: [{ name: 'root', sizeGiB: 4, format: 'qcow2', baseImage: { ref: 'tiny-linux' } }], networks: [{ name: 'internal', segment: `seg-${host}`, bandwidthMbps: 100 }],
    boot: { kind: 'disk' }, properties: { tier: 'web' },
  };
}

describe('sim at scale', () => {
  it(`defines and starts ${PER_HOST} domains on each of ${HOSTS} hosts, then loses a rack`, async () => {
    const factory = new SimHypervisorFactory({ delays: { bootMs: 0, shutdownMs: 0, saveMs: 0, restoreMs: 0, migrateMs: 0 } });
    const connections: HypervisorConnection[] = [];
    for (let h = 0; h < HOSTS; h += 1) {
      connections.push(await factory.connect(`sim://host-${h}?vcpu=16&memory-mib=16384&disk-gib=500&failure-domain=rack${h % RACKS}`));
    }
    await Promise.all(connections.map(async (conn, h) => {
      for (let i = 0; i < PER_HOST; i += 1) {
        await conn.define(spec(h, i));
        await conn.start(spec(h, i).name);
      }
    }));

    const states = async () => (await Promise.all(connections.map((c) => c.list().catch(() => [])))).flat().map((d) => d.state);
    const count = (all: string[], state: string) => all.filter((s) => s === state).length;
    expect(factory.hostConfigs()).toHaveLength(HOSTS);
    expect(count(await states(), 'running')).toBe(HOSTS * PER_HOST);

    const rack0 = factory.hostConfigs().filter((h) => h.failureDomain === 'rack0');
    for (const host of rack0) factory.killHost(host.name);
    expect(count(await states(), 'running')).toBe((HOSTS - rack0.length) * PER_HOST);
    for (const host of rack0) factory.reviveHost(host.name);
    expect(count(await states(), 'crashed')).toBe(rack0.length * PER_HOST);
  });
});
