import { AjvMessageValidator } from '@reservoir/adapters/federation/ajv-message-validator';
import { Ed25519Verifier } from '@reservoir/adapters/federation/ed25519';
import { MemorySeenMessages } from '@reservoir/adapters/federation/memory-seen-messages';
import { TestFederation } from '@reservoir/adapters/federation/test-federation';
import { BROADCAST, type TierDemand } from '@reservoir/domain/federation/protocol/envelope';
import { checkInbound } from '@reservoir/domain/federation/protocol/inbound-checks';
import { verifyEnvelope } from '@reservoir/domain/federation/protocol/signing';
import { type BusMessage, type EventBus } from '@reservoir/domain/ports/event-bus.port';
import { DomainError } from '@reservoir/domain/shared/domain-error';
import { FakeClock, SequentialIds } from '@reservoir/testing/fakes';
import { OutboundMessages, toBusMessage } from './outbound';

const fed = new TestFederation(['site-a', 'site-b']);
const tiers: TierDemand[] = [{ tier: 'web', vcpu: 2, memoryMiB: 2048, diskGiB: 10, instances: 2, protection: 'restart' }];
const cfp = { serviceId: 'svc-1', serviceName: 'shop', purpose: 'replica' as const, tiers, deadline: '2026-01-01T00:00:05.000Z', durationS: 3600 };

class PublishOnlyBus implements EventBus {
  readonly published: BusMessage[] = [];
  async publish(m: BusMessage): Promise<void> {
    this.published.push(m);
  }
  subscribe(): Promise<void> {
    throw new Error('unexpected subscribe');
  }
  ping(): Promise<void> {
    throw new Error('unexpected ping');
  }
  close(): Promise<void> {
    throw new Error('unexpected close');
  }
}

describe('OutboundMessages', () => {
  let bus: PublishOnlyBus;
  let outbound: OutboundMessages;
  const clock = new FakeClock();

  beforeEach(() => {
    bus = new PublishOnlyBus();
    outbound = new OutboundMessages({ siteId: 'site-a', signer: fed.signer('site-a'), clock, ids: new SequentialIds(), bus, schema: new AjvMessageValidator() });
  });

  it("seals an envelope from this site, signed with its key, that the addressee's checks accept", async () => {
    const envelope = outbound.seal('CallForProposals', BROADCAST, cfp, { term: 4 });
    expect(envelope).toEqual({
      v: '1.0', type: 'CallForProposals', id: '00000000-0000-4000-8000-000000000001', from: 'site-a', to: BROADCAST,
      sentAt: '2026-01-01T00:00:00.000Z', correlationId: '00000000-0000-4000-8000-000000000001', term: 4, body: cfp, sig: expect.stringMatching(/^[\w-]{86}$/),
    });
    expect(verifyEnvelope(envelope, fed.signer('site-a').publicKey, new Ed25519Verifier())).toBe(true);
    expect(verifyEnvelope({ ...envelope, term: 5 }, fed.signer('site-a').publicKey, new Ed25519Verifier())).toBe(false);
    const received = await checkInbound(JSON.stringify(envelope), {
      self: 'site-b', peers: fed.peers, schema: new AjvMessageValidator(), verifier: new Ed25519Verifier(), seen: new MemorySeenMessages(), now: clock.now(),
    });
    expect(received).toEqual({ ok: true, envelope });
  });

  it('keeps the conversation it is given and leaves term out of heartbeats', () => {
    const offer = outbound.seal('Offer', 'site-b', { serviceId: 'svc-1', tiers, pricePerHour: 1, currency: 'EUR', validUntil: '2026-01-01T00:01:00.000Z' }, {
      term: 1, correlationId: '00000000-0000-4000-8000-0000000000cf',
    });
    expect(offer.correlationId).toBe('00000000-0000-4000-8000-0000000000cf');
    const beat = outbound.seal('Heartbeat', BROADCAST, { seq: 1, incarnation: 'x' });
    expect('term' in beat).toBe(false);
  });

  it('refuses a service message without its term, a message to itself and one that breaks its schema', () => {
    expect(() => outbound.seal('CallForProposals', BROADCAST, cfp)).toThrow(DomainError);
    expect(() => outbound.seal('CallForProposals', BROADCAST, cfp)).toThrow(/needs its primary term/);
    expect(() => outbound.seal('Heartbeat', 'site-a', { seq: 1, incarnation: 'x' })).toThrow(/does not send Heartbeat to itself/);
    try {
      outbound.seal('CallForProposals', BROADCAST, { ...cfp, tiers: [] }, { term: 1 });
      throw new Error('sealed');
    } catch (err) {
      expect(err).toBeInstanceOf(DomainError);
      expect((err as DomainError).details).toEqual([{ path: '/body/tiers', message: 'must NOT have fewer than 1 items' }]);
    }
  });

  it("routes to the addressee's inbox or the broadcast topic, keyed by service id, else by sender", async () => {
    const beat = outbound.seal('Heartbeat', BROADCAST, { seq: 1, incarnation: 'x' });
    expect(toBusMessage(beat)).toEqual({ topic: 'rsrs.broadcast', key: 'site-a', value: JSON.stringify(beat) });
    const sent = await outbound.send('ContractRelease', 'site-b', { contractId: 'c-1', serviceId: 'svc-1', reason: 'done' }, { term: 2 });
    expect(bus.published).toEqual([{ topic: 'rsrs.site-b', key: 'svc-1', value: JSON.stringify(sent) }]);
    const sealed = outbound.seal('ContractRenew', 'site-b', { contractId: 'c-1', serviceId: 'svc-2', expiresAt: '2026-01-02T00:00:00.000Z' }, { term: 2 });
    expect(bus.published).toHaveLength(1);
    await outbound.publish(sealed);
    expect(bus.published[1]).toEqual({ topic: 'rsrs.site-b', key: 'svc-2', value: JSON.stringify(sealed) });
  });
});
