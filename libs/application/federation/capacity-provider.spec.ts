import { AjvMessageValidator } from '@reservoir/adapters/federation/ajv-message-validator';
import { TestFederation } from '@reservoir/adapters/federation/test-federation';
import { BROADCAST, type BodyOf, type Envelope, type MessageType, type TierDemand, type UnsignedEnvelope } from '@reservoir/domain/federation/protocol/envelope';
import { type ContractChange } from '@reservoir/domain/federation/contracts';
import { type ServiceRecord } from '@reservoir/domain/service/service-record';
import { DomainError } from '@reservoir/domain/shared/domain-error';
import { FakeClock, InMemoryServiceStore, SequentialIds } from '@reservoir/testing/fakes';
import { InMemoryHostStore, InMemoryVeeStore } from '@reservoir/testing/fakes-deploy';
import { buildHostRecord, buildServiceRecord, FakeContractStore, RecordingBus } from '@reservoir/testing/fakes-federation';
import { buildServiceDefinition } from '@reservoir/testing/manifest-builders';
import { CapacityProvider } from './capacity-provider';
import { OutboundMessages } from './outbound';

const fed = new TestFederation(['site-a', 'site-b', 'site-c']);
const schema = new AjvMessageValidator();
const T0 = new Date('2026-03-02T10:00:00.000Z');
const SERVICE = 'a0000000-0000-4000-8000-00000000000a';
/** One VEE of 2 vCPU / 2 GiB / 10 GiB: each of the site's two hosts (4 vCPU, 4 GiB) holds two, the site four. */
const web = (instances: number): TierDemand[] => [{ tier: 'web', vcpu: 2, memoryMiB: 2048, diskGiB: 10, instances, protection: 'restart' }];

/** A ContractStore whose `apply` into one phase throws once (a store failure between two steps). */
class FlakyContractStore extends FakeContractStore {
  failOnceInto?: string;
  override async apply(change: ContractChange): Promise<boolean> {
    if (change.entry.to === this.failOnceInto) {
      this.failOnceInto = undefined;
      throw new Error('store unavailable');
    }
    return super.apply(change);
  }
}

describe('CapacityProvider', () => {
  let clock: FakeClock;
  let bus: RecordingBus;
  let contracts: FlakyContractStore;
  let vees: InMemoryVeeStore;
  let services: InMemoryServiceStore;
  let alive: Set<string>;
  let lines: string[];
  let submitted: { manifest: string; replicaOf: ServiceRecord['replicaOf'] }[];
  let submitError: Error | undefined;
  let deleted: string[];
  let provider: CapacityProvider;
  let seq: number;

  /** A message to site-b from a peer, signed by it, with a fresh id. */
  function inbound<T extends MessageType>(type: T, from: string, body: BodyOf<T>, extra: Partial<UnsignedEnvelope<T>> = {}): Envelope<T> {
    seq += 1;
    const id = `cafe0000-0000-4000-8000-${String(seq).padStart(12, '0')}`;
    return fed.message<T>({ type, from, to: 'site-b', body, id, correlationId: id, sentAt: clock.now().toISOString(), term: 1, ...extra });
  }
  const cfp = (tiers: TierDemand[], from = 'site-a', serviceId = SERVICE) =>
    inbound('CallForProposals', from, {
      serviceId, serviceName: 'shop', purpose: 'replica', tiers, deadline: new Date(clock.now().getTime() + 5_000).toISOString(), durationS: 3600,
    }, { to: BROADCAST });
  const offers = () => bus.envelopes('Offer');
  const offerFor = (call: Envelope<'CallForProposals'>): Envelope<'Offer'> => {
    const offer = offers().find((o) => o.correlationId === call.id);
    if (!offer) throw new Error(`no offer for CFP ${call.id}`);
    return offer;
  };
  const award = (offer: Envelope<'Offer'>, from = 'site-a', termMs = 3_600_000) =>
    inbound('Award', from, {
      serviceId: offer.body.serviceId, offerId: offer.id, contractId: offer.id, expiresAt: new Date(clock.now().getTime() + termMs).toISOString(),
    }, { correlationId: offer.correlationId });
  const ship = (contractId: string, from = 'site-a') =>
    inbound('ReplicaShip', from, { contractId, serviceId: SERVICE, serviceName: 'shop', manifest: '<service name="shop"/>', tiers: web(2) });
  /** CFP → offer → award: an active contract for 2 instances; answers its id. */
  async function activeContract(): Promise<string> {
    const call = cfp(web(2));
    await provider.onCallForProposals(call);
    const offer = offerFor(call);
    await provider.onAward(award(offer));
    return offer.id;
  }

  beforeEach(async () => {
    clock = new FakeClock(T0);
    bus = new RecordingBus();
    contracts = new FlakyContractStore();
    vees = new InMemoryVeeStore();
    services = new InMemoryServiceStore();
    const hosts = new InMemoryHostStore();
    for (const id of ['h1', 'h2']) await hosts.create(buildHostRecord(id, { vcpu: 4, memoryMiB: 4096, diskGiB: 100 }));
    alive = new Set(['site-a', 'site-c']);
    lines = [];
    submitted = [];
    submitError = undefined;
    deleted = [];
    seq = 0;
    const ids = new SequentialIds();
    provider = new CapacityProvider({
      siteId: 'site-b',
      contracts,
      hosts,
      vees,
      services,
      outbound: new OutboundMessages({ siteId: 'site-b', signer: fed.signer('site-b'), clock, ids, bus, schema }),
      clock,
      ids,
      priceList: { vcpuHour: 0.01, memoryGiBHour: 0.005, currency: 'EUR' },
      submitReplica: async (manifest, replicaOf) => {
        submitted.push({ manifest: Buffer.from(manifest).toString('utf8'), replicaOf });
        if (submitError) throw submitError;
        const record = buildServiceRecord(`b0000000-0000-4000-8000-${String(submitted.length).padStart(12, '0')}`, buildServiceDefinition({ name: 'shop' }), {
          siteId: 'site-b', phase: 'accepted', replicaOf,
        });
        await services.create(record, { from: null, to: 'accepted', reason: 'replica', at: clock.now() });
        return record;
      },
      deleteService: async (id) => {
        deleted.push(id);
        await services.remove(id);
      },
      peerAlive: (site) => alive.has(site),
      log: (line) => lines.push(line),
    });
  });

  describe('offers and the capacity they hold', () => {
    it('offers every tier in full, priced from the price list, valid until the deadline + the award window', async () => {
      const call = cfp(web(2));
      await provider.onCallForProposals(call);
      const offer = offerFor(call);
      expect(offer).toMatchObject({ from: 'site-b', to: 'site-a', correlationId: call.id, term: 1 });
      expect(offer.body).toEqual({ serviceId: SERVICE, tiers: web(2), pricePerHour: 0.06, currency: 'EUR', validUntil: '2026-03-02T10:00:35.000Z' });
      expect(await contracts.get(offer.id)).toMatchObject({ role: 'provider', peer: 'site-a', phase: 'offered', correlationId: call.id });
    });

    it('answers two concurrent CFPs that together exceed its hosts with one offer only', async () => {
      const first = cfp(web(3));
      const second = cfp(web(3), 'site-c');
      await Promise.all([provider.onCallForProposals(first), provider.onCallForProposals(second)]);
      expect(offers()).toHaveLength(1);
      expect(lines.filter((l) => l.includes('not enough free capacity'))).toHaveLength(1);
    });

    it('offers to both concurrent CFPs when together they fit, and to nothing more once the hosts are booked', async () => {
      await Promise.all([provider.onCallForProposals(cfp(web(2))), provider.onCallForProposals(cfp(web(2), 'site-c'))]);
      expect(offers()).toHaveLength(2);
      await provider.onCallForProposals(cfp(web(1)));
      expect(offers()).toHaveLength(2);
      const booked = (await contracts.listLive({ role: 'provider' })).reduce((n, c) => n + c.tiers[0].instances, 0);
      expect(booked).toBe(4);
    });

    it('gives the capacity of a rejected offer to the next CFP', async () => {
      const first = cfp(web(3));
      await provider.onCallForProposals(first);
      await provider.onCallForProposals(cfp(web(3), 'site-c'));
      expect(offers()).toHaveLength(1);
      const offer = offerFor(first);
      await provider.onReject(inbound('Reject', 'site-a', { serviceId: SERVICE, offerId: offer.id, reason: 'ranked 2 of 2; 1 awarded' }, { correlationId: first.id }));
      expect((await contracts.get(offer.id))?.phase).toBe('released');
      const third = cfp(web(3), 'site-c');
      await provider.onCallForProposals(third);
      expect(offerFor(third).to).toBe('site-c');
    });

    it('stops holding the capacity of an offer whose validity lapsed, before the keeper expires it', async () => {
      await provider.onCallForProposals(cfp(web(3)));
      clock.advance(35_000);
      const later = cfp(web(3), 'site-c');
      await provider.onCallForProposals(later);
      expect(offerFor(later).to).toBe('site-c');
      expect(lines.filter((l) => l.includes('no longer fits'))).toEqual([]);
    });

    it('counts a deployed replica by its VEEs, not a second time by its contract', async () => {
      const id = await activeContract();
      await provider.onReplicaShip(ship(id));
      const local = (await contracts.get(id))?.localServiceId as string;
      for (const [i, hostId] of ['h1', 'h2'].entries()) {
        const spec = { name: `v${i}`, uuid: `v${i}`, vcpu: 2, memoryMiB: 2048, disks: [{ name: 'root', sizeGiB: 10, format: 'qcow2' as const }], networks: [], boot: { kind: 'disk' as const }, properties: {} };
        await vees.create(
          { id: `v${i}`, serviceId: local, serviceName: 'shop', tier: 'web', index: i, hostId, hostName: hostId, role: 'active', phase: 'running', domain: `d${i}`, consoleLog: '', spec, createdAt: T0, updatedAt: T0 },
          { veeId: `v${i}`, serviceId: local, from: null, to: 'running', reason: 'test', by: 'deploy', at: T0 },
        );
      }
      const next = cfp(web(2), 'site-c');
      await provider.onCallForProposals(next);
      expect(offerFor(next).to).toBe('site-c');
      await provider.onCallForProposals(cfp(web(1), 'site-c'));
      expect(offers()).toHaveLength(2);
    });

    it('answers a redelivered CFP once, also when both copies arrive together', async () => {
      const call = cfp(web(1));
      await Promise.all([provider.onCallForProposals(call), provider.onCallForProposals(call)]);
      await provider.onCallForProposals(call);
      expect(offers()).toHaveLength(1);
      expect(await contracts.listLive()).toHaveLength(1);
    });

    it('makes no offer to a peer it does not believe alive', async () => {
      alive.delete('site-a');
      await provider.onCallForProposals(cfp(web(1)));
      expect(offers()).toEqual([]);
      expect(await contracts.listLive()).toEqual([]);
      expect(lines.join('\n')).toContain('no offer to site-a');
    });

    it('releases the reservation when the offer cannot be sent, so the redelivered CFP is answered', async () => {
      const call = cfp(web(3));
      bus.failWith = new Error('bus down');
      await expect(provider.onCallForProposals(call)).rejects.toThrow('bus down');
      expect((await contracts.listByService(SERVICE)).map((c) => c.phase)).toEqual(['released']);
      bus.failWith = undefined;
      await provider.onCallForProposals(call);
      expect(offerFor(call).to).toBe('site-a');
    });
  });

  describe('awards', () => {
    it('activates the contract for the awarded term and confirms it to the consumer', async () => {
      const call = cfp(web(2));
      await provider.onCallForProposals(call);
      const offer = offerFor(call);
      const awarded = award(offer);
      await provider.onAward(awarded);
      const contract = await contracts.get(offer.id);
      expect(contract).toMatchObject({ phase: 'active', expiresAt: new Date(awarded.body.expiresAt) });
      expect(bus.envelopes('ContractConfirm')).toEqual([
        expect.objectContaining({ to: 'site-a', correlationId: call.id, body: { contractId: offer.id, serviceId: SERVICE, expiresAt: awarded.body.expiresAt } }),
      ]);
      expect((await contracts.history(offer.id)).map((h) => h.to)).toEqual(['offered', 'awarded', 'active']);
    });

    it('ignores an award from a site that is not the contract peer', async () => {
      const call = cfp(web(2));
      await provider.onCallForProposals(call);
      const offer = offerFor(call);
      await provider.onAward(award(offer, 'site-c'));
      expect((await contracts.get(offer.id))?.phase).toBe('offered');
      expect(bus.envelopes('ContractConfirm')).toEqual([]);
      expect(lines.join('\n')).toContain('site-c named contract');
    });

    it('refuses to award an offer whose validity lapsed (its capacity may be offered again)', async () => {
      const call = cfp(web(2));
      await provider.onCallForProposals(call);
      clock.advance(35_000);
      await provider.onAward(award(offerFor(call)));
      expect((await contracts.get(offerFor(call).id))?.phase).toBe('offered');
      expect(bus.envelopes('ContractConfirm')).toEqual([]);
      expect(lines.join('\n')).toContain('the offer lapsed');
    });

    it('resumes a contract left awarded by a failure and confirms it on the redelivered award', async () => {
      const call = cfp(web(2));
      await provider.onCallForProposals(call);
      const awarded = award(offerFor(call));
      contracts.failOnceInto = 'active';
      await expect(provider.onAward(awarded)).rejects.toThrow('store unavailable');
      await provider.onAward(awarded);
      expect((await contracts.get(awarded.body.contractId))?.phase).toBe('active');
      expect(bus.envelopes('ContractConfirm')).toHaveLength(1);
    });
  });

  describe('replicas', () => {
    it('deploys the shipped manifest once per contract, with its origin, however often it is delivered', async () => {
      const id = await activeContract();
      const shipped = ship(id);
      await Promise.all([provider.onReplicaShip(shipped), provider.onReplicaShip(shipped)]);
      await provider.onReplicaShip(ship(id));
      expect(submitted).toEqual([{ manifest: '<service name="shop"/>', replicaOf: { site: 'site-a', serviceId: SERVICE, contractId: id } }]);
      expect((await contracts.get(id))?.localServiceId).toBe('b0000000-0000-4000-8000-000000000001');
    });

    it('ignores a ship from another site and one for a contract not yet active', async () => {
      const id = await activeContract();
      await provider.onReplicaShip(ship(id, 'site-c'));
      const call = cfp(web(1), 'site-c');
      await provider.onCallForProposals(call);
      await provider.onReplicaShip(ship(offerFor(call).id, 'site-c'));
      expect(submitted).toEqual([]);
    });

    it('reports a replica it refuses for good as failed instead of throwing, and rethrows a passing failure', async () => {
      const id = await activeContract();
      submitError = new DomainError('conflict', "a service named 'shop' already exists");
      await provider.onReplicaShip(ship(id));
      expect(bus.envelopes('ReplicaStatus')).toEqual([
        expect.objectContaining({ to: 'site-a', body: { contractId: id, serviceId: SERVICE, phase: 'failed', vees: [], reason: "replica refused: a service named 'shop' already exists" } }),
      ]);
      submitError = new Error('database unavailable');
      await expect(provider.onReplicaShip(ship(id))).rejects.toThrow('database unavailable');
      submitError = undefined;
      await provider.onReplicaShip(ship(id));
      expect((await contracts.get(id))?.localServiceId).toBeDefined();
    });
  });

  describe('release and renewal', () => {
    it('deletes the replica and releases the contract on ContractRelease from its consumer only', async () => {
      const id = await activeContract();
      await provider.onReplicaShip(ship(id));
      const local = (await contracts.get(id))?.localServiceId;
      const release = (from: string) => inbound('ContractRelease', from, { contractId: id, serviceId: SERVICE, reason: 'service deleted' });
      await provider.onContractRelease(release('site-c'));
      expect(deleted).toEqual([]);
      await provider.onContractRelease(release('site-a'));
      await provider.onContractRelease(release('site-a'));
      expect(deleted).toEqual([local]);
      expect((await contracts.get(id))?.phase).toBe('released');
    });

    it('extends the term only forward, and ignores a renewal of a lapsed contract', async () => {
      const id = await activeContract();
      const term = (await contracts.get(id))?.expiresAt as Date;
      const renewal = (ms: number) => inbound('ContractRenew', 'site-a', { contractId: id, serviceId: SERVICE, expiresAt: new Date(term.getTime() + ms).toISOString() });
      await provider.onContractRenew(renewal(-60_000));
      expect((await contracts.get(id))?.expiresAt).toEqual(term);
      await provider.onContractRenew(renewal(3_600_000));
      expect((await contracts.get(id))?.expiresAt).toEqual(new Date(term.getTime() + 3_600_000));
      await provider.onContractRenew(inbound('ContractRenew', 'site-c', { contractId: id, serviceId: SERVICE, expiresAt: new Date(term.getTime() + 7_200_000).toISOString() }));
      expect((await contracts.get(id))?.expiresAt).toEqual(new Date(term.getTime() + 3_600_000));
      clock.advance(3 * 3_600_000);
      await expect(provider.onContractRenew(renewal(9 * 3_600_000))).resolves.toBeUndefined();
      expect(lines.join('\n')).toContain('it lapsed');
    });
  });
});
