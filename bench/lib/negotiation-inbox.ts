// Inbox throughput for bench/negotiation.ts: how many messages a second one site's inbox takes through the full
// inbound gate (size, JSON, version, Ajv schema, addressee, sender, Ed25519 signature, clock window, replay via
// MemorySeenMessages, then a dispatcher that only counts), against a plain kafkajs consumer that JSON-parses the
// very same records (same values, same keys, same partition count, its own topic).
//
// K sender sites (each its own KafkaEventBus) first publish M signed messages, round robin, to the receiver's
// inbox rsrs.<receiver>; then a consumer group whose committed offsets were set to where that backlog starts
// drains it: rate = M / (first message in the handler → the M-th handled). The same
// backlog is then written to the raw topic and drained by a raw kafkajs consumer the same way. Draining a
// backlog measures the consumer alone: senders are neither in the clock nor competing for the CPU.
// "gate alone" is the same gate fed the same M values in a loop, without Kafka: the CPU cost of the checks.
import { randomUUID } from 'node:crypto';
import { type Admin, Kafka, logLevel } from 'kafkajs';
import { type AjvMessageValidator } from '@reservoir/adapters/federation/ajv-message-validator';
import { Ed25519Verifier } from '@reservoir/adapters/federation/ed25519';
import { MemorySeenMessages } from '@reservoir/adapters/federation/memory-seen-messages';
import { TestFederation } from '@reservoir/adapters/federation/test-federation';
import { KafkaEventBus } from '@reservoir/adapters/kafka/kafka-event-bus';
import { InboundGate } from '@reservoir/application/federation/inbound-gate';
import { OutboundMessages, toBusMessage } from '@reservoir/application/federation/outbound';
import { demandOf } from '@reservoir/domain/federation/negotiation';
import { type Envelope } from '@reservoir/domain/federation/protocol/envelope';
import { inboxTopic } from '@reservoir/domain/federation/protocol/topics';
import { type BusMessage, type EventBus } from '@reservoir/domain/ports/event-bus.port';
import { webShopDefinition } from '@reservoir/testing/deploy-builders';
import { systemClock, uuids } from './negotiation-protocol';
import { inParallel, Signal, within } from './negotiation-util';

export type InboxType = 'Heartbeat' | 'Offer';

export interface InboxOptions {
  /** Site id prefix, unique per run. */
  prefix: string;
  senders: number;
  messages: number;
  brokers: string[];
  partitions: number;
  schema: AjvMessageValidator;
  admin: Admin;
  drainTimeoutMs: number;
}

export interface Drain {
  perSecond: number;
  seconds: number;
  accepted: number;
  refused: number;
}

export interface InboxRow {
  type: InboxType;
  messages: number;
  bytes: number;
  gateAlone: number;
  gate: Drain;
  raw: Drain;
}

const IN_FLIGHT_PER_SENDER = 64;
const GATE_WARMUP = 1000;

/** A bus for the gate-alone loop: nothing should be dead-lettered, but if it were it goes nowhere. */
const nowhere: EventBus = { publish: async () => undefined, subscribe: async () => undefined, ping: async () => undefined, close: async () => undefined };

export class InboxBench {
  readonly receiver: string;
  readonly senderIds: string[];
  readonly rawTopic: string;
  readonly groups: string[] = [];
  private readonly keys: TestFederation;
  private readonly buses: KafkaEventBus[];
  private readonly outbound: OutboundMessages[];
  private readonly seq: number[];

  constructor(private readonly o: InboxOptions) {
    this.receiver = `${o.prefix}-r`;
    this.senderIds = Array.from({ length: o.senders }, (_, i) => `${o.prefix}-k${i + 1}`);
    this.rawTopic = `bench-raw.${o.prefix}.inbox`;
    this.keys = new TestFederation([this.receiver, ...this.senderIds]);
    this.buses = this.senderIds.map((id) => new KafkaEventBus({ clientId: `bench-${id}`, brokers: o.brokers, partitions: o.partitions, replicationFactor: 1 }));
    this.outbound = this.senderIds.map(
      (id, i) => new OutboundMessages({ siteId: id, signer: this.keys.signer(id), clock: systemClock, ids: uuids, bus: this.buses[i] as KafkaEventBus, schema: o.schema }),
    );
    this.seq = this.senderIds.map(() => 0);
  }

  get inbox(): string {
    return inboxTopic(this.receiver);
  }

  async start(): Promise<void> {
    await (this.buses[0] as KafkaEventBus).ensureTopics([this.inbox, this.rawTopic]);
    await Promise.all(this.buses.map((b) => b.connect()));
  }

  async measure(type: InboxType): Promise<InboxRow> {
    const messages = this.seal(type, this.o.messages);
    const bytes = messages.reduce((s, m) => s + Buffer.byteLength(m.value, 'utf8'), 0) / messages.length;
    const gateAlone = await this.gateAlone(type, messages);
    const gate = await this.drain(type, messages, this.inbox, 'gate');
    const raw = await this.drain(type, messages, this.rawTopic, 'raw');
    return { type, messages: messages.length, bytes, gateAlone, gate, raw };
  }

  async close(): Promise<void> {
    await Promise.allSettled(this.buses.map((b) => b.close()));
  }

  /** `count` signed messages to the receiver, round robin over the senders; message i is sender i mod K's. */
  private seal(type: InboxType, count: number): BusMessage[] {
    const validUntil = new Date(Date.now() + 3_600_000).toISOString();
    const tiers = demandOf(webShopDefinition());
    const serviceIds = this.senderIds.map(() => randomUUID());
    return Array.from({ length: count }, (_, i) => {
      const k = i % this.senderIds.length;
      const out = this.outbound[k] as OutboundMessages;
      let envelope: Envelope;
      if (type === 'Heartbeat') {
        this.seq[k] = (this.seq[k] ?? 0) + 1;
        envelope = out.seal('Heartbeat', this.receiver, { seq: this.seq[k] as number, incarnation: this.o.prefix, free: { vcpu: 48, memoryMiB: 196_608, diskGiB: 3500 } });
      } else {
        envelope = out.seal('Offer', this.receiver, { serviceId: serviceIds[k] as string, tiers, pricePerHour: 1.75, currency: 'EUR', validUntil }, { correlationId: randomUUID(), term: 1 });
      }
      return toBusMessage(envelope);
    });
  }

  private gateFor(bus: EventBus, onAccepted: () => void): InboundGate {
    return new InboundGate(
      { siteId: this.receiver, peers: this.keys.peers, schema: this.o.schema, verifier: new Ed25519Verifier(), seen: new MemorySeenMessages(), clock: systemClock, bus },
      async () => onAccepted(),
    );
  }

  /** Messages a second through the gate's checks alone (no Kafka), after a warm-up on other messages. */
  private async gateAlone(type: InboxType, messages: BusMessage[]): Promise<number> {
    const warm = this.gateFor(nowhere, () => undefined);
    for (const m of this.seal(type, GATE_WARMUP)) await warm.receive(m);
    let accepted = 0;
    const gate = this.gateFor(nowhere, () => (accepted += 1));
    const t0 = performance.now();
    for (const m of messages) await gate.receive(m);
    const seconds = (performance.now() - t0) / 1000;
    if (accepted !== messages.length) throw new Error(`gate alone accepted ${accepted} of ${messages.length} ${type} messages`);
    return messages.length / seconds;
  }

  /**
   * Commits the topic's current end offsets for a new consumer group (the backlog written next starts there), so
   * that a consumer joining it later reads the backlog although it starts from the latest offset when its group
   * has none (KafkaEventBus). A short-lived member of the group commits them (admin.setOffsets would too, but
   * waits out a 5 s fetch each time).
   */
  private async commitAtEnd(groupId: string, topic: string): Promise<void> {
    const end = await this.o.admin.fetchTopicOffsets(topic);
    const kafka = new Kafka({ clientId: `bench-${this.receiver}-offsets`, brokers: this.o.brokers, logLevel: logLevel.ERROR });
    const consumer = kafka.consumer({ groupId, allowAutoTopicCreation: false, maxWaitTimeInMs: 100 });
    const joined = new Signal();
    consumer.on(consumer.events.GROUP_JOIN, () => joined.resolve());
    try {
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: false });
      await consumer.run({ autoCommit: false, eachMessage: async () => undefined });
      if (!(await within(joined, 30_000))) throw new Error(`consumer group ${groupId} not joined within 30 s`);
      await consumer.commitOffsets(end.map((p) => ({ topic, partition: p.partition, offset: p.high })));
    } finally {
      await consumer.disconnect();
    }
  }

  /** Publishes `messages` to `topic` (each by its sender), then drains them with a fresh group from there. */
  private async drain(type: InboxType, messages: BusMessage[], topic: string, how: 'gate' | 'raw'): Promise<Drain> {
    const groupId = `${how === 'gate' ? `reservoir-${this.receiver}-rsrs-inbox` : `${this.rawTopic}`}-${type.toLowerCase()}`;
    this.groups.push(groupId);
    await this.commitAtEnd(groupId, topic);
    const bySender = this.senderIds.map((_, k) => messages.filter((_m, i) => i % this.senderIds.length === k));
    await Promise.all(bySender.map((mine, k) => inParallel(mine, IN_FLIGHT_PER_SENDER, (m) => (this.buses[k] as KafkaEventBus).publish({ ...m, topic }))));

    let accepted = 0;
    let refused = 0;
    let tFirst = 0;
    let tLast = 0;
    const done = new Signal();
    const handled = (ok: boolean): void => {
      if (ok) accepted += 1;
      else refused += 1;
      if (accepted + refused === messages.length) {
        tLast = performance.now();
        done.resolve();
      }
    };
    let stop: () => Promise<void>;
    if (how === 'gate') {
      const bus = new KafkaEventBus({ clientId: `bench-${this.receiver}`, brokers: this.o.brokers, partitions: this.o.partitions, replicationFactor: 1 });
      stop = () => bus.close();
      const gate = this.gateFor(bus, () => undefined);
      await bus.subscribe(topic, groupId, async (message) => {
        if (tFirst === 0) tFirst = performance.now();
        handled((await gate.receive(message)).status === 'dispatched');
      });
    } else {
      // Configured as KafkaEventBus configures its consumers.
      const kafka = new Kafka({ clientId: `raw-${this.receiver}`, brokers: this.o.brokers, logLevel: logLevel.ERROR, retry: { retries: 5, initialRetryTime: 200 } });
      const consumer = kafka.consumer({ groupId, allowAutoTopicCreation: false, maxWaitTimeInMs: 500 });
      stop = () => consumer.disconnect();
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: false });
      await consumer.run({
        eachMessage: async ({ message }) => {
          if (tFirst === 0) tFirst = performance.now();
          const parsed = JSON.parse(message.value?.toString('utf8') ?? '') as { type?: unknown };
          handled(parsed.type === type);
        },
      });
    }
    try {
      if (!(await within(done, this.o.drainTimeoutMs))) {
        throw new Error(`${how} drain of ${type}: ${accepted + refused} of ${messages.length} consumed within ${this.o.drainTimeoutMs} ms`);
      }
    } finally {
      await stop();
    }
    const seconds = (tLast - tFirst) / 1000;
    return { perSecond: messages.length / seconds, seconds, accepted, refused };
  }
}
