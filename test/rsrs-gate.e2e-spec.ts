/**
 * The RS-RS inbound gate on the real Kafka broker: forged, tampered, replayed and malformed messages published to
 * a site's inbox `rsrs.<site>` show up on `rsrs.dead-letter` in the documented format, and only the genuine
 * message (once) reaches the dispatcher.
 *
 * Run: npx jest --selectProjects e2e test/rsrs-gate.e2e-spec.ts --runInBand
 */
import { randomUUID } from 'node:crypto';
import { type Consumer } from 'kafkajs';
import { KafkaEventBus } from '@reservoir/adapters/kafka/kafka-event-bus';
import { AjvMessageValidator } from '@reservoir/adapters/federation/ajv-message-validator';
import { Ed25519Verifier } from '@reservoir/adapters/federation/ed25519';
import { MemorySeenMessages } from '@reservoir/adapters/federation/memory-seen-messages';
import { TestFederation } from '@reservoir/adapters/federation/test-federation';
import { InboundGate } from '@reservoir/application/federation/inbound-gate';
import { type DeadLetter } from '@reservoir/domain/federation/protocol/dead-letter';
import { type Envelope } from '@reservoir/domain/federation/protocol/envelope';
import { inboxTopic, RSRS_DEAD_LETTER_TOPIC } from '@reservoir/domain/federation/protocol/topics';
// Directly, not through '@reservoir/testing' (whose index loads the whole broker): this suite needs Kafka only.
import { createTestKafka, describeWithKafka, TEST_KAFKA_BROKER_LIST, watchTopic } from '../libs/testing/real-services';

process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';
jest.setTimeout(90_000);

async function until(what: string, check: () => boolean, ms = 30_000, tick?: () => Promise<void>): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms`);
    await tick?.();
    await new Promise((r) => setTimeout(r, 250));
  }
}

describeWithKafka('RS-RS inbound gate over Kafka', () => {
  const run = `${Date.now().toString(36)}${randomUUID().slice(0, 6)}`;
  const site = `e2e-${run}`;
  const inbox = inboxTopic(site);
  const fed = new TestFederation([site, 'peer-a']);
  const bus = new KafkaEventBus({ clientId: `rsrs-gate-${run}`, brokers: TEST_KAFKA_BROKER_LIST, partitions: 1, replicationFactor: 1 });
  const kafka = createTestKafka(`rsrs-gate-watch-${run}`);
  const dispatched: Envelope[] = [];
  const letters: DeadLetter[] = [];
  let watcher: Consumer | undefined;
  let seq = 0;

  const heartbeat = (): Envelope<'Heartbeat'> =>
    fed.message<'Heartbeat'>({ type: 'Heartbeat', id: randomUUID(), from: 'peer-a', to: site, sentAt: new Date().toISOString(), body: { seq: ++seq, incarnation: run } });
  const send = (value: string) => bus.publish({ topic: inbox, key: 'peer-a', value });

  beforeAll(async () => {
    await bus.ensureTopics([inbox, RSRS_DEAD_LETTER_TOPIC]);
    watcher = await watchTopic(kafka, RSRS_DEAD_LETTER_TOPIC, `rsrs-gate-watch-${run}`, (value) => {
      const letter = JSON.parse(value) as DeadLetter;
      if (letter.topic === inbox) letters.push(letter);
    });
    const gate = new InboundGate(
      { siteId: site, peers: fed.peers, schema: new AjvMessageValidator(), verifier: new Ed25519Verifier(), seen: new MemorySeenMessages(), clock: { now: () => new Date() }, bus },
      async (envelope) => void dispatched.push(envelope),
    );
    await gate.subscribe(`rsrs-gate-${run}`);
    // The gate's group reads from the latest offset once it has joined: knock until a genuine beat gets through.
    await until('the gate consuming its inbox', () => dispatched.length > 0, 45_000, () => send(JSON.stringify(heartbeat())));
  });

  afterAll(async () => {
    await watcher?.disconnect().catch(() => undefined);
    await bus.close();
    const admin = kafka.admin();
    await admin.connect();
    await admin.deleteTopics({ topics: [inbox] }).catch(() => undefined);
    await admin.disconnect();
  });

  it('dead-letters forged, tampered, replayed and malformed messages, and dispatches the genuine one once', async () => {
    const before = dispatched.length;
    const genuine = heartbeat();
    const { sig: _sig, ...unsigned } = heartbeat();
    const forged = JSON.stringify(fed.sign(unsigned, TestFederation.signerFor('mallory')));
    const tampered = JSON.stringify({ ...genuine, body: { ...genuine.body, seq: 1_000_000 } });
    const malformed = '{"v":"1.0","type":"Heartbeat"';
    const sent = [forged, tampered, JSON.stringify(genuine), JSON.stringify(genuine), malformed];
    for (const value of sent) await send(value);
    // Only letters about these five: a knocking beat redelivered after a rebalance is (rightly) a replay too.
    const ours = () => letters.filter((l) => sent.includes(l.raw));

    await until('four dead letters', () => ours().length >= 4);
    await new Promise((r) => setTimeout(r, 1000));
    expect(ours().map((l) => [l.reason, l.raw])).toEqual([
      ['bad-signature', forged],
      ['bad-signature', tampered],
      ['replay', JSON.stringify(genuine)],
      ['malformed-json', malformed],
    ]);
    for (const letter of ours()) {
      expect(Object.keys(letter).sort()).toEqual(['detail', 'raw', 'reason', 'receivedAt', 'topic']);
      expect(letter.topic).toBe(inbox);
      expect(Date.now() - Date.parse(letter.receivedAt)).toBeLessThan(60_000);
    }
    expect(dispatched.slice(before)).toEqual([genuine]);
  });
});
