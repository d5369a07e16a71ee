import { type Admin, type Consumer, Kafka, logLevel, Partitioners, type Producer } from 'kafkajs';
import { type BusHandler, type BusMessage, type EventBus } from '@reservoir/domain/ports/event-bus.port';

export interface KafkaBusOptions {
  clientId: string;
  brokers: string[];
  /** Partition count and replication factor of topics this bus creates. */
  partitions: number;
  replicationFactor: number;
}

/**
 * EventBus on Apache Kafka (kafkajs). Topics are created idempotently before first use; messages are keyed so
 * one key keeps its order; the producer waits for all in-sync replicas. A handler that throws is retried by
 * kafkajs (the offset is not committed), so delivery is at-least-once and handlers must be idempotent.
 *
 * A group's position starts when it first subscribes: every message published after `subscribe()` resolves
 * reaches the group, and a group that stops and subscribes again resumes where it left off on every partition
 * (see `pinStarts`). After `close()` every call rejects; close itself may be repeated.
 */
export class KafkaEventBus implements EventBus {
  private readonly kafka: Kafka;
  private readonly admin: Admin;
  private readonly producer: Producer;
  private readonly consumers: Consumer[] = [];
  private readonly knownTopics = new Set<string>();
  private readonly creating = new Map<string, Promise<void>>();
  /** Per `group\0topic`: partitions that had no committed offset when the group first subscribed here, and the
   *  high watermark then, i.e. where the group must start on them. */
  private readonly groupStarts = new Map<string, Map<number, string>>();
  private connected?: Promise<void>;
  private closed = false;

  constructor(private readonly options: KafkaBusOptions) {
    this.kafka = new Kafka({
      clientId: options.clientId,
      brokers: options.brokers,
      logLevel: logLevel.ERROR,
      retry: { retries: 5, initialRetryTime: 200 },
    });
    this.admin = this.kafka.admin();
    this.producer = this.kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, allowAutoTopicCreation: false });
  }

  /** Connects the admin and producer clients; called lazily, safe to call repeatedly, retried after a failure. */
  connect(): Promise<void> {
    if (this.closed) return Promise.reject(new Error('bus closed'));
    this.connected ??= Promise.all([this.admin.connect(), this.producer.connect()]).then(
      () => undefined,
      (err: unknown) => {
        this.connected = undefined;
        throw err;
      },
    );
    return this.connected;
  }

  async ensureTopics(topics: string[]): Promise<void> {
    await this.connect();
    const unknown = topics.filter((t) => !this.knownTopics.has(t));
    if (unknown.length === 0) return;
    // Concurrent first publishes to one topic share a single creation instead of racing CreateTopics requests.
    const fresh = unknown.filter((t) => !this.creating.has(t));
    if (fresh.length > 0) {
      const created = this.createTopics(fresh).finally(() => fresh.forEach((t) => this.creating.delete(t)));
      fresh.forEach((t) => this.creating.set(t, created));
    }
    await Promise.all(unknown.map((t) => this.creating.get(t)));
  }

  private async createTopics(topics: string[]): Promise<void> {
    const existing = new Set(await this.admin.listTopics());
    const missing = topics.filter((t) => !existing.has(t));
    if (missing.length > 0) {
      // createTopics answers false (no error) for a topic another client created meanwhile.
      await this.admin.createTopics({
        waitForLeaders: true,
        topics: missing.map((topic) => ({
          topic,
          numPartitions: this.options.partitions,
          replicationFactor: this.options.replicationFactor,
        })),
      });
    }
    topics.forEach((t) => this.knownTopics.add(t));
  }

  async publish(message: BusMessage): Promise<void> {
    await this.ensureTopics([message.topic]);
    await this.producer.send({ topic: message.topic, acks: -1, messages: [{ key: message.key, value: message.value }] });
  }

  async subscribe(topic: string, group: string, handler: BusHandler): Promise<void> {
    await this.ensureTopics([topic]);
    const starts = await this.startOffsets(topic, group);
    // A member that dies without leaving (a killed broker) holds its partitions until its session times out; 10 s
    // (kafkajs' default is 30 s) lets a restarted site read its inbox again sooner.
    const consumer = this.kafka.consumer({ groupId: group, allowAutoTopicCreation: false, maxWaitTimeInMs: 500, sessionTimeout: 10_000, heartbeatInterval: 1_000 });
    this.consumers.push(consumer);
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: false });
    consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => this.pinStarts(consumer, topic, group, starts, payload.memberAssignment[topic] ?? []));
    await consumer.run({
      eachMessage: async ({ topic: t, message }) => {
        await handler({ topic: t, key: message.key?.toString('utf8') ?? '', value: message.value?.toString('utf8') ?? '' });
      },
    });
    if (this.closed) {
      // close() ran meanwhile and its disconnect may have raced the connect or run: this consumer must not stay up.
      await consumer.disconnect();
      throw new Error('bus closed');
    }
  }

  async ping(): Promise<void> {
    await this.connect();
    await this.admin.describeCluster();
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.allSettled(this.consumers.map((c) => c.disconnect()));
    if (this.connected) await Promise.allSettled([this.producer.disconnect(), this.admin.disconnect()]);
  }

  /**
   * Where `group` must start on the partitions of `topic` it has no committed offset for: the high watermark now.
   * kafkajs starts such a partition at the latest offset when the member first fetches it and commits nothing
   * there until a message arrives, so without this a group that restarts (or rebalances) skips what was published
   * meanwhile on every partition it had never received a message on. Shared by this bus' members of the group.
   */
  private async startOffsets(topic: string, group: string): Promise<Map<number, string>> {
    const key = `${group}\u0000${topic}`;
    const known = this.groupStarts.get(key);
    if (known) return known;
    const [committed] = await this.admin.fetchOffsets({ groupId: group, topics: [topic] });
    const unset = new Set(committed.partitions.filter((p) => Number(p.offset) < 0).map((p) => p.partition));
    const high = unset.size === 0 ? [] : await this.admin.fetchTopicOffsets(topic);
    const starts = new Map(high.filter((p) => unset.has(p.partition)).map((p) => [p.partition, p.high] as const));
    this.groupStarts.set(key, starts);
    return starts;
  }

  /**
   * On each join: the member's partitions in `starts` that still have no committed offset are sought to their start,
   * which also commits it (kafkajs commits a seek at once), so the group keeps that position from then on. They are
   * paused meanwhile (GROUP_JOIN fires before the first fetch) so nothing is fetched from the latest offset first.
   */
  private pinStarts(consumer: Consumer, topic: string, group: string, starts: Map<number, string>, assigned: number[]): void {
    const mine = assigned.filter((p) => starts.has(p));
    if (mine.length === 0) return;
    consumer.pause([{ topic, partitions: mine }]);
    void (async () => {
      try {
        const [committed] = await this.admin.fetchOffsets({ groupId: group, topics: [topic] });
        for (const { partition, offset } of committed.partitions) {
          const start = starts.get(partition);
          if (start === undefined || !mine.includes(partition)) continue;
          if (Number(offset) < 0) consumer.seek({ topic, partition, offset: start });
          else starts.delete(partition);
        }
      } catch {
        // Unpinned, the partitions start at the latest offset as kafkajs does by default; the next join tries again.
      } finally {
        if (!this.closed) consumer.resume([{ topic, partitions: mine }]);
      }
    })();
  }
}
