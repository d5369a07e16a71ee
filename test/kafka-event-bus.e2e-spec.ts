/**
 * KafkaEventBus against the real broker started by `npm run services:up`: the EventBus port contract
 * (libs/testing/event-bus-contract.ts, the same suite the in-process bus runs), plus what only a durable bus can
 * show: a consumer group that stops and subscribes again misses nothing that was published meanwhile.
 *
 * Topics are `contract.<run>.<name>.<n>` with 3 partitions, so keys spread over partitions as in production;
 * consumer groups are named after their topic. Both are deleted after each test.
 *
 * Run: npx jest --selectProjects e2e --runInBand --testPathPattern kafka-event-bus
 */
import { randomUUID } from 'node:crypto';
import { type Admin } from 'kafkajs';
import { KafkaEventBus } from '@reservoir/adapters/kafka/kafka-event-bus';
import { type BusMessage } from '@reservoir/domain/ports/event-bus.port';
// Directly, not through '@reservoir/testing' (whose index loads the whole broker): this suite needs Kafka only.
import { eventBusContract } from '../libs/testing/event-bus-contract';
import { createTestKafka, describeWithKafka, TEST_KAFKA_BROKER_LIST } from '../libs/testing/real-services';

process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';

describeWithKafka('KafkaEventBus on the real broker', () => {
  const run = `${Date.now().toString(36)}${randomUUID().slice(0, 6)}`;
  const prefix = `contract.${run}.`;
  let admin: Admin;
  let serial = 0;

  const newBus = (): KafkaEventBus =>
    new KafkaEventBus({ clientId: `contract-${run}-${++serial}`, brokers: TEST_KAFKA_BROKER_LIST, partitions: 3, replicationFactor: 1 });
  const topic = (name: string): string => `${prefix}${name}.${++serial}`;

  /** Deletes this run's topics and consumer groups (the groups are empty once their bus has closed). */
  const removeRun = async (): Promise<void> => {
    const topics = (await admin.listTopics()).filter((t) => t.startsWith(prefix));
    if (topics.length > 0) await admin.deleteTopics({ topics, timeout: 10_000 });
    const groups = (await admin.listGroups()).groups.map((g) => g.groupId).filter((g) => g.startsWith(prefix));
    if (groups.length > 0) await admin.deleteGroups(groups).catch(() => undefined);
  };

  beforeAll(async () => {
    admin = createTestKafka(`contract-admin-${run}`).admin();
    await admin.connect();
  });
  afterAll(async () => {
    await removeRun().catch(() => undefined);
    await admin?.disconnect();
  });

  eventBusContract('KafkaEventBus', async () => ({ bus: newBus(), settle: async () => undefined, topic, cleanup: removeRun }));

  describe('durable consumer groups', () => {
    const buses: KafkaEventBus[] = [];
    const open = (): KafkaEventBus => {
      const bus = newBus();
      buses.push(bus);
      return bus;
    };
    afterEach(async () => {
      await Promise.all(buses.splice(0).map((b) => b.close()));
      await removeRun();
    });

    it('a group that stops and subscribes again gets what was published meanwhile, on every partition', async () => {
      const inbox = topic('restart');
      const group = `${inbox}.site`;
      const got: BusMessage[] = [];
      const handler = async (m: BusMessage): Promise<void> => void got.push(m);

      // The group's first life sees one message, on one partition only ('alpha' hashes to partition 1).
      const first = open();
      await first.subscribe(inbox, group, handler);
      await first.publish({ topic: inbox, key: 'alpha', value: 'first life' });
      await until(() => got.some((m) => m.value === 'first life'), 'the first life to get its message');
      await first.close();

      // Published while the group has no member; these keys cover all three partitions.
      const keys = ['alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot'];
      const sender = open();
      for (const key of keys) await sender.publish({ topic: inbox, key, value: `meanwhile ${key}` });

      await open().subscribe(inbox, group, handler);
      const meanwhile = keys.map((key) => `meanwhile ${key}`);
      await until(() => meanwhile.every((v) => got.some((m) => m.value === v)), `all of ${meanwhile.join(', ')}`);
      expect([...new Set(got.map((m) => m.value))].sort()).toEqual(['first life', ...meanwhile].sort());
    }, 30_000);
  });
});

/** Polls `check` until it holds or 20 s pass. */
async function until(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after 20 s waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
