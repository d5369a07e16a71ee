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
 */
export class KafkaEventBus implements EventBus {
  private readonly kafka: Kafka;
  private readonly admin: Admin;
  private readonly producer: Producer;
  private readonly consumers: Consumer[] = [];
  private readonly knownTopics = new Set<string>();
  private connected?: Promise<void>;

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

  /** Connects the admin and producer clients; called lazily, safe to call repeatedly. */
  connect(): Promise<void> {
    this.connected ??= Promise.all([this.admin.connect(), this.producer.connect()]).then(() => undefined);
    return this.connected;
  }

  async ensureTopics(topics: string[]): Promise<void> {
    await this.connect();
    if (topics.every((t) => this.knownTopics.has(t))) return;
    const existing = new Set(await this.admin.listTopics());
    topics.filter((t) => existing.has(t)).forEach((t) => this.knownTopics.add(t));
    const missing = topics.filter((t) => !this.knownTopics.has(t));
    if (missing.length === 0) return;
    // createTopics answers false (no error) for a topic another client created meanwhile.
    await this.admin.createTopics({
      waitForLeaders: true,
      topics: missing.map((topic) => ({
        topic,
        numPartitions: this.options.partitions,
        replicationFactor: this.options.replicationFactor,
      })),
    });
    missing.forEach((t) => this.knownTopics.add(t));
  }

  async publish(message: BusMessage): Promise<void> {
    await this.ensureTopics([message.topic]);
    await this.producer.send({ topic: message.topic, acks: -1, messages: [{ key: message.key, value: message.value }] });
  }

  async subscribe(topic: string, group: string, handler: BusHandler): Promise<void> {
    await this.ensureTopics([topic]);
    // A member that dies without leaving (a killed broker) holds its partitions until its session times out; 10 s
    // (kafkajs' default is 30 s) lets a restarted site read its inbox again sooner.
    const consumer = this.kafka.consumer({ groupId: group, allowAutoTopicCreation: false, maxWaitTimeInMs: 500, sessionTimeout: 10_000, heartbeatInterval: 1_000 });
    await consumer.connect();
    this.consumers.push(consumer);
    await consumer.subscribe({ topic, fromBeginning: false });
    await consumer.run({
      eachMessage: async ({ topic: t, message }) => {
        await handler({ topic: t, key: message.key?.toString('utf8') ?? '', value: message.value?.toString('utf8') ?? '' });
      },
    });
  }

  async ping(): Promise<void> {
    await this.connect();
    await this.admin.describeCluster();
  }

  async close(): Promise<void> {
    await Promise.allSettled(this.consumers.map((c) => c.disconnect()));
    if (this.connected) await Promise.allSettled([this.producer.disconnect(), this.admin.disconnect()]);
  }
}
