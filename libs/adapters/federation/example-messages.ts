/**
 * One example of every RS-RS message type, signed with the {@link TestFederation} keys of sites `site-a` (the
 * primary), `site-b` (the replica) and `site-c`: the examples in schemas/rsrs/*.json and docs/rsrs-protocol.md,
 * which a test keeps identical to these. They follow one conversation: CFP → Offer → Award / Reject →
 * ContractConfirm → ReplicaShip → ReplicaStatus → ContractRenew → CooperationUpdate → ContractRelease.
 */
import { BROADCAST, type Envelope, type MessageType, PROTOCOL_VERSION, type UnsignedEnvelope } from '@reservoir/domain/federation/protocol/envelope';
import { type TierDemand } from '@reservoir/domain/federation/protocol/envelope';
import { TestFederation } from './test-federation';

export const EXAMPLE_SITES = ['site-a', 'site-b', 'site-c'] as const;
export const EXAMPLE_SERVICE_ID = '0b9f3c52-7d1e-4f7a-9c3b-5e2a1d4c6f80';
export const EXAMPLE_CONTRACT_ID = 'c7e1a9d0-3b2f-4e5a-8d6c-9f0e1a2b3c4d';
const CFP_ID = '1a2b3c4d-0001-4000-8000-00000000cf01';
const OFFER_ID = '1a2b3c4d-0002-4000-8000-0000000000b1';
const TERM = 3;

const TIERS: TierDemand[] = [
  { tier: 'web', vcpu: 2, memoryMiB: 2048, diskGiB: 10, instances: 2, protection: 'restart' },
  { tier: 'db', vcpu: 4, memoryMiB: 8192, diskGiB: 50, instances: 1, protection: 'live-standby' },
];

const MANIFEST = `<?xml version="1.0" encoding="UTF-8"?>
<service xmlns="urn:reservoir:service-manifest:1" name="web-shop">…</service>
`;

type Draft<T extends MessageType> = Omit<UnsignedEnvelope<T>, 'v' | 'correlationId'> & { correlationId?: string };

function drafts(): Draft<MessageType>[] {
  const s = EXAMPLE_SERVICE_ID;
  const c = EXAMPLE_CONTRACT_ID;
  const a = 'site-a';
  const b = 'site-b';
  const onCfp = { correlationId: CFP_ID, term: TERM };
  return [
    { type: 'Heartbeat', id: '1a2b3c4d-0000-4000-8000-0000000000be', from: b, to: BROADCAST, sentAt: '2026-03-02T09:59:58.000Z',
      body: { seq: 1742, incarnation: 'b7d4f0aa', free: { vcpu: 48, memoryMiB: 196608, diskGiB: 3500 } } },
    { type: 'CallForProposals', id: CFP_ID, from: a, to: BROADCAST, sentAt: '2026-03-02T10:00:00.000Z', term: TERM,
      body: { serviceId: s, serviceName: 'web-shop', purpose: 'replica', tiers: TIERS, deadline: '2026-03-02T10:00:05.000Z', durationS: 86400 } },
    { type: 'Offer', id: OFFER_ID, from: b, to: a, sentAt: '2026-03-02T10:00:01.200Z', ...onCfp,
      body: { serviceId: s, tiers: TIERS, pricePerHour: 1.75, currency: 'EUR', validUntil: '2026-03-02T10:01:00.000Z' } },
    { type: 'Award', id: '1a2b3c4d-0003-4000-8000-0000000000a1', from: a, to: b, sentAt: '2026-03-02T10:00:05.100Z', ...onCfp,
      body: { serviceId: s, offerId: OFFER_ID, contractId: c, expiresAt: '2026-03-03T10:00:05.100Z' } },
    { type: 'Reject', id: '1a2b3c4d-0004-4000-8000-0000000000a2', from: a, to: 'site-c', sentAt: '2026-03-02T10:00:05.100Z', ...onCfp,
      body: { serviceId: s, offerId: '1a2b3c4d-0002-4000-8000-0000000000c1', reason: 'another offer was cheaper' } },
    { type: 'ContractConfirm', id: '1a2b3c4d-0005-4000-8000-0000000000cc', from: b, to: a, sentAt: '2026-03-02T10:00:05.300Z', ...onCfp,
      body: { contractId: c, serviceId: s, expiresAt: '2026-03-03T10:00:05.100Z' } },
    { type: 'ReplicaShip', id: '1a2b3c4d-0006-4000-8000-0000000000d1', from: a, to: b, sentAt: '2026-03-02T10:00:05.500Z', ...onCfp,
      body: { contractId: c, serviceId: s, serviceName: 'web-shop', manifest: MANIFEST, tiers: TIERS } },
    { type: 'ReplicaStatus', id: '1a2b3c4d-0007-4000-8000-0000000000d2', from: b, to: a, sentAt: '2026-03-02T10:00:42.000Z', ...onCfp,
      body: { contractId: c, serviceId: s, phase: 'standby', vees: [
        { tier: 'web', phase: 'running', role: 'active' }, { tier: 'web', phase: 'running', role: 'active' },
        { tier: 'db', phase: 'standby', role: 'standby' }] } },
    { type: 'ContractRenew', id: '1a2b3c4d-0008-4000-8000-0000000000e1', from: a, to: b, sentAt: '2026-03-03T09:00:00.000Z', ...onCfp,
      body: { contractId: c, serviceId: s, expiresAt: '2026-03-04T10:00:05.100Z' } },
    { type: 'CooperationUpdate', id: '1a2b3c4d-0009-4000-8000-0000000000f1', from: a, to: b, sentAt: '2026-03-03T09:30:00.000Z', term: TERM,
      body: { serviceId: s, revision: 7, tier: { name: 'web', image: { ref: 'web-shop:2.4.1' }, configuration: [{ name: 'pool-size', value: '32' }] },
        weights: { 'site-a': 0.75, 'site-b': 0.25 } } },
    { type: 'ContractRelease', id: '1a2b3c4d-000a-4000-8000-0000000000e2', from: a, to: b, sentAt: '2026-03-04T10:00:00.000Z', ...onCfp,
      body: { contractId: c, serviceId: s, reason: 'service deleted' } },
  ] as Draft<MessageType>[];
}

/** The example federation (its keys are the documented ones). */
export function exampleFederation(): TestFederation {
  return new TestFederation(EXAMPLE_SITES, { 'site-a': 'https://site-a.example.net:8080', 'site-b': 'https://site-b.example.net:8080' });
}

/** One signed example per message type, in conversation order. */
export function exampleMessages(federation: TestFederation = exampleFederation()): Envelope[] {
  return drafts().map((d) => {
    const { type, id, from, to, sentAt, term, body } = d;
    const correlationId = d.correlationId ?? id;
    return federation.sign({ v: PROTOCOL_VERSION, type, id, from, to, sentAt, correlationId, ...(term !== undefined ? { term } : {}), body } as UnsignedEnvelope);
  });
}
