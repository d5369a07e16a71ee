// The raw baseline of bench/negotiation.ts: the same N sites as plain kafkajs clients (one Kafka client per
// site: a producer and two consumers, configured like KafkaEventBus: acks -1, default partitioner, consumer
// maxWaitTimeInMs 500, groups reading from the latest offset), the same topic pattern (one broadcast topic with
// as many partitions as rsrs.broadcast, one inbox per site with the bus's partitions), and the same legs in the
// same order: site 0 broadcasts a "cfp"; every other site answers an "offer" to site 0's inbox; when all offers
// are in, site 0 sends "award" to the first `replicas` and "reject" to the rest, one send after the other, awards
// first (as ReplicaNegotiator.close does); each awarded site answers "confirm". Messages are unsigned JSON padded
// to the size of the protocol message they stand for, keyed by the round's id (the protocol keys by service id).
// Latency = just before the cfp send → the last confirm parsed at site 0.
import { randomUUID } from 'node:crypto';
import { type Admin, type Consumer, Kafka, logLevel, Partitioners, type Producer } from 'kafkajs';
import { type RoundResult } from './negotiation-protocol';
import { createTopics, paddedJson, Signal, until, within } from './negotiation-util';

export type RawType = 'cfp' | 'offer' | 'award' | 'reject' | 'confirm' | 'probe';

interface RawMessage {
  t: RawType;
  r: string;
  from: string;
  to: string;
}

export interface RawOptions {
  /** Topic and group prefix, unique per run and size. */
  prefix: string;
  sites: number;
  replicas: number;
  brokers: string[];
  inboxPartitions: number;
  broadcastPartitions: number;
  /** Bytes of each message type (the protocol message it stands for). */
  sizeOf: (t: RawType) => number;
}

interface OpenRound {
  t0: number;
  tEnd: number;
  offers: string[];
  decided: number;
  confirms: number;
  confirmed: Signal;
  settled: Signal;
}

class RawSite {
  readonly kafka: Kafka;
  readonly producer: Producer;
  readonly consumers: Consumer[] = [];
  readonly probed = { inbox: false, broadcast: false };

  constructor(
    readonly id: string,
    readonly index: number,
    private readonly fed: RawFederation,
  ) {
    this.kafka = new Kafka({ clientId: `raw-${id}`, brokers: fed.options.brokers, logLevel: logLevel.ERROR, retry: { retries: 5, initialRetryTime: 200 } });
    this.producer = this.kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, allowAutoTopicCreation: false });
  }

  async start(): Promise<void> {
    await this.producer.connect();
    await this.consume(this.fed.inboxOf(this.id), `${this.fed.options.prefix}-${this.id}-inbox`, 'inbox');
    await this.consume(this.fed.broadcastTopic, `${this.fed.options.prefix}-${this.id}-broadcast`, 'broadcast');
  }

  async send(to: string, t: RawType, r: string): Promise<void> {
    const topic = to === '*' ? this.fed.broadcastTopic : this.fed.inboxOf(to);
    const value = paddedJson({ t, r, from: this.id, to }, this.fed.options.sizeOf(t));
    await this.producer.send({ topic, acks: -1, messages: [{ key: r, value }] });
  }

  async close(): Promise<void> {
    await Promise.allSettled(this.consumers.map((c) => c.disconnect()));
    await this.producer.disconnect().catch(() => undefined);
  }

  private async consume(topic: string, groupId: string, kind: 'inbox' | 'broadcast'): Promise<void> {
    const consumer = this.kafka.consumer({ groupId, allowAutoTopicCreation: false, maxWaitTimeInMs: 500 });
    await consumer.connect();
    this.consumers.push(consumer);
    await consumer.subscribe({ topic, fromBeginning: false });
    await consumer.run({ eachMessage: async ({ message }) => this.fed.receive(this, kind, message.value?.toString('utf8') ?? '') });
  }
}

export class RawFederation {
  readonly siteIds: string[];
  readonly sites: RawSite[];
  readonly broadcastTopic: string;
  private readonly rounds = new Map<string, OpenRound>();

  constructor(readonly options: RawOptions) {
    this.siteIds = Array.from({ length: options.sites }, (_, i) => `s${i}`);
    this.broadcastTopic = `${options.prefix}.broadcast`;
    this.sites = this.siteIds.map((id, i) => new RawSite(id, i, this));
  }

  inboxOf(site: string): string {
    return `${this.options.prefix}.${site}`;
  }

  get consumer(): RawSite {
    return this.sites[0] as RawSite;
  }

  get owned(): { topics: string[]; groups: string[] } {
    return {
      topics: [this.broadcastTopic, ...this.siteIds.map((s) => this.inboxOf(s))],
      groups: this.siteIds.flatMap((s) => [`${this.options.prefix}-${s}-inbox`, `${this.options.prefix}-${s}-broadcast`]),
    };
  }

  async start(admin: Admin): Promise<void> {
    await createTopics(admin, [this.broadcastTopic], this.options.broadcastPartitions);
    await createTopics(admin, this.siteIds.map((s) => this.inboxOf(s)), this.options.inboxPartitions);
    for (const site of this.sites) await site.start();
  }

  /** As ProtocolFederation.waitUntilJoined, with "probe" messages. */
  async waitUntilJoined(timeoutMs: number): Promise<void> {
    const [first, second] = this.sites as [RawSite, RawSite];
    await until(`all ${this.sites.length * 2} raw consumers joined`, () => this.sites.every((s) => s.probed.inbox && s.probed.broadcast), timeoutMs, async () => {
      if (this.sites.some((s) => !s.probed.broadcast)) await first.send('*', 'probe', 'probe');
      for (const s of this.sites) if (!s.probed.inbox) await (s === second ? first : second).send(s.id, 'probe', 'probe');
    }, 500);
  }

  async round(timeoutMs: number): Promise<RoundResult> {
    const r = randomUUID();
    const round: OpenRound = { t0: 0, tEnd: 0, offers: [], decided: 0, confirms: 0, confirmed: new Signal(), settled: new Signal() };
    this.rounds.set(r, round);
    try {
      round.t0 = performance.now();
      await this.consumer.send('*', 'cfp', r);
      const n = this.options.sites - 1;
      const why = () => `offers ${round.offers.length}/${n}, awards+rejects handled ${round.decided}/${n}, confirms ${round.confirms}/${this.options.replicas}`;
      if (!(await within(round.confirmed, timeoutMs))) return { ok: false, why: why() };
      if (!(await within(round.settled, timeoutMs))) return { ok: false, why: why() };
      return { ok: true, ms: round.tEnd - round.t0 };
    } finally {
      this.rounds.delete(r);
    }
  }

  async close(): Promise<void> {
    await Promise.allSettled(this.sites.map((s) => s.close()));
  }

  async receive(site: RawSite, kind: 'inbox' | 'broadcast', value: string): Promise<void> {
    const m = JSON.parse(value) as RawMessage;
    if (m.from === site.id) {
      if (kind === 'broadcast') site.probed.broadcast = true; // own broadcast read back, dropped
      return;
    }
    if (m.t === 'probe') {
      site.probed[kind] = true;
      return;
    }
    const round = this.rounds.get(m.r);
    switch (m.t) {
      case 'cfp':
        await site.send(m.from, 'offer', m.r);
        return;
      case 'offer':
        if (!round) return;
        round.offers.push(m.from);
        // As the protocol side: decide once all offers are in, without holding up the inbox consumer.
        if (round.offers.length === this.options.sites - 1) this.decide(m.r, round).catch((err: unknown) => console.error(`raw decide failed: ${String(err)}`));
        return;
      case 'award':
        await site.send(m.from, 'confirm', m.r);
        if (round) this.decided(round);
        return;
      case 'reject':
        if (round) this.decided(round);
        return;
      case 'confirm':
        if (!round) return;
        round.confirms += 1;
        if (round.confirms === this.options.replicas) {
          round.tEnd = performance.now();
          round.confirmed.resolve();
        }
        this.checkSettled(round);
        return;
    }
  }

  /** Awards the cheapest (the protocol side prices site i above site i-1), then rejects the rest, one by one. */
  private async decide(r: string, round: OpenRound): Promise<void> {
    const ranked = [...round.offers].sort((a, b) => this.siteIds.indexOf(a) - this.siteIds.indexOf(b));
    for (const to of ranked.slice(0, this.options.replicas)) await this.consumer.send(to, 'award', r);
    for (const to of ranked.slice(this.options.replicas)) await this.consumer.send(to, 'reject', r);
  }

  private decided(round: OpenRound): void {
    round.decided += 1;
    this.checkSettled(round);
  }

  private checkSettled(round: OpenRound): void {
    if (round.confirms >= this.options.replicas && round.decided >= this.options.sites - 1) round.settled.resolve();
  }
}
