/**
 * kafkajs 2.2.4 against the real broker started by `npm run services:up` (Apache Kafka 4.x, KRaft).
 *
 * kafkajs is in maintenance mode and Kafka 4.0 removed old protocol versions (KIP-896); this suite proves, end to
 * end, every protocol path the project relies on: admin CreateTopics / Metadata / DeleteTopics / ListOffsets,
 * Produce with acks=-1 (plain and idempotent: InitProducerId), Fetch, and a consumer group's
 * FindCoordinator / JoinGroup / SyncGroup / Heartbeat / OffsetCommit / OffsetFetch / LeaveGroup.
 *
 * Run: npx jest --selectProjects e2e test/kafka-roundtrip.e2e-spec.ts --runInBand
 */
import { randomUUID } from 'node:crypto';
import { type Admin, type Consumer, type KafkaMessage, type Kafka, Partitioners, type Producer } from 'kafkajs';
// Imported directly rather than through '@reservoir/testing' (whose index also loads the broker harness and so
// the whole application): this suite needs nothing but kafkajs and a broker.
import { createTestKafka, describeWithKafka } from '../libs/testing/real-services';

process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';
jest.setTimeout(60_000);

interface Received {
  partition: number;
  offset: string;
  key: string;
  value: { key: string; seq: number; body: string };
  headers: Record<string, string>;
}

// Murmur2 (the Java client's partitioner, kafkajs DefaultPartitioner) puts these on partitions 1, 2, 0, 2, 2, 0:
// every partition is used and several keys share one. (Keys like 'site-a'...'site-f' would all land on 2.)
const KEYS = ['alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot'];
const PER_KEY = 25;
const TOTAL = KEYS.length * PER_KEY;

function decode(partition: number, message: KafkaMessage): Received {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(message.headers ?? {})) {
    headers[name] = Array.isArray(value) ? value.map(String).join(',') : String(value);
  }
  return {
    partition,
    offset: message.offset,
    key: message.key?.toString('utf8') ?? '<null>',
    value: JSON.parse(message.value?.toString('utf8') ?? 'null') as Received['value'],
    headers,
  };
}

/**
 * Starts `consumer` on `topic` and resolves once `count` messages arrived in `sink` (it keeps listening: callers
 * check for extras). With `commitEach`, auto-commit is off and each message's offset is committed explicitly.
 */
async function consumeAtLeast(
  consumer: Consumer,
  topic: string,
  count: number,
  sink: Received[],
  commitEach = false,
): Promise<void> {
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  let resolveDone!: () => void;
  const done = new Promise<void>((resolve) => (resolveDone = resolve));
  await consumer.run({
    autoCommit: !commitEach,
    eachMessage: async ({ topic: t, partition, message }) => {
      sink.push(decode(partition, message));
      if (commitEach) {
        await consumer.commitOffsets([{ topic: t, partition, offset: (BigInt(message.offset) + 1n).toString() }]);
      }
      if (sink.length >= count) resolveDone();
    },
  });
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`consumer received ${sink.length} of ${count} messages in 30 s`)), 30_000);
  });
  await Promise.race([done, timeout]).finally(() => clearTimeout(timer));
  // Give duplicates a moment to show up before callers check exact counts.
  await new Promise((r) => setTimeout(r, 500));
  await consumer.stop();
  await consumer.disconnect();
}

async function highWatermarkSum(admin: Admin, topic: string): Promise<number> {
  const offsets = await admin.fetchTopicOffsets(topic);
  return offsets.reduce((sum, p) => sum + Number(p.high), 0);
}

describeWithKafka('Kafka round trip with kafkajs against the real broker', () => {
  const run = `${Date.now()}-${randomUUID().slice(0, 8)}`;
  const topic = `reservoir-e2e-roundtrip-${run}`;
  const groupId = `reservoir-e2e-group-${run}`;
  const producedAt = Date.now();

  let kafka: Kafka;
  let admin: Admin;
  let producer: Producer;
  const consumers: Consumer[] = [];
  let topicDeleted = false;
  const received: Received[] = [];

  // A short fetch wait: kafkajs's stop() waits for the pending long-poll fetch (5 s by default).
  const groupConsumer = (): Consumer => {
    const consumer = kafka.consumer({ groupId, sessionTimeout: 10_000, heartbeatInterval: 1_000, maxWaitTimeInMs: 250 });
    consumers.push(consumer);
    return consumer;
  };

  beforeAll(async () => {
    kafka = createTestKafka(`reservoir-e2e-${run}`);
    admin = kafka.admin();
    await admin.connect();
    producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, allowAutoTopicCreation: false });
    await producer.connect();
  });

  afterAll(async () => {
    for (const consumer of consumers) await consumer.disconnect().catch(() => undefined);
    await producer?.disconnect().catch(() => undefined);
    if (admin && !topicDeleted) await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await admin?.disconnect().catch(() => undefined);
  });

  it('admin createTopics makes a 3-partition topic that Metadata and listTopics report', async () => {
    await expect(
      admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: 3, replicationFactor: 1 }] }),
    ).resolves.toBe(true);
    // Creating it again is a no-op reported as "not created".
    await expect(
      admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: 3, replicationFactor: 1 }] }),
    ).resolves.toBe(false);

    const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
    expect(topics).toHaveLength(1);
    expect(topics[0].partitions.map((p) => p.partitionId).sort()).toEqual([0, 1, 2]);
    for (const p of topics[0].partitions) {
      expect(p.leader).toBe(1);
      expect(p.replicas).toEqual([1]);
      expect(p.isr).toEqual([1]);
    }
    expect(await admin.listTopics()).toContain(topic);
    // ListOffsets on an empty topic: low = high = 0 everywhere.
    const offsets = await admin.fetchTopicOffsets(topic);
    expect(offsets.map((o) => [o.partition, o.low, o.high]).sort()).toEqual([
      [0, '0', '0'],
      [1, '0', '0'],
      [2, '0', '0'],
    ]);
  });

  it('produces keyed messages with acks=-1 and ListOffsets sees every one of them', async () => {
    // Interleave keys so per-key order is not an artefact of sending one key at a time.
    const messages = [];
    for (let seq = 0; seq < PER_KEY; seq++) {
      for (const key of KEYS) {
        messages.push({
          key,
          value: JSON.stringify({ key, seq, body: `payload ${key} #${seq} ✓` }),
          headers: { 'x-run': run, 'x-seq': String(seq) },
        });
      }
    }
    // Two sends, to check order across produce requests too.
    const half = messages.length / 2;
    const first = await producer.send({ topic, acks: -1, messages: messages.slice(0, half) });
    const second = await producer.send({ topic, acks: -1, messages: messages.slice(half) });
    for (const meta of [...first, ...second]) {
      expect(meta.topicName).toBe(topic);
      expect(meta.errorCode).toBe(0);
    }
    expect(await highWatermarkSum(admin, topic)).toBe(TOTAL);
    // The keys spread over all three partitions, so the group below really reads several partitions.
    const used = (await admin.fetchTopicOffsets(topic)).filter((p) => Number(p.high) > 0);
    expect(used).toHaveLength(3);
    // ListOffsets by timestamp: everything was written after `producedAt`, so each partition starts at 0.
    const byTime = await admin.fetchTopicOffsetsByTimestamp(topic, producedAt - 1000);
    expect(byTime.map((o) => o.offset)).toEqual(['0', '0', '0']);
  });

  it('a consumer group receives exactly those messages: payloads, keys, headers, order per key', async () => {
    await consumeAtLeast(groupConsumer(), topic, TOTAL, received);

    expect(received).toHaveLength(TOTAL);
    for (const key of KEYS) {
      const mine = received.filter((m) => m.key === key);
      // One key, one partition, and the producer's order.
      expect(new Set(mine.map((m) => m.partition)).size).toBe(1);
      expect(mine.map((m) => m.value.seq)).toEqual([...Array(PER_KEY).keys()]);
      expect(mine.map((m) => m.value)).toEqual(
        [...Array(PER_KEY).keys()].map((seq) => ({ key, seq, body: `payload ${key} #${seq} ✓` })),
      );
      expect(mine.map((m) => m.headers)).toEqual(
        [...Array(PER_KEY).keys()].map((seq) => ({ 'x-run': run, 'x-seq': String(seq) })),
      );
      // Offsets within the partition increase strictly.
      const offsets = mine.map((m) => Number(m.offset));
      expect(offsets).toEqual([...offsets].sort((a, b) => a - b));
    }

    // OffsetCommit happened (auto-commit) and OffsetFetch returns the high watermark of every partition.
    const high = await admin.fetchTopicOffsets(topic);
    const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
    expect(committed.topic).toBe(topic);
    expect(committed.partitions.map((p) => [p.partition, p.offset]).sort()).toEqual(
      high.map((p) => [p.partition, p.high]).sort(),
    );
  });

  it('the group resumes from its committed offsets and commits explicitly (OffsetCommit / OffsetFetch)', async () => {
    // One new message on each partition (alpha -> 1, bravo -> 2, charlie -> 0).
    const extra = ['alpha', 'bravo', 'charlie'].map((key, i) => ({
      key,
      value: JSON.stringify({ key, seq: PER_KEY + i, body: `late ${key}` }),
    }));
    await producer.send({ topic, acks: -1, messages: extra });

    const resumed: Received[] = [];
    await consumeAtLeast(groupConsumer(), topic, extra.length, resumed, true);

    // Only the three new messages: nothing already committed was redelivered.
    expect(resumed.map((m) => m.value).sort((a, b) => a.seq - b.seq)).toEqual(
      extra.map((m) => JSON.parse(m.value) as Received['value']),
    );
    const high = await admin.fetchTopicOffsets(topic);
    const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
    expect(committed.partitions.map((p) => [p.partition, p.offset]).sort()).toEqual(
      high.map((p) => [p.partition, p.high]).sort(),
    );
    const groups = await admin.describeGroups([groupId]);
    expect(groups.groups[0].groupId).toBe(groupId);
    expect(groups.groups[0].state).toBe('Empty');
  });

  it('an idempotent producer (InitProducerId, acks=-1) appends exactly once', async () => {
    const before = await highWatermarkSum(admin, topic);
    const idempotent = kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    await idempotent.connect();
    try {
      await idempotent.send({
        topic,
        acks: -1,
        messages: KEYS.map((key) => ({ key, value: JSON.stringify({ key, seq: -1, body: 'idempotent' }) })),
      });
    } finally {
      await idempotent.disconnect();
    }
    expect(await highWatermarkSum(admin, topic)).toBe(before + KEYS.length);
  });

  it('admin deleteTopics removes the topic', async () => {
    await admin.deleteTopics({ topics: [topic], timeout: 10_000 });
    topicDeleted = true;
    const deadline = Date.now() + 15_000;
    while ((await admin.listTopics()).includes(topic)) {
      if (Date.now() > deadline) throw new Error(`${topic} still listed 15 s after deleteTopics`);
      await new Promise((r) => setTimeout(r, 200));
    }
    await admin.deleteGroups([groupId]);
  });
});
