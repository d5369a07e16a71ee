import { AjvMessageValidator } from '@reservoir/adapters/federation/ajv-message-validator';
import { TestFederation } from '@reservoir/adapters/federation/test-federation';
import { demandOf } from '@reservoir/domain/federation/negotiation';
import { type BodyOf, type Envelope, type MessageType, type UnsignedEnvelope } from '@reservoir/domain/federation/protocol/envelope';
import { type BusMessage } from '@reservoir/domain/ports/event-bus.port';
import { type ServiceRecord } from '@reservoir/domain/service/service-record';
import { FakeClock, InMemoryServiceStore, SequentialIds } from '@reservoir/testing/fakes';
import { buildServiceRecord, FakeContractStore, RecordingBus } from '@reservoir/testing/fakes-federation';
import { buildServiceDefinition } from '@reservoir/testing/manifest-builders';
import { OutboundMessages } from './outbound';
import { type NegotiationSettings, ReplicaNegotiator } from './replica-negotiator';

const fed = new TestFederation(['site-a', 'site-b', 'site-c', 'site-d']);
const schema = new AjvMessageValidator();
const T0 = new Date('2026-03-02T10:00:00.000Z');
const SERVICE = 'a0000000-0000-4000-8000-00000000000a';
const MANIFEST = '<service name="shop">…</service>';
const HOUR = 3_600_000;
/** Distance first (c and d are near, b is far), then price: b is cheapest but far. */
const settings: NegotiationSettings = {
  cfpWindowMs: 5_000,
  contractDurationMs: HOUR,
  policy: { distanceClass: { 'site-b': 2, 'site-c': 1, 'site-d': 1 }, currency: 'EUR' },
};

/** Records publishes; those to `failTo`'s inbox throw (one peer unreachable). */
class PartlyFailingBus extends RecordingBus {
  failTo?: string;
  override async publish(message: BusMessage): Promise<void> {
    if (message.topic === `rsrs.${this.failTo}`) throw new Error(`no route to ${this.failTo}`);
    await super.publish(message);
  }
}

describe('ReplicaNegotiator', () => {
  let clock: FakeClock;
  let bus: PartlyFailingBus;
  let contracts: FakeContractStore;
  let services: InMemoryServiceStore;
  let alive: string[];
  let lines: string[];
  let negotiator: ReplicaNegotiator;
  let service: ServiceRecord;
  let seq: number;

  function inbound<T extends MessageType>(type: T, from: string, body: BodyOf<T>, extra: Partial<UnsignedEnvelope<T>> = {}): Envelope<T> {
    seq += 1;
    const id = `${from === 'site-b' ? 'bbbbbbbb' : from === 'site-c' ? 'cccccccc' : 'dddddddd'}-0000-4000-8000-${String(seq).padStart(12, '0')}`;
    return fed.message<T>({ type, from, to: 'site-a', body, id, correlationId: id, sentAt: clock.now().toISOString(), term: 1, ...extra });
  }
  const offer = (cfp: Envelope<'CallForProposals'>, from: string, pricePerHour: number) =>
    inbound('Offer', from, {
      serviceId: cfp.body.serviceId, tiers: cfp.body.tiers, pricePerHour, currency: 'EUR', validUntil: new Date(Date.parse(cfp.body.deadline) + 30_000).toISOString(),
    }, { correlationId: cfp.id });
  const theCfp = (): Envelope<'CallForProposals'> => {
    const cfps = bus.envelopes('CallForProposals');
    expect(cfps).toHaveLength(1);
    return cfps[0];
  };
  /** A round for the service with offers from `prices`' sites, closed at its deadline. */
  async function negotiate(prices: Record<string, number>): Promise<Envelope<'CallForProposals'>> {
    await negotiator.ensureReplicas(service);
    const cfp = theCfp();
    for (const [site, price] of Object.entries(prices)) await negotiator.onOffer(offer(cfp, site, price));
    clock.advance(settings.cfpWindowMs);
    await negotiator.close(cfp.id);
    return cfp;
  }
  const confirm = (contractId: string, from: string) =>
    inbound('ContractConfirm', from, { contractId, serviceId: SERVICE, expiresAt: new Date(clock.now().getTime() + HOUR).toISOString() });
  const sentTo = (type: MessageType) => bus.envelopes(type).map((e) => e.to).sort();

  beforeEach(async () => {
    clock = new FakeClock(T0);
    bus = new PartlyFailingBus();
    contracts = new FakeContractStore();
    services = new InMemoryServiceStore();
    service = buildServiceRecord(SERVICE, buildServiceDefinition({ name: 'shop', tiers: 2, replicas: 2 }), { manifest: new TextEncoder().encode(MANIFEST) });
    await services.create(service, { from: null, to: 'running', reason: 'test', at: T0 });
    alive = ['site-b', 'site-c', 'site-d'];
    lines = [];
    seq = 0;
    const ids = new SequentialIds();
    negotiator = new ReplicaNegotiator({
      siteId: 'site-a',
      contracts,
      services,
      outbound: new OutboundMessages({ siteId: 'site-a', signer: fed.signer('site-a'), clock, ids, bus, schema }),
      clock,
      settings,
      alivePeers: () => [...alive],
      log: (line) => lines.push(line),
    });
  });

  afterEach(() => negotiator.stop());

  describe('a round', () => {
    it('broadcasts a CFP for the service demand, with the window as deadline and the contract term', async () => {
      await negotiator.ensureReplicas(service);
      expect(theCfp()).toMatchObject({
        from: 'site-a', to: '*', term: 1,
        body: { serviceId: SERVICE, serviceName: 'shop', purpose: 'replica', tiers: demandOf(service.definition), deadline: '2026-03-02T10:00:05.000Z', durationS: 3600 },
      });
    });

    it('awards the two best offers by distance class, then price, and rejects the third', async () => {
      const cfp = await negotiate({ 'site-b': 0.1, 'site-c': 0.5, 'site-d': 0.3 });
      const awards = bus.envelopes('Award');
      expect(awards.map((a) => a.to)).toEqual(['site-d', 'site-c']);
      for (const a of awards) {
        expect(a).toMatchObject({ correlationId: cfp.id, body: { serviceId: SERVICE, expiresAt: '2026-03-02T11:00:05.000Z' } });
        expect(a.body.contractId).toBe(a.body.offerId);
        expect(await contracts.get(a.body.contractId)).toMatchObject({ role: 'consumer', peer: a.to, phase: 'awarded', correlationId: cfp.id });
      }
      expect(bus.envelopes('Reject')).toEqual([expect.objectContaining({ to: 'site-b', correlationId: cfp.id, body: expect.objectContaining({ reason: 'ranked 3 of 3; 2 awarded' }) })]);
    });

    it('ignores an offer for a CFP it does not have open', async () => {
      await negotiator.ensureReplicas(service);
      const cfp = theCfp();
      const stray = offer({ ...cfp, id: 'eeeeeeee-0000-4000-8000-000000000001' }, 'site-b', 0.1);
      await negotiator.onOffer(stray);
      clock.advance(settings.cfpWindowMs);
      await negotiator.close(cfp.id);
      expect(bus.envelopes('Award')).toEqual([]);
      expect(bus.envelopes('Reject')).toEqual([]);
      expect(lines.join('\n')).toContain('answers no open CFP');
    });

    it('rejects, unranked, an offer from a site that is no longer alive', async () => {
      await negotiator.ensureReplicas(service);
      const cfp = theCfp();
      for (const site of ['site-b', 'site-c', 'site-d']) await negotiator.onOffer(offer(cfp, site, 0.2));
      alive = ['site-b', 'site-c'];
      await negotiator.close(cfp.id);
      expect(sentTo('Award')).toEqual(['site-b', 'site-c']);
      expect(bus.envelopes('Reject')).toEqual([expect.objectContaining({ to: 'site-d', body: expect.objectContaining({ reason: 'site site-d is not alive' }) })]);
    });

    it('awards the other offers when one award cannot be sent, and releases that contract', async () => {
      bus.failTo = 'site-d';
      await negotiate({ 'site-b': 0.1, 'site-c': 0.5, 'site-d': 0.3 });
      expect(sentTo('Award')).toEqual(['site-c']);
      expect(sentTo('Reject')).toEqual(['site-b']);
      const phases = (await contracts.listByService(SERVICE)).map((c) => [c.peer, c.phase]).sort();
      expect(phases).toEqual([['site-c', 'awarded'], ['site-d', 'released']]);
      expect(lines.join('\n')).toContain('no route to site-d');
    });
  });

  describe('ensureReplicas', () => {
    const records: [string, () => ServiceRecord][] = [
      ['a replica service', () => ({ ...service, replicaOf: { site: 'site-b', serviceId: 'x', contractId: 'y' } })],
      ['a service wanting no replicas', () => ({ ...service, definition: { ...service.definition, qos: { replicas: 0 } } })],
      ['a service that is not running', () => ({ ...service, phase: 'deploying' })],
    ];
    it.each(records)('does nothing for %s', async (_label, record) => {
      await negotiator.ensureReplicas(record());
      expect(bus.published).toEqual([]);
    });

    it('does nothing when no peer is alive', async () => {
      alive = [];
      await negotiator.ensureReplicas(service);
      expect(bus.published).toEqual([]);
    });

    it('opens one round at a time, also when asked twice at once', async () => {
      await Promise.all([negotiator.ensureReplicas(service), negotiator.ensureReplicas(service)]);
      await negotiator.ensureReplicas(service);
      expect(bus.envelopes('CallForProposals')).toHaveLength(1);
    });

    it('asks only for the replicas still missing and never awards a second contract to a site that holds one', async () => {
      await negotiate({ 'site-c': 0.5 });
      bus.clear();
      await negotiator.ensureReplicas(service);
      const cfp = theCfp();
      for (const [site, price] of [['site-b', 0.9], ['site-c', 0.1]] as const) await negotiator.onOffer(offer(cfp, site, price));
      await negotiator.close(cfp.id);
      expect(sentTo('Award')).toEqual(['site-b']);
      expect(bus.envelopes('Reject')).toEqual([expect.objectContaining({ to: 'site-c', body: expect.objectContaining({ reason: 'site site-c already holds a replica of the service' }) })]);
      bus.clear();
      await negotiator.ensureReplicas(service);
      expect(bus.published).toEqual([]);
    });
  });

  describe('contracts', () => {
    it('activates a confirmed contract and ships the manifest to its provider', async () => {
      const cfp = await negotiate({ 'site-c': 0.5 });
      const [award] = bus.envelopes('Award');
      await negotiator.onContractConfirm(confirm(award.body.contractId, 'site-c'));
      expect((await contracts.get(award.body.contractId))?.phase).toBe('active');
      expect(bus.envelopes('ReplicaShip')).toEqual([
        expect.objectContaining({
          to: 'site-c', term: 1,
          body: { contractId: award.body.contractId, serviceId: SERVICE, serviceName: 'shop', manifest: MANIFEST, tiers: cfp.body.tiers },
        }),
      ]);
    });

    it('ignores a confirmation from another site, and one that comes after the term ended', async () => {
      await negotiate({ 'site-c': 0.5 });
      const [award] = bus.envelopes('Award');
      await negotiator.onContractConfirm(confirm(award.body.contractId, 'site-b'));
      clock.advance(HOUR);
      await expect(negotiator.onContractConfirm(confirm(award.body.contractId, 'site-c'))).resolves.toBeUndefined();
      expect((await contracts.get(award.body.contractId))?.phase).toBe('awarded');
      expect(bus.envelopes('ReplicaShip')).toEqual([]);
    });

    it('keeps the ReplicaStatus of the contract provider and ignores one from another site', async () => {
      await negotiate({ 'site-c': 0.5 });
      const [award] = bus.envelopes('Award');
      const contractId = award.body.contractId;
      const status = (from: string) => inbound('ReplicaStatus', from, { contractId, serviceId: SERVICE, phase: 'running', vees: [{ tier: 'tier-001', phase: 'running', role: 'active' }] });
      await negotiator.onReplicaStatus(status('site-b'));
      expect((await contracts.get(contractId))?.replica).toBeUndefined();
      const fromC = status('site-c');
      await negotiator.onReplicaStatus(fromC);
      expect((await contracts.get(contractId))?.replica).toEqual({ phase: 'running', vees: fromC.body.vees, at: new Date(fromC.sentAt) });
    });

    it('releases every live contract of the service and tells each replica site', async () => {
      await negotiate({ 'site-c': 0.5, 'site-d': 0.5 });
      const [first] = bus.envelopes('Award');
      await negotiator.onContractConfirm(confirm(first.body.contractId, first.to));
      bus.clear();
      await negotiator.releaseAll(SERVICE, 'the service was deleted at its primary');
      expect(bus.envelopes('ContractRelease').map((e) => [e.to, e.body.reason]).sort()).toEqual([
        ['site-c', 'the service was deleted at its primary'],
        ['site-d', 'the service was deleted at its primary'],
      ]);
      expect((await contracts.listByService(SERVICE)).map((c) => c.phase)).toEqual(['released', 'released']);
      bus.clear();
      await negotiator.releaseAll(SERVICE, 'again');
      expect(bus.published).toEqual([]);
    });

    it('cancels the open round of a deleted service: its offers are rejected, nothing is awarded', async () => {
      await negotiator.ensureReplicas(service);
      const cfp = theCfp();
      await negotiator.onOffer(offer(cfp, 'site-b', 0.5));
      await negotiator.releaseAll(SERVICE, 'the service was deleted at its primary');
      await negotiator.close(cfp.id);
      expect(bus.envelopes('Award')).toEqual([]);
      expect(bus.envelopes('Reject')).toEqual([expect.objectContaining({ to: 'site-b', body: expect.objectContaining({ reason: 'the service was deleted at its primary' }) })]);
    });
  });
});
