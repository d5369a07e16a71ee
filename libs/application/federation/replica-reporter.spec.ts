import { AjvMessageValidator } from '@reservoir/adapters/federation/ajv-message-validator';
import { TestFederation } from '@reservoir/adapters/federation/test-federation';
import { openContract, transitionContract } from '@reservoir/domain/federation/contracts';
import { type ServicePhase } from '@reservoir/domain/service/service-phase';
import { type ServiceRecord } from '@reservoir/domain/service/service-record';
import { type VeePhase } from '@reservoir/domain/vee/vee-phase';
import { type VeeRecord, type VeeRole } from '@reservoir/domain/vee/vee-record';
import { FakeClock, InMemoryServiceStore, SequentialIds } from '@reservoir/testing/fakes';
import { InMemoryVeeStore } from '@reservoir/testing/fakes-deploy';
import { buildServiceRecord, FakeContractStore, RecordingBus } from '@reservoir/testing/fakes-federation';
import { buildServiceDefinition } from '@reservoir/testing/manifest-builders';
import { OutboundMessages } from './outbound';
import { ReplicaReporter, replicaPhaseOf } from './replica-reporter';

const fed = new TestFederation(['site-a', 'site-b']);
const schema = new AjvMessageValidator();
const T0 = new Date('2026-03-02T10:00:00.000Z');
const PRIMARY_SERVICE = 'a0000000-0000-4000-8000-00000000000a';
const REPLICA = 'b0000000-0000-4000-8000-00000000000b';
const CONTRACT = 'c0000000-0000-4000-8000-00000000000c';

function vee(n: number, tier: string, phase: VeePhase, role: VeeRole, serviceId = REPLICA): VeeRecord {
  const spec = { name: `d${n}`, uuid: `u${n}`, vcpu: 1, memoryMiB: 128, disks: [], networks: [], boot: { kind: 'disk' as const }, properties: {} };
  return { id: `v${n}`, serviceId, serviceName: 'shop', tier, index: n, hostId: 'h1', hostName: 'h1', role, phase, domain: `d${n}`, consoleLog: '', spec, createdAt: T0, updatedAt: T0 };
}

describe('replicaPhaseOf', () => {
  const service = (phase: ServicePhase): ServiceRecord => buildServiceRecord(REPLICA, buildServiceDefinition(), { phase });
  const cases: [string, string, ServiceRecord | undefined, VeeRecord[]][] = [
    ['no service', 'released', undefined, []],
    ['a service being deleted', 'released', service('deleting'), [vee(1, 'web', 'running', 'active')]],
    ['a failed service', 'failed', service('failed'), []],
    ['a service still deploying', 'deploying', service('deploying'), [vee(1, 'web', 'running', 'active')]],
    ['a running service with a running active VEE', 'running', service('running'), [vee(1, 'web', 'running', 'active'), vee(2, 'db', 'paused', 'standby')]],
    ['a degraded service with a running active VEE', 'running', service('degraded'), [vee(1, 'web', 'running', 'active')]],
    ['a running service of standbys only', 'standby', service('running'), [vee(2, 'db', 'paused', 'standby')]],
  ];
  it.each(cases)('%s → %s', (_label, phase, record, vees) => {
    expect(replicaPhaseOf(record, vees)).toBe(phase);
  });
});

describe('ReplicaReporter', () => {
  let bus: RecordingBus;
  let contracts: FakeContractStore;
  let services: InMemoryServiceStore;
  let vees: InMemoryVeeStore;
  let reporter: ReplicaReporter;
  let replica: ServiceRecord;

  const addVee = (v: VeeRecord) => vees.create(v, { veeId: v.id, serviceId: v.serviceId, from: null, to: v.phase, reason: 'seed', by: 'deploy', at: T0 });
  const statuses = () => bus.envelopes('ReplicaStatus');

  beforeEach(async () => {
    const clock = new FakeClock(T0);
    bus = new RecordingBus();
    contracts = new FakeContractStore();
    services = new InMemoryServiceStore();
    vees = new InMemoryVeeStore();
    const opened = openContract(
      { id: CONTRACT, serviceId: PRIMARY_SERVICE, role: 'provider', peer: 'site-a', tiers: [], pricePerHour: 0, currency: 'EUR', phase: 'offered', expiresAt: new Date(T0.getTime() + 30_000) },
      { at: T0, reason: 'offer', by: 'negotiation' },
    );
    await contracts.create(opened);
    const awarded = transitionContract(opened.contract, 'awarded', { at: T0, reason: 'award', by: 'peer', expiresAt: new Date(T0.getTime() + 3_600_000) });
    await contracts.apply(awarded);
    await contracts.apply(transitionContract(awarded.contract, 'active', { at: T0, reason: 'confirmed', by: 'negotiation' }));
    await contracts.setLocalService(CONTRACT, REPLICA);
    replica = buildServiceRecord(REPLICA, buildServiceDefinition({ name: 'shop' }), {
      siteId: 'site-b', phase: 'running', replicaOf: { site: 'site-a', serviceId: PRIMARY_SERVICE, contractId: CONTRACT },
    });
    await services.create(replica, { from: null, to: 'running', reason: 'seed', at: T0 });
    reporter = new ReplicaReporter({
      contracts, services, vees, outbound: new OutboundMessages({ siteId: 'site-b', signer: fed.signer('site-b'), clock, ids: new SequentialIds(), bus, schema }), log: () => undefined,
    });
  });

  it('tells the primary the replica phase and its VEEs, under the primary service id', async () => {
    await addVee(vee(2, 'web', 'running', 'active'));
    await addVee(vee(1, 'db', 'paused', 'standby'));
    await addVee(vee(3, 'web', 'deleted', 'active'));
    await reporter.reportService(replica);
    expect(statuses()).toEqual([
      expect.objectContaining({
        from: 'site-b', to: 'site-a', term: 1,
        body: {
          contractId: CONTRACT, serviceId: PRIMARY_SERVICE, phase: 'running',
          vees: [{ tier: 'db', phase: 'paused', role: 'standby' }, { tier: 'web', phase: 'running', role: 'active' }],
        },
      }),
    ]);
  });

  it('sends only changes, from service events and the periodic pass alike', async () => {
    await reporter.reportService(replica);
    await reporter.reportAll();
    await reporter.reportService(replica);
    expect(statuses().map((s) => s.body.phase)).toEqual(['standby']);
    await addVee(vee(1, 'web', 'running', 'active'));
    await reporter.reportAll();
    expect(statuses().map((s) => s.body.phase)).toEqual(['standby', 'running']);
  });

  it('reports a replica whose service is gone as released', async () => {
    await services.remove(REPLICA);
    await reporter.reportAll();
    expect(statuses().map((s) => s.body)).toEqual([{ contractId: CONTRACT, serviceId: PRIMARY_SERVICE, phase: 'released', vees: [] }]);
  });

  it('reports nothing for a service that is not a replica, or whose contract this site does not provide', async () => {
    await reporter.reportService({ ...replica, replicaOf: undefined });
    await reporter.reportService({ ...replica, replicaOf: { site: 'site-a', serviceId: PRIMARY_SERVICE, contractId: 'unknown' } });
    expect(bus.published).toEqual([]);
  });

  it('tries again on the next pass when a status could not be sent', async () => {
    bus.failWith = new Error('bus down');
    await expect(reporter.reportAll()).rejects.toThrow('bus down');
    bus.failWith = undefined;
    await reporter.reportAll();
    expect(statuses()).toHaveLength(1);
  });
});
