/**
 * A deploy/reconcile test bench: three simulated hosts in three racks (zero delays), in-memory stores, the real
 * use cases. Imported as @reservoir/testing/deploy-bench by the application specs.
 */
import { MemoryEventBus } from '@reservoir/adapters/bus/memory-event-bus';
import { SimHypervisorFactory } from '@reservoir/adapters/sim';
import { HypervisorRouter } from '@reservoir/adapters/hypervisors/hypervisor-router';
import { type ServiceDefinition } from '@reservoir/domain/manifest/service-definition';
import { type ServiceRecord } from '@reservoir/domain/service/service-record';
import { type VeeHistoryEntry, type VeeRecord } from '@reservoir/domain/vee/vee-record';
import { FakeClock, InMemoryServiceStore, SequentialIds } from './fakes';
import { InMemoryHostStore, InMemoryVeeStore } from './fakes-deploy';
import { simImages } from './deploy-builders';
import { HostConnections } from '@reservoir/application/hosts/host-connections';
import { ServicePhaseRecorder } from '@reservoir/application/services/service-phase-recorder';
import { DeleteService } from '@reservoir/application/deploy/delete-service';
import { type DeployDeps } from '@reservoir/application/deploy/deploy-deps';
import { DeployService } from '@reservoir/application/deploy/deploy-service';
import { KeyedMutex } from '@reservoir/application/deploy/keyed-mutex';
import { VeePhaseRecorder } from '@reservoir/application/deploy/vee-phase-recorder';

/** A VeeStore that lets a test act when a VEE record is created (e.g. inject a failure on its host). */
export class HookedVeeStore extends InMemoryVeeStore {
  onCreate: (vee: VeeRecord) => void = () => undefined;
  override async create(vee: VeeRecord, history: VeeHistoryEntry): Promise<void> {
    await super.create(vee, history);
    this.onCreate(vee);
  }
}

export const HOSTS = ['h1', 'h2', 'h3'];

export async function deployBench() {
  const sim = new SimHypervisorFactory({ delays: { bootMs: 0, shutdownMs: 0, saveMs: 0, restoreMs: 0, migrateMs: 0 } });
  const clock = new FakeClock();
  const ids = new SequentialIds();
  const services = new InMemoryServiceStore();
  const hosts = new InMemoryHostStore();
  const vees = new HookedVeeStore();
  const bus = new MemoryEventBus();
  const lines: string[] = [];
  const deps: DeployDeps = {
    services,
    hosts,
    vees,
    images: { list: async () => [...simImages().values()] },
    connections: new HostConnections(new HypervisorRouter(sim)),
    servicePhases: new ServicePhaseRecorder(services, bus, clock),
    veePhases: new VeePhaseRecorder(vees, clock),
    locks: new KeyedMutex(),
    ids,
    clock,
    consoleDir: '/var/log/rsv',
    start: { timeoutMs: 100, pollMs: 10, clock, delay: async (ms) => clock.advance(ms) },
    log: (line) => lines.push(line),
  };
  for (const [i, name] of HOSTS.entries()) {
    const uri = `sim://${name}?vcpu=8&memory-mib=4096&disk-gib=100&failure-domain=rack${i + 1}`;
    sim.declareHost(uri);
    await hosts.create({
      id: ids.next(), name, uri, failureDomain: `rack${i + 1}`, labels: {}, overcommit: { cpu: 4, memory: 1 },
      capacity: { vcpu: 8, memoryMiB: 4096, diskGiB: 100 }, features: { bandwidthQoS: { enforced: true } }, health: 'up', createdAt: clock.now(), updatedAt: clock.now(),
    });
  }
  const submit = async (definition: ServiceDefinition, replicaOf?: ServiceRecord['replicaOf']): Promise<ServiceRecord> => {
    const now = clock.now();
    const record: ServiceRecord = {
      id: ids.next(), siteId: 'test', name: definition.name, phase: 'accepted', definition, manifest: new Uint8Array(), createdAt: now, updatedAt: now,
      ...(replicaOf ? { replicaOf } : {}),
    };
    await services.create(record, { from: null, to: 'accepted', reason: 'manifest accepted', at: now });
    return record;
  };
  /** Every domain on every sim host, as `host/name`. */
  const domains = async (): Promise<string[]> => {
    const all: string[] = [];
    for (const h of HOSTS) for (const d of await (await sim.connect(`sim://${h}`)).list()) all.push(`${h}/${d.name}`);
    return all.sort();
  };
  return { sim, clock, services, hosts, vees, deps, lines, submit, domains, deploy: new DeployService(deps), remove: new DeleteService(deps) };
}
