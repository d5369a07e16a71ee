import { AjvMessageValidator } from '@reservoir/adapters/federation/ajv-message-validator';
import { Ed25519Verifier } from '@reservoir/adapters/federation/ed25519';
import { MemorySeenMessages } from '@reservoir/adapters/federation/memory-seen-messages';
import { TestFederation } from '@reservoir/adapters/federation/test-federation';
import { MemoryEventBus } from '@reservoir/adapters/bus/memory-event-bus';
import { DEAD_LETTER_RAW_LIMIT, type DeadLetter } from '@reservoir/domain/federation/protocol/dead-letter';
import { BROADCAST, type Envelope } from '@reservoir/domain/federation/protocol/envelope';
import { type BusHandler, type BusMessage } from '@reservoir/domain/ports/event-bus.port';
import { FakeClock } from '@reservoir/testing/fakes';
import { RecordingBus } from '@reservoir/testing/fakes-federation';
import { type InboundDispatcher, InboundGate, type InboundGateDeps } from './inbound-gate';

const SENT = '2026-03-02T10:00:00.000Z';
const INBOX = 'rsrs.site-b';
const fed = new TestFederation(['site-a', 'site-b', 'site-c']);
const outsider = TestFederation.signerFor('site-x');
const schema = new AjvMessageValidator();

function beat(overrides: Partial<Envelope<'Heartbeat'>> = {}): Envelope<'Heartbeat'> {
  return fed.message<'Heartbeat'>({ type: 'Heartbeat', from: 'site-a', to: 'site-b', sentAt: SENT, body: { seq: 1, incarnation: 'i1' }, ...overrides });
}

function unsignedBeat(): Omit<Envelope<'Heartbeat'>, 'sig'> {
  const { sig: _sig, ...unsigned } = beat();
  return unsigned;
}

describe('InboundGate', () => {
  let clock: FakeClock;
  let bus: RecordingBus;
  let seen: MemorySeenMessages;
  let dispatched: Envelope[];
  let dispatch: InboundDispatcher;
  let gate: InboundGate;

  const deps = (): InboundGateDeps => ({ siteId: 'site-b', peers: fed.peers, schema, verifier: new Ed25519Verifier(), seen, clock, bus });
  const deliver = (value: string | object, topic = INBOX) =>
    gate.receive({ topic, key: 'k', value: typeof value === 'string' ? value : JSON.stringify(value) });
  const letters = (): DeadLetter[] => bus.published.map((m) => JSON.parse(m.value) as DeadLetter);

  beforeEach(() => {
    clock = new FakeClock(new Date(Date.parse(SENT) + 1500));
    bus = new RecordingBus();
    seen = new MemorySeenMessages();
    dispatched = [];
    dispatch = async (envelope) => void dispatched.push(envelope);
    gate = new InboundGate(deps(), (e, m) => dispatch(e, m));
  });

  it('dispatches an accepted message and publishes nothing', async () => {
    const message = beat();
    await expect(deliver(message)).resolves.toEqual({ status: 'dispatched', envelope: message });
    expect(dispatched).toEqual([message]);
    expect(bus.published).toEqual([]);
  });

  it('accepts a newer minor with an unknown optional field', async () => {
    const newer = fed.sign({ ...unsignedBeat(), v: '1.9', hint: 'ignored by 1.0' } as ReturnType<typeof unsignedBeat>);
    await expect(deliver(newer)).resolves.toMatchObject({ status: 'dispatched' });
  });

  const rejected: [string, () => string | object, string, string][] = [
    ['a forged message (a key outside the federation)', () => fed.sign(unsignedBeat(), outsider), 'bad-signature', 'site-a'],
    ['a message signed by another peer', () => fed.sign(unsignedBeat(), fed.signer('site-c')), 'bad-signature', 'site-a'],
    ['a tampered body', () => ({ ...beat(), body: { seq: 2, incarnation: 'i1' } }), 'bad-signature', 'site-a'],
    ['a tampered sender', () => ({ ...beat(), from: 'site-c' }), 'bad-signature', 'site-c'],
    ['an unknown sender', () => fed.sign({ ...unsignedBeat(), from: 'site-x' }), 'unknown-sender', 'site-x'],
    ['a message from long ago', () => beat({ sentAt: '2026-03-02T09:50:00.000Z' }), 'outside-clock-window', 'site-a'],
    ['a message from the future', () => beat({ sentAt: '2026-03-02T10:10:00.000Z' }), 'outside-clock-window', 'site-a'],
    ['an unknown major version', () => fed.sign({ ...unsignedBeat(), v: '2.0' }), 'unknown-version', 'site-a'],
    ['a missing field', () => fed.sign({ ...unsignedBeat(), body: { seq: 1 } } as never), 'invalid-schema', 'site-a'],
    ['a wrong type', () => fed.sign({ ...unsignedBeat(), body: { seq: 'one', incarnation: 'i1' } } as never), 'invalid-schema', 'site-a'],
    ['malformed JSON', () => '{"v":"1.0","type":', 'malformed-json', 'unknown'],
    ['a message for another site', () => beat({ to: 'site-c' }), 'misaddressed', 'site-a'],
    ['a garbled sender', () => ({ ...beat(), from: 'NOT A SITE' }), 'invalid-schema', 'unknown'],
  ];

  it.each(rejected)('dead-letters %s in the documented format and acts on nothing', async (_label, make, reason, key) => {
    const raw = JSON.stringify(make());
    const value = typeof make() === 'string' ? (make() as string) : raw;
    await expect(deliver(value)).resolves.toMatchObject({ status: 'dead-lettered', reason });
    expect(dispatched).toEqual([]);
    expect(bus.published).toHaveLength(1);
    expect(bus.published[0]).toMatchObject({ topic: 'rsrs.dead-letter', key });
    expect(letters()).toEqual([{ reason, detail: expect.any(String), topic: INBOX, receivedAt: '2026-03-02T10:00:01.500Z', raw: value }]);
  });

  it('dead-letters a replay and dispatches the original once', async () => {
    const message = beat();
    await deliver(message);
    await expect(deliver(message)).resolves.toMatchObject({ status: 'dead-lettered', reason: 'replay' });
    expect(dispatched).toHaveLength(1);
    expect(letters()).toEqual([{ reason: 'replay', detail: expect.stringContaining('already received'), topic: INBOX, receivedAt: expect.any(String), raw: JSON.stringify(message) }]);
  });

  it('dispatches exactly one of two copies arriving at once', async () => {
    const raw = JSON.stringify(beat());
    const outcomes = await Promise.all([deliver(raw), deliver(raw, 'rsrs.broadcast')]);
    expect(outcomes.map((o) => o.status).sort()).toEqual(['dead-lettered', 'dispatched']);
    expect(dispatched).toHaveLength(1);
    expect(letters().map((l) => l.reason)).toEqual(['replay']);
  });

  it('cuts a huge message in its dead letter and says how long it was', async () => {
    const huge = JSON.stringify({ ...beat(), padding: 'x'.repeat(2_000_000) });
    await expect(deliver(huge)).resolves.toMatchObject({ status: 'dead-lettered', reason: 'invalid-schema' });
    const [letter] = letters();
    expect(letter?.raw).toBe(huge.slice(0, DEAD_LETTER_RAW_LIMIT));
    expect(letter?.rawLength).toBe(huge.length);
  });

  it('ignores its own broadcast without a dead letter', async () => {
    const own = fed.message<'Heartbeat'>({ type: 'Heartbeat', from: 'site-b', to: BROADCAST, sentAt: SENT, body: { seq: 1, incarnation: 'me' } });
    await expect(deliver(own, 'rsrs.broadcast')).resolves.toMatchObject({ status: 'ignored', reason: 'own-message' });
    expect(bus.published).toEqual([]);
    expect(dispatched).toEqual([]);
  });

  it('rethrows a dispatcher failure, dead-letters nothing, and accepts the redelivery', async () => {
    const failure = new Error('store unavailable');
    dispatch = jest.fn().mockRejectedValueOnce(failure).mockImplementation(async (e: Envelope) => void dispatched.push(e));
    const message = beat();
    await expect(deliver(message)).rejects.toBe(failure);
    expect(bus.published).toEqual([]);
    await expect(deliver(message)).resolves.toMatchObject({ status: 'dispatched' });
    expect(dispatched).toEqual([message]);
  });

  it('throws, without a dead letter, when the replay store fails', async () => {
    jest.spyOn(seen, 'remember').mockRejectedValueOnce(new Error('database down'));
    await expect(deliver(beat())).rejects.toThrow('database down');
    expect(bus.published).toEqual([]);
    expect(dispatched).toEqual([]);
  });

  it('throws when the dead letter cannot be published, so the bus redelivers', async () => {
    bus.failWith = new Error('kafka down');
    await expect(deliver('not json')).rejects.toThrow('kafka down');
  });

  it('forgets replay records from before twice the window', async () => {
    await deliver(beat());
    clock.advance(2 * 300_000 - 1500);
    await expect(gate.forgetExpired()).resolves.toBe(0);
    clock.advance(1);
    await expect(gate.forgetExpired()).resolves.toBe(1);
    expect(seen.size).toBe(0);
  });

  it("consumes the site's inbox and the broadcast topic as one bus handler", async () => {
    const memory = new MemoryEventBus();
    const deadLetters: BusMessage[] = [];
    const collect: BusHandler = async (m) => void deadLetters.push(m);
    await memory.subscribe('rsrs.dead-letter', 'audit', collect);
    gate = new InboundGate({ ...deps(), bus: memory }, (e, m) => dispatch(e, m));
    await gate.subscribe();
    await memory.publish({ topic: INBOX, key: 'site-a', value: JSON.stringify(beat()) });
    await memory.publish({ topic: 'rsrs.broadcast', key: 'site-a', value: JSON.stringify(beat({ id: '6f1c2a4e-0b7d-4c1e-9a53-00000000000b', to: BROADCAST })) });
    await memory.publish({ topic: INBOX, key: 'site-a', value: JSON.stringify(fed.sign(unsignedBeat(), outsider)) });
    await memory.drain();
    await memory.drain();
    expect(dispatched.map((e) => e.to)).toEqual(['site-b', BROADCAST]);
    expect(deadLetters.map((m) => (JSON.parse(m.value) as DeadLetter).reason)).toEqual(['bad-signature']);
    await memory.close();
  });
});
