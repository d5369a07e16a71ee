import fc from 'fast-check';
import { AjvMessageValidator } from '@reservoir/adapters/federation/ajv-message-validator';
import { Ed25519Verifier } from '@reservoir/adapters/federation/ed25519';
import { exampleFederation, exampleMessages } from '@reservoir/adapters/federation/example-messages';
import { MemorySeenMessages } from '@reservoir/adapters/federation/memory-seen-messages';
import { TestFederation } from '@reservoir/adapters/federation/test-federation';
import { BROADCAST, type Envelope, type HeartbeatBody } from './envelope';
import { checkInbound, DEFAULT_CLOCK_WINDOW_MS, type InboundContext, type InboundDecision } from './inbound-checks';

const SENT = '2026-03-02T10:00:00.000Z';
const schema = new AjvMessageValidator();
const fed = new TestFederation(['site-a', 'site-b', 'site-c']);
const outsider = TestFederation.signerFor('site-x');

let seen: MemorySeenMessages;
beforeEach(() => {
  seen = new MemorySeenMessages();
});

function ctx(overrides: Partial<InboundContext> = {}): InboundContext {
  return { self: 'site-b', peers: fed.peers, schema, verifier: new Ed25519Verifier(), seen, now: new Date(Date.parse(SENT) + 1000), ...overrides };
}

function beat(overrides: Partial<Envelope<'Heartbeat'>> = {}): Envelope<'Heartbeat'> {
  return fed.message<'Heartbeat'>({ type: 'Heartbeat', from: 'site-a', to: BROADCAST, sentAt: SENT, body: { seq: 1, incarnation: 'i1' }, ...overrides });
}

const check = (message: unknown, c: InboundContext = ctx()): Promise<InboundDecision> =>
  checkInbound(typeof message === 'string' ? message : JSON.stringify(message), c);

async function reasonOf(message: unknown, c?: InboundContext): Promise<string> {
  const d = await check(message, c);
  return d.ok ? 'accepted' : d.reason;
}

describe('checkInbound', () => {
  it('accepts a signed message from a peer, addressed to this site or to all, and hands back the envelope', async () => {
    const broadcast = beat();
    await expect(check(broadcast)).resolves.toEqual({ ok: true, envelope: broadcast });
    await expect(reasonOf(beat({ id: '6f1c2a4e-0b7d-4c1e-9a53-000000000002', to: 'site-b' }))).resolves.toBe('accepted');
  });

  it('accepts every documented example at its addressee', async () => {
    const examples = exampleFederation();
    for (const message of exampleMessages(examples)) {
      const self = message.to === BROADCAST ? (message.from === 'site-a' ? 'site-b' : 'site-a') : message.to;
      const decision = await check(message, ctx({ self, peers: examples.peers, now: new Date(message.sentAt) }));
      expect({ type: message.type, ok: decision.ok, why: decision.ok ? '' : decision.detail }).toEqual({ type: message.type, ok: true, why: '' });
    }
  });

  it('refuses text that is not JSON, and JSON that is not an object', async () => {
    await expect(check('{"v":"1.0",')).resolves.toMatchObject({ ok: false, reason: 'malformed-json' });
    await expect(reasonOf('')).resolves.toBe('malformed-json');
    await expect(check('[1,2]')).resolves.toMatchObject({ ok: false, reason: 'invalid-schema', detail: '/: a message must be a JSON object' });
  });

  it('refuses an unknown major version and a missing or garbled one, even when correctly signed', async () => {
    const { sig: _sig, ...unsigned } = beat();
    await expect(check(fed.sign({ ...unsigned, v: '2.0' }))).resolves.toMatchObject({ ok: false, reason: 'unknown-version', claimedFrom: 'site-a' });
    await expect(reasonOf({ ...beat(), v: undefined })).resolves.toBe('unknown-version');
    await expect(reasonOf({ ...beat(), v: '1.0-beta' })).resolves.toBe('unknown-version');
  });

  it('accepts a newer minor with unknown optional fields, and its signature covers them', async () => {
    const { sig: _sig, ...unsigned } = beat();
    const newer = fed.sign({ ...unsigned, v: '1.4', priority: 'high', body: { ...unsigned.body, load: { cpu: 0.4 } } } as typeof unsigned);
    await expect(check(newer)).resolves.toEqual({ ok: true, envelope: newer });
    const tampered = { ...newer, priority: 'low', id: '6f1c2a4e-0b7d-4c1e-9a53-000000000003' };
    await expect(reasonOf(tampered)).resolves.toBe('bad-signature');
  });

  it.each([
    ['a missing body field', { body: { incarnation: 'i1' } }, '/body/seq: is required'],
    ['a wrong type', { body: { seq: '1', incarnation: 'i1' } }, '/body/seq: must be integer'],
    ['a bad id', { id: 'not-a-uuid' }, '/id: must match pattern'],
    ['an unknown type', { type: 'Gossip' }, '/type: must be one of'],
    ['a date that does not exist', { sentAt: '2026-02-30T10:00:00.000Z' }, undefined],
  ])('refuses a correctly signed message with %s', async (_label, change, detail) => {
    const { sig: _sig, ...unsigned } = beat();
    const decision = await check(fed.sign({ ...unsigned, ...change } as typeof unsigned));
    expect(decision).toMatchObject({ ok: false, reason: 'invalid-schema' });
    if (detail !== undefined && !decision.ok) expect(decision.detail).toContain(detail);
  });

  it('refuses a message about a service without its term, and one without a signature', async () => {
    const offer = exampleMessages().find((m) => m.type === 'Offer') as Envelope<'Offer'>;
    const { sig: _sig, term: _term, ...unsigned } = offer;
    const ctxA = ctx({ self: 'site-a', peers: exampleFederation().peers, now: new Date(offer.sentAt) });
    await expect(check(exampleFederation().sign(unsigned), ctxA)).resolves.toMatchObject({ ok: false, reason: 'invalid-schema', detail: '/term: is required' });
    await expect(check({ ...beat(), sig: undefined })).resolves.toMatchObject({ ok: false, reason: 'invalid-schema', detail: '/sig: is required' });
  });

  it('refuses a huge message before parsing it', async () => {
    const huge = { ...beat(), padding: 'x'.repeat(2 * 1024 * 1024) };
    await expect(check(huge)).resolves.toMatchObject({ ok: false, reason: 'invalid-schema', detail: 'message is larger than 1048576 bytes' });
    // The limit counts UTF-8 bytes, not characters.
    const wide = { ...beat(), padding: '€'.repeat(400_000) };
    await expect(check(wide)).resolves.toMatchObject({ ok: false, reason: 'invalid-schema' });
    await expect(check(wide, ctx({ maxMessageBytes: 2_000_000 }))).resolves.toMatchObject({ ok: false, reason: 'bad-signature' });
  });

  it('refuses a message addressed to another site', async () => {
    await expect(check(beat({ to: 'site-c' }))).resolves.toMatchObject({ ok: false, reason: 'misaddressed', claimedFrom: 'site-a' });
  });

  it('refuses a sender outside the federation, even with a valid signature of its own', async () => {
    const stranger = fed.message<'Heartbeat'>({ type: 'Heartbeat', from: 'site-x', to: BROADCAST, sentAt: SENT, body: { seq: 1, incarnation: 'x' } });
    const { sig: _sig, ...unsigned } = stranger;
    await expect(check(fed.sign(unsigned, outsider))).resolves.toMatchObject({ ok: false, reason: 'unknown-sender', claimedFrom: 'site-x' });
  });

  it('refuses a forged message: a peer as sender, signed with another key', async () => {
    const { sig: _sig, ...unsigned } = beat();
    await expect(reasonOf(fed.sign(unsigned, outsider))).resolves.toBe('bad-signature');
    await expect(reasonOf(fed.sign(unsigned, fed.signer('site-c')))).resolves.toBe('bad-signature');
  });

  it('refuses a tampered message: body or sender changed after signing, or the signature respelled', async () => {
    const original = beat();
    await expect(reasonOf({ ...original, body: { ...original.body, seq: 2 } })).resolves.toBe('bad-signature');
    await expect(reasonOf({ ...original, from: 'site-c' })).resolves.toBe('bad-signature');
    await expect(reasonOf({ ...original, sentAt: '2026-03-02T10:00:00.001Z' })).resolves.toBe('bad-signature');
    // The last character of 86 carries 4 unused bits: a different spelling of the same bytes is refused too.
    const respelled = original.sig.slice(0, 85) + (original.sig.endsWith('A') ? 'B' : 'A');
    await expect(reasonOf({ ...original, sig: respelled })).resolves.toMatch(/bad-signature|invalid-schema/);
  });

  it(`refuses a message outside the clock window (default ${DEFAULT_CLOCK_WINDOW_MS} ms) either way, and takes its edge`, async () => {
    const sent = Date.parse(SENT);
    const at = (ms: number) => ctx({ now: new Date(sent + ms) });
    await expect(check(beat(), at(DEFAULT_CLOCK_WINDOW_MS + 1))).resolves.toMatchObject({ ok: false, reason: 'outside-clock-window', detail: expect.stringContaining('ms ago') });
    await expect(check(beat(), at(-DEFAULT_CLOCK_WINDOW_MS - 1))).resolves.toMatchObject({ ok: false, reason: 'outside-clock-window', detail: expect.stringContaining('ahead') });
    await expect(reasonOf(beat(), at(DEFAULT_CLOCK_WINDOW_MS))).resolves.toBe('accepted');
    await expect(reasonOf(beat({ id: '6f1c2a4e-0b7d-4c1e-9a53-000000000004' }), ctx({ now: new Date(sent + 2000), clockWindowMs: 1000 }))).resolves.toBe('outside-clock-window');
    // Refused by the clock, so not recorded: nothing is remembered for it.
    expect(seen.size).toBe(1);
  });

  it('refuses a replay, also when both copies arrive at once', async () => {
    const message = beat();
    await expect(reasonOf(message)).resolves.toBe('accepted');
    await expect(check(message)).resolves.toMatchObject({ ok: false, reason: 'replay', claimedFrom: 'site-a' });

    const twin = beat({ id: '6f1c2a4e-0b7d-4c1e-9a53-000000000005' });
    const decisions = await Promise.all([check(twin), check(twin), check(twin)]);
    expect(decisions.filter((d) => d.ok)).toHaveLength(1);
    expect(decisions.filter((d) => !d.ok && d.reason === 'replay')).toHaveLength(2);
  });

  it('never lets a forged or stale copy use up a genuine message id', async () => {
    const genuine = beat();
    const { sig: _sig, ...unsigned } = genuine;
    await expect(reasonOf(fed.sign({ ...unsigned, body: { seq: 99, incarnation: 'evil' } }, outsider))).resolves.toBe('bad-signature');
    await expect(reasonOf({ ...genuine, to: 'site-c' })).resolves.toBe('misaddressed');
    await expect(reasonOf(genuine, ctx({ now: new Date(Date.parse(SENT) + DEFAULT_CLOCK_WINDOW_MS + 5) }))).resolves.toBe('outside-clock-window');
    await expect(reasonOf(genuine)).resolves.toBe('accepted');
  });

  it("reports this site's own correctly signed message as own-message, without recording it; a forged one is bad-signature", async () => {
    const own = fed.message<'Heartbeat'>({ type: 'Heartbeat', from: 'site-b', to: BROADCAST, sentAt: SENT, body: { seq: 1, incarnation: 'me' } });
    await expect(check(own)).resolves.toMatchObject({ ok: false, reason: 'own-message' });
    await expect(check(own)).resolves.toMatchObject({ ok: false, reason: 'own-message' });
    expect(seen.size).toBe(0);
    const { sig: _sig, ...unsigned } = own;
    await expect(reasonOf(fed.sign(unsigned, outsider))).resolves.toBe('bad-signature');
  });

  it('decides by the first failing check in the documented order', async () => {
    const forgedElsewhere = { ...beat(), to: 'site-c', sig: beat().sig };
    await expect(reasonOf(forgedElsewhere)).resolves.toBe('misaddressed');
    const { sig: _sig, ...unsigned } = beat();
    await expect(reasonOf(fed.sign({ ...unsigned, from: 'site-x' } as typeof unsigned, outsider), ctx({ now: new Date(0) }))).resolves.toBe('unknown-sender');
    await expect(reasonOf(fed.sign(unsigned, outsider), ctx({ now: new Date(0) }))).resolves.toBe('bad-signature');
  });

  it('refuses any single-character change of a signed message outside its signature', async () => {
    const original = beat({ to: 'site-b', term: 12, body: { seq: 1742, incarnation: 'abc', free: { vcpu: 3.5, memoryMiB: 1024, diskGiB: 0 } } as HeartbeatBody });
    const raw = JSON.stringify(original);
    const sigStart = raw.indexOf(`"sig":"`) + 7;
    const outsideSig = fc.integer({ min: 0, max: raw.length - 1 }).filter((i) => i < sigStart || i >= sigStart + 86);
    await expect(reasonOf(raw)).resolves.toBe('accepted');
    await fc.assert(
      fc.asyncProperty(outsideSig, fc.integer({ min: 0x20, max: 0x7e }), async (i, code) => {
        fc.pre(raw.charCodeAt(i) !== code);
        const changed = raw.slice(0, i) + String.fromCharCode(code) + raw.slice(i + 1);
        const decision = await checkInbound(changed, ctx({ seen: new MemorySeenMessages() }));
        expect(decision.ok).toBe(false);
      }),
      { numRuns: 400 },
    );
  });
});
