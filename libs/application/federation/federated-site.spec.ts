/**
 * Three sites on one in-memory bus, each with its own stores, hosts and keys, every message through the real
 * inbound gate: liveness, a replica negotiation, the replicas shipped, deployed and reported back, and the end
 * of the contracts when the primary's service is deleted.
 */
import { MemoryEventBus } from '@reservoir/adapters/bus/memory-event-bus';
import { AjvMessageValidator } from '@reservoir/adapters/federation/ajv-message-validator';
import { Ed25519Verifier } from '@reservoir/adapters/federation/ed25519';
import { MemorySeenMessages } from '@reservoir/adapters/federation/memory-seen-messages';
import { TestFederation } from '@reservoir/adapters/federation/test-federation';
import { DEFAULT_LIVENESS_SETTINGS } from '@reservoir/domain/federation/liveness';
import { type DeadLetter } from '@reservoir/domain/federation/protocol/dead-letter';
import { type Envelope, PROTOCOL_VERSION } from '@reservoir/domain/federation/protocol/envelope';
import { RSRS_BROADCAST_TOPIC, RSRS_DEAD_LETTER_TOPIC } from '@reservoir/domain/federation/protocol/topics';
import { type ServiceDefinition } from '@reservoir/domain/manifest/service-definition';
import { type BusMessage } from '@reservoir/domain/ports/event-bus.port';
import { type ReplicaOrigin, type ServiceRecord } from '@reservoir/domain/service/service-record';
import { FakeClock, InMemoryServiceStore } from '@reservoir/testing/fakes';
import { InMemoryHostStore, InMemoryVeeStore } from '@reservoir/testing/fakes-deploy';
import { buildHostRecord, buildServiceRecord, FakeContractStore, PrefixedIds } from '@reservoir/testing/fakes-federation';
import { buildServiceDefinition, manifestXmlFor } from '@reservoir/testing/manifest-builders';
import { SERVICE_EVENTS_TOPIC, type ServiceLifecycleEvent } from '../services/service-events';
import { FederatedSite, FORGET_EXPIRED_EVERY_MS } from './federated-site';

const SITES = ['site-a', 'site-b', 'site-c'] as const;
type SiteId = (typeof SITES)[number];
const PREFIX: Record<SiteId, string> = { 'site-a': 'aaaaaaaa', 'site-b': 'bbbbbbbb', 'site-c': 'cccccccc' };
const fed = new TestFederation([...SITES]);
const schema = new AjvMessageValidator();
const verifier = new Ed25519Verifier();
const HOUR = 3_600_000;
const SERVICE = 'aaaaaaaa-ffff-4000-8000-000000000001';
const definition: ServiceDefinition = buildServiceDefinition({ name: 'shop', tiers: 2, relations: 'none', replicas: 2 });
const MANIFEST = manifestXmlFor(definition);

/** A MemoryEventBus that counts publishes, so a test can wait until nothing more is in flight. */
class SettlingBus extends MemoryEventBus {
  published = 0;
  override async publish(message: BusMessage): Promise<void> {
    this.published += 1;
    await super.publish(message);
  }
  /** Drains until a drain publishes nothing new: every message and every message it caused is handled. */
  async settle(): Promise<void> {
    for (let i = 0; i < 100; i += 1) {
      const before = this.published;
      await this.drain();
      if (this.published === before) return;
    }
    throw new Error('the bus did not settle');
  }
}

/** One site: its FederatedSite and the stores and hooks a test looks at. */
interface Site {
  id: SiteId;
  fed: FederatedSite;
  contracts: FakeContractStore;
  services: InMemoryServiceStore;
  vees: InMemoryVeeStore;
  seen: MemorySeenMessages;
  submitted: { manifest: string; replicaOf: ReplicaOrigin }[];
  updates: { serviceId: string; tier: string; update: unknown; revision: number }[];
  deleted: string[];
  lines: string[];
}

describe('FederatedSite: three sites on one bus', () => {
  let clock: FakeClock;
  let bus: SettlingBus;
  let undeliverable: { message: BusMessage; error: unknown }[];
  let sites: Record<SiteId, Site>;
  let taps: Record<string, BusMessage[]>;

  async function makeSite(id: SiteId): Promise<Site> {
    const ids = new PrefixedIds(PREFIX[id]);
    const contracts = new FakeContractStore();
    const services = new InMemoryServiceStore();
    const vees = new InMemoryVeeStore();
    const hosts = new InMemoryHostStore();
    for (const h of ['h1', 'h2']) await hosts.create(buildHostRecord(`${id}-${h}`, { vcpu: 8, memoryMiB: 8192, diskGiB: 200 }));
    const seen = new MemorySeenMessages();
    const site: Omit<Site, 'fed'> = { id, contracts, services, vees, seen, submitted: [], updates: [], deleted: [], lines: [] };
    /** Stands in for SubmitService + the deployer: the replica is stored running with its VEEs, and announced. */
    const submitReplica = async (manifest: Uint8Array, replicaOf: ReplicaOrigin): Promise<ServiceRecord> => {
      site.submitted.push({ manifest: Buffer.from(manifest).toString('utf8'), replicaOf });
      const now = clock.now();
      const record = buildServiceRecord(ids.next(), definition, { siteId: id, phase: 'running', manifest, replicaOf, createdAt: now, updatedAt: now });
      await services.create(record, { from: null, to: 'running', reason: 'replica deployed', at: now });
      for (const tier of definition.tiers) {
        for (let index = 0; index < tier.vee.instances; index += 1) {
          const veeId = ids.next();
          const spec = { name: veeId, uuid: veeId, vcpu: tier.vee.vcpu, memoryMiB: tier.vee.memoryMiB, disks: [], networks: [], boot: { kind: 'disk' as const }, properties: {} };
          await vees.create(
            { id: veeId, serviceId: record.id, serviceName: record.name, tier: tier.name, index, hostId: `${id}-h1`, hostName: 'h1', role: 'active', phase: 'running', domain: veeId, consoleLog: '', spec, createdAt: now, updatedAt: now },
            { veeId, serviceId: record.id, from: null, to: 'running', reason: 'deployed', by: 'deploy', at: now },
          );
        }
      }
      const event: ServiceLifecycleEvent = { type: 'ServicePhaseChanged', serviceId: record.id, name: record.name, siteId: id, from: 'deploying', to: 'running', reason: 'all running', at: now.toISOString() };
      await bus.publish({ topic: SERVICE_EVENTS_TOPIC, key: record.id, value: JSON.stringify(event) });
      return record;
    };
    const federated = new FederatedSite({
      siteId: id, peers: fed.peers, signer: fed.signer(id), verifier, schema, seen, clockWindowMs: 300_000, bus, clock, ids, contracts, services, vees, hosts,
      liveness: DEFAULT_LIVENESS_SETTINGS,
      negotiation: { cfpWindowMs: 5_000, contractDurationMs: HOUR, policy: { currency: 'EUR' } },
      priceList: { vcpuHour: 0.01, memoryGiBHour: 0.005, currency: 'EUR' },
      keeperPeriodMs: 10_000,
      incarnation: `inc-${id}`,
      submitReplica,
      applyUpdate: async (serviceId, tier, update, revision) => void site.updates.push({ serviceId, tier, update, revision }),
      deleteService: async (serviceId) => {
        site.deleted.push(serviceId);
        vees.dropService(serviceId);
        await services.remove(serviceId);
      },
      log: (line) => site.lines.push(line),
    });
    return { ...site, fed: federated };
  }

  const tap = async (topic: string) => {
    taps[topic] = [];
    await bus.subscribe(topic, 'test-tap', async (m) => void taps[topic].push(m));
  };
  const tapped = <T>(topic: string): T[] => taps[topic].map((m) => JSON.parse(m.value) as T);
  /** `seconds` heartbeat intervals: the clock moves on, every site beats and checks, the bus settles. */
  async function beat(seconds: number): Promise<void> {
    for (let i = 0; i < seconds; i += 1) {
      clock.advance(DEFAULT_LIVENESS_SETTINGS.heartbeatIntervalMs);
      for (const s of SITES) await sites[s].fed.liveness.round();
      await bus.settle();
    }
  }
  /** Site a's replica round for the service: a sweep opens it, the window passes with sites beating, it closes. */
  async function negotiate(): Promise<Envelope<'CallForProposals'>> {
    await sites['site-a'].fed.sweep();
    await bus.settle();
    const cfps = tapped<Envelope>(RSRS_BROADCAST_TOPIC).filter((e): e is Envelope<'CallForProposals'> => e.type === 'CallForProposals');
    expect(cfps).toHaveLength(1);
    await beat(5);
    await sites['site-a'].fed.negotiator.close(cfps[0].id);
    await bus.settle();
    return cfps[0];
  }

  beforeEach(async () => {
    // Only the timers are faked: start() arms intervals that must never fire on their own here.
    jest.useFakeTimers({ doNotFake: ['Date', 'nextTick', 'setImmediate', 'queueMicrotask', 'hrtime', 'performance'] });
    clock = new FakeClock(new Date('2026-03-02T10:00:00.000Z'));
    undeliverable = [];
    bus = new SettlingBus((message, error) => void undeliverable.push({ message, error }));
    sites = {} as Record<SiteId, Site>;
    for (const id of SITES) sites[id] = await makeSite(id);
    taps = {};
    await tap(RSRS_BROADCAST_TOPIC);
    await tap(RSRS_DEAD_LETTER_TOPIC);
    const a = sites['site-a'];
    await a.services.create(buildServiceRecord(SERVICE, definition, { siteId: 'site-a', manifest: new TextEncoder().encode(MANIFEST) }), { from: null, to: 'running', reason: 'test', at: clock.now() });
    for (const id of SITES) await sites[id].fed.start();
    await bus.settle();
    await beat(3);
  });

  afterEach(async () => {
    for (const id of SITES) await sites[id].fed.stop();
    jest.useRealTimers();
    expect(undeliverable).toEqual([]);
  });

  it('makes the peers alive after a few steady heartbeats', () => {
    for (const id of SITES) {
      expect(sites[id].fed.liveness.alivePeers()).toEqual(SITES.filter((s) => s !== id));
      expect(sites[id].fed.liveness.sites().map((s) => s.state)).toEqual(['alive', 'alive']);
    }
  });

  it('finds two replica sites, ships them the manifest and shows their reported status', async () => {
    const cfp = await negotiate();
    expect(cfp.body).toMatchObject({ serviceId: SERVICE, serviceName: 'shop', purpose: 'replica' });
    const a = sites['site-a'];
    const consumer = await a.contracts.listByService(SERVICE);
    expect(consumer.map((c) => [c.peer, c.role, c.phase])).toEqual([['site-b', 'consumer', 'active'], ['site-c', 'consumer', 'active']].sort());
    for (const id of ['site-b', 'site-c'] as const) {
      const contract = consumer.find((c) => c.peer === id);
      expect(sites[id].submitted).toEqual([{ manifest: MANIFEST, replicaOf: { site: 'site-a', serviceId: SERVICE, contractId: contract?.id } }]);
      const provided = await sites[id].contracts.get(contract?.id as string);
      expect(provided).toMatchObject({ role: 'provider', peer: 'site-a', phase: 'active', expiresAt: contract?.expiresAt });
      expect(provided?.localServiceId).toBe((await sites[id].services.list(10, 0)).items[0].id);
    }
    const replicas = await a.fed.replicas(SERVICE);
    expect(replicas.map((r) => [r.site, r.phase, r.contract.phase])).toEqual([['site-b', 'running', 'active'], ['site-c', 'running', 'active']]);
    expect(await a.fed.loadBalancing((await a.services.get(SERVICE)) as ServiceRecord)).toEqual({ 'site-a': 0.334, 'site-b': 0.333, 'site-c': 0.333 });
    await a.fed.sweep();
    await bus.settle();
    expect(tapped<Envelope>(RSRS_BROADCAST_TOPIC).filter((e) => e.type === 'CallForProposals')).toHaveLength(1);
  });

  it('passes a tier update at the primary to both replicas, and brings a replica shipped later to the current revision', async () => {
    await negotiate();
    const a = sites['site-a'];
    const service = (await a.services.get(SERVICE)) as ServiceRecord;
    const update = { configuration: [{ name: 'listen-port', value: '8443' }] };
    await a.fed.propagateUpdate(service, 'web', update, 1);
    await bus.settle();
    for (const id of ['site-b', 'site-c'] as const) {
      const local = (await sites[id].services.list(10, 0)).items[0];
      expect(sites[id].updates).toEqual([{ serviceId: local?.id, tier: 'web', update, revision: 1 }]);
    }
    // A replica's own update is not passed on.
    await sites['site-b'].fed.propagateUpdate({ ...service, replicaOf: { site: 'site-a', serviceId: SERVICE, contractId: 'x' } }, 'web', update, 2);
    await bus.settle();
    expect(sites['site-c'].updates).toHaveLength(1);
  });

  it('releases both contracts and removes both replicas when the primary deletes the service', async () => {
    await negotiate();
    const event: ServiceLifecycleEvent = { type: 'ServicePhaseChanged', serviceId: SERVICE, name: 'shop', siteId: 'site-a', from: 'running', to: 'deleting', reason: 'user', at: clock.now().toISOString() };
    await bus.publish({ topic: SERVICE_EVENTS_TOPIC, key: SERVICE, value: JSON.stringify(event) });
    await bus.settle();
    expect((await sites['site-a'].contracts.listByService(SERVICE)).map((c) => c.phase)).toEqual(['released', 'released']);
    for (const id of ['site-b', 'site-c'] as const) {
      expect(sites[id].deleted).toHaveLength(1);
      expect((await sites[id].contracts.listByService(SERVICE)).map((c) => c.phase)).toEqual(['released']);
      expect(await sites[id].vees.listLive()).toEqual([]);
    }
  });

  it('breaks the contract with a site that goes silent, and keeps the other', async () => {
    await negotiate();
    for (let i = 0; i < 10; i += 1) {
      clock.advance(1_000);
      for (const s of ['site-a', 'site-b'] as const) await sites[s].fed.liveness.round();
      await bus.settle();
    }
    const a = sites['site-a'];
    expect(a.fed.liveness.state('site-c')).toBe('dead');
    expect((await a.contracts.listByService(SERVICE)).map((c) => [c.peer, c.phase])).toEqual([['site-b', 'active'], ['site-c', 'broken']]);
    expect((await a.fed.replicas(SERVICE)).map((r) => r.site)).toEqual(['site-b']);
  });

  it('dead-letters a forged message before any handler sees it', async () => {
    await negotiate();
    const a = sites['site-a'];
    const [contract] = await a.contracts.listByService(SERVICE);
    const before = await a.fed.replicas(SERVICE);
    const forged = fed.sign<'ReplicaStatus'>({
      v: PROTOCOL_VERSION, type: 'ReplicaStatus', id: 'dddddddd-0000-4000-8000-000000000001', from: contract.peer, to: 'site-a', sentAt: clock.now().toISOString(),
      correlationId: 'dddddddd-0000-4000-8000-000000000001', term: 1, body: { contractId: contract.id, serviceId: SERVICE, phase: 'failed', vees: [] },
    }, TestFederation.signerFor('site-x'));
    await bus.publish({ topic: 'rsrs.site-a', key: SERVICE, value: JSON.stringify(forged) });
    await bus.settle();
    expect(await a.fed.replicas(SERVICE)).toEqual(before);
    expect(tapped<DeadLetter>(RSRS_DEAD_LETTER_TOPIC)).toEqual([expect.objectContaining({ reason: 'bad-signature', topic: 'rsrs.site-a', raw: JSON.stringify(forged) })]);
    expect(taps[RSRS_DEAD_LETTER_TOPIC][0].key).toBe(contract.peer);
  });

  it('drops expired replay records from its sweep about once a minute', async () => {
    const a = sites['site-a'];
    const forget = jest.spyOn(a.seen, 'forgetBefore');
    await a.fed.sweep();
    clock.advance(FORGET_EXPIRED_EVERY_MS / 2);
    await a.fed.sweep();
    expect(forget).toHaveBeenCalledTimes(1);
    clock.advance(FORGET_EXPIRED_EVERY_MS / 2);
    await a.fed.sweep();
    expect(forget).toHaveBeenCalledTimes(2);
    expect(forget).toHaveBeenLastCalledWith(new Date(clock.now().getTime() - 2 * 300_000));
    await bus.settle();
  });
});
