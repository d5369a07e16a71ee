import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { findShippedFile } from '@reservoir/config';
import { type MessageType } from '@reservoir/domain/federation/protocol/envelope';
import { AjvMessageValidator, locateRsrsSchemas, schemaFileOf } from './ajv-message-validator';
import { exampleFederation, exampleMessages } from './example-messages';
import { Ed25519Verifier } from './ed25519';
import { verifyEnvelope } from '@reservoir/domain/federation/protocol/signing';

const TYPES: MessageType[] = ['Heartbeat', 'CallForProposals', 'Offer', 'Award', 'Reject', 'ContractConfirm', 'ReplicaShip', 'ReplicaStatus',
  'ContractRenew', 'ContractRelease', 'CooperationUpdate'];

describe('AjvMessageValidator and schemas/rsrs', () => {
  const validator = new AjvMessageValidator();
  const dir = locateRsrsSchemas();
  const examples = exampleMessages();

  it('has one schema per message type, plus the envelope and shared definitions', () => {
    expect(validator.types.sort()).toEqual([...TYPES].sort());
    expect(readdirSync(dir).sort()).toEqual(['common.json', 'envelope.json', ...TYPES.map(schemaFileOf)].sort());
    expect(schemaFileOf('CallForProposals')).toBe('call-for-proposals.json');
  });

  it('keeps the examples in the schemas and the protocol doc identical to the signed examples, which verify', () => {
    const docs = readFileSync(findShippedFile(join('docs', 'rsrs-protocol.md')), 'utf8');
    const federation = exampleFederation();
    for (const message of examples) {
      const schema = JSON.parse(readFileSync(join(dir, schemaFileOf(message.type)), 'utf8')) as { examples: unknown[] };
      expect(schema.examples).toEqual([message]);
      expect(validator.validate(message)).toEqual([]);
      expect(verifyEnvelope(message, federation.peers.get(message.from) as string, new Ed25519Verifier())).toBe(true);
      expect(docs).toContain(JSON.stringify(message, null, 2));
    }
    expect(docs).toContain(JSON.stringify(federation.federation, null, 2));
  });

  it('allows unknown members anywhere (a newer minor adds optional ones)', () => {
    for (const message of examples) {
      expect(validator.validate({ ...message, extra: [1], body: { ...message.body, more: { a: 1 } } })).toEqual([]);
    }
  });

  it('reports every violation with its JSON Pointer', () => {
    const award = examples.find((m) => m.type === 'Award') as (typeof examples)[number];
    const { term: _term, ...noTerm } = award;
    expect(validator.validate({ ...noTerm, body: { ...award.body, offerId: 7, expiresAt: 'tomorrow' } })).toEqual([
      { path: '/term', message: 'is required' },
      { path: '/body/offerId', message: 'must be string' },
      { path: '/body/expiresAt', message: 'must match pattern "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]{1,9})?Z$"' },
    ]);
    expect(validator.validate({ ...award, type: 'Gossip' })).toEqual([
      { path: '/type', message: `must be one of ${TYPES.map((t) => JSON.stringify(t)).join(', ')}` },
    ]);
    expect(validator.validate('text')).toEqual([{ path: '/', message: 'must be object' }]);
  });

  it('bounds sizes and values', () => {
    const ship = examples.find((m) => m.type === 'ReplicaShip') as (typeof examples)[number];
    const body = ship.body as { manifest: string; tiers: object[] };
    expect(validator.validate({ ...ship, body: { ...body, manifest: 'x'.repeat(917_505) } })).toEqual([
      { path: '/body/manifest', message: 'must NOT have more than 917504 characters' },
    ]);
    expect(validator.validate({ ...ship, body: { ...body, tiers: [{ ...body.tiers[0], vcpu: 0 }] } })).toEqual([
      { path: '/body/tiers/0/vcpu', message: 'must be >= 1' },
    ]);
    const many = Array.from({ length: 40 }, () => ({ tier: 1 }));
    const problems = validator.validate({ ...ship, body: { ...body, tiers: many } });
    expect(problems).toHaveLength(21);
    expect(problems[20]?.message).toMatch(/^and \d+ more problems$/);
  });
});
