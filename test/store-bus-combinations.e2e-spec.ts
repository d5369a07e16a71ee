import request from 'supertest';
import { type Consumer } from 'kafkajs';
import { type RunningBroker } from '../apps/site-broker/bootstrap';
import { SERVICE_EVENTS_TOPIC, type ServiceLifecycleEvent } from '@reservoir/application/services/service-events';
import {
  type BusChoice,
  createTestKafka,
  describeWithKafka,
  describeWithPostgres,
  renamed,
  resetTestDatabase,
  startTestBroker,
  type StoreChoice,
  tempDataDir,
} from '@reservoir/testing';

const XML = 'application/xml';

/** Submits, reads back and deletes one service; checks health names the right store and bus. */
async function exerciseBroker(broker: RunningBroker, store: StoreChoice, bus: BusChoice, name: string): Promise<string> {
  const health = await request(broker.url).get('/healthz').expect(200);
  expect(health.body.checks).toEqual({ database: { status: 'ok', kind: store }, bus: { status: 'ok', kind: bus } });
  const created = await request(broker.url).post('/v1/services').set('content-type', XML).send(renamed('minimal.xml', name)).expect(201);
  const got = await request(broker.url).get(`/v1/services/${created.body.id}`).expect(200);
  expect(got.body.name).toBe(name);
  await request(broker.url).delete(`/v1/services/${created.body.id}`).expect(204);
  return created.body.id as string;
}

/** Collects service lifecycle events from Kafka for the test's duration. */
async function watchServiceEvents(): Promise<{ events: ServiceLifecycleEvent[]; consumer: Consumer }> {
  const events: ServiceLifecycleEvent[] = [];
  const kafka = createTestKafka('combo-watch');
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: SERVICE_EVENTS_TOPIC, numPartitions: 3 }], waitForLeaders: true });
  await admin.disconnect();
  const consumer = kafka.consumer({ groupId: `combo-watch-${process.pid}-${Date.now()}`, maxWaitTimeInMs: 250 });
  await consumer.connect();
  await consumer.subscribe({ topic: SERVICE_EVENTS_TOPIC, fromBeginning: true });
  await consumer.run({ eachMessage: async ({ message }) => void events.push(JSON.parse(message.value?.toString() ?? '{}')) });
  return { events, consumer };
}

async function until(check: () => boolean, ms = 15000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('embedded store + memory bus (the zero-setup demo path)', () => {
  it('serves the API and keeps services across a restart', async () => {
    const dataDir = tempDataDir();
    let broker = await startTestBroker('embedded', 'memory', { RESERVOIR_DATA_DIR: dataDir });
    try {
      await exerciseBroker(broker, 'embedded', 'memory', 'embedded-one');
      await request(broker.url).post('/v1/services').set('content-type', XML).send(renamed('web-shop.xml', 'kept')).expect(201);
    } finally {
      await broker.close();
    }
    broker = await startTestBroker('embedded', 'memory', { RESERVOIR_DATA_DIR: dataDir });
    try {
      const list = await request(broker.url).get('/v1/services').expect(200);
      expect(list.body.items.map((s: { name: string }) => s.name)).toEqual(['kept']);
      expect(list.body.items[0].tiers).toHaveLength(3);
    } finally {
      await broker.close();
    }
  });
});

describeWithKafka('Kafka bus', () => {
  let watch: { events: ServiceLifecycleEvent[]; consumer: Consumer };
  beforeAll(async () => (watch = await watchServiceEvents()));
  afterAll(async () => watch?.consumer.disconnect());

  /**
   * The service's whole lifecycle reaches Kafka in order: accepted first, deleted last, each move starting where
   * the previous one ended. What lies between depends on how far the background deployment got before the delete
   * (this broker has no hosts: placing → failed, or cancelled earlier).
   */
  const expectLifecycleOnKafka = async (id: string) => {
    const mine = () => watch.events.filter((e) => e.serviceId === id);
    await until(() => mine().some((e) => e.to === 'deleted'));
    const moves = mine().map((e) => [e.from, e.to]);
    expect(moves[0]).toEqual([null, 'accepted']);
    expect(moves.at(-1)).toEqual(['deleting', 'deleted']);
    for (let i = 1; i < moves.length; i += 1) expect(moves[i]?.[0]).toBe(moves[i - 1]?.[1]);
  };

  it('embedded store + Kafka bus: publishes the service lifecycle to Kafka', async () => {
    await expectLifecycleOnKafka(await runCombination('embedded', 'kafka'));
  });

  describeWithPostgres('with the PostgreSQL server', () => {
    it('server store + Kafka bus: publishes the service lifecycle to Kafka', async () => {
      await expectLifecycleOnKafka(await runCombination('server', 'kafka'));
    });
  });
});

describeWithPostgres('server store + memory bus', () => {
  it('serves the API', async () => {
    await runCombination('server', 'memory');
  });
});

/** Starts a broker with that store and bus (server store: on an empty test database), exercises it, stops it. */
async function runCombination(store: StoreChoice, bus: BusChoice): Promise<string> {
  if (store === 'server') await resetTestDatabase();
  const broker = await startTestBroker(store, bus);
  try {
    return await exerciseBroker(broker, store, bus, `${store}-${bus}`);
  } finally {
    await broker.close();
  }
}
