import { type BusMessage, type EventBus } from '@reservoir/domain/ports/event-bus.port';

/**
 * The EventBus port's contract (libs/domain/ports/event-bus.port.ts) as one jest suite that every adapter runs: the
 * in-process MemoryEventBus (libs/adapters/bus/memory-event-bus.contract.spec.ts) and KafkaEventBus on the real
 * broker (test/kafka-event-bus.e2e-spec.ts). The RS-RS transport relies on exactly these properties: an inbox topic
 * per site read by one group per site, keys = service ids so one service's messages keep their order, and
 * at-least-once delivery into idempotent handlers.
 *
 * What the suite holds the port to, beyond its doc comment (which the adapters' comments spell out):
 *   - a group consumes from the moment `subscribe()` resolves: a message published afterwards reaches it, even if
 *     the group never consumed before (no "knock until it joins" loop);
 *   - order is publish order per key for publishes that are awaited one after the other;
 *   - after `close()`, publish, subscribe and ping reject, and `close()` may be called again.
 * Because delivery is at-least-once, nothing here fails on a duplicate: messages are compared by their first
 * delivery. What the adapters legitimately do differently is left alone: a second member of a group shares the
 * group's messages on Kafka but receives nothing on the memory bus (only the group as a whole is checked), and a
 * handler that keeps failing is dead-lettered by the memory bus but retried indefinitely by Kafka.
 */
export interface EventBusContractTarget {
  bus: EventBus;
  /** Lets in-flight deliveries finish where the adapter can tell (the memory bus drains; Kafka has nothing to wait for). */
  settle(): Promise<void>;
  /** A topic name no other test or run uses; consumer groups are named after it. */
  topic(prefix: string): string;
  /** Called after `bus.close()`: removes what the test created (Kafka topics and groups). */
  cleanup(): Promise<void>;
}

/** Longest wait for a delivery; the Kafka consumer's first join and a rebalance take a few seconds. */
const DELIVERY_MS = 20_000;
/** Per test: room for a delivery wait, so a missing message fails with what was missing rather than jest's timeout. */
const TEST_MS = DELIVERY_MS + 10_000;

/** Registers the suite for one adapter; `make` is called once per test. */
export function eventBusContract(name: string, make: () => Promise<EventBusContractTarget>): void {
  describe(`${name}: EventBus port contract`, () => {
    let target: EventBusContractTarget;
    let bus: EventBus;

    beforeEach(async () => {
      target = await make();
      bus = target.bus;
    });
    afterEach(async () => {
      await bus.close();
      await target.cleanup();
    });

    /** Polls `check`, letting the bus settle before each look, until it holds or DELIVERY_MS pass. */
    const until = async (what: () => string, check: () => boolean): Promise<void> => {
      const deadline = Date.now() + DELIVERY_MS;
      for (;;) {
        await target.settle();
        if (check()) return;
        if (Date.now() > deadline) throw new Error(`timed out after ${DELIVERY_MS} ms waiting for ${what()}`);
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
    };
    /** Subscribes `group` (named after the topic) and returns the list its handler appends to. */
    const collect = async (topic: string, group: string): Promise<BusMessage[]> => {
      const got: BusMessage[] = [];
      await bus.subscribe(topic, `${topic}.${group}`, async (m) => void got.push(m));
      return got;
    };
    const publishAll = async (messages: BusMessage[]): Promise<void> => {
      for (const m of messages) await bus.publish(m);
    };
    const values = (got: BusMessage[], key?: string): string[] => firstDeliveries(got.filter((m) => key === undefined || m.key === key));

    it('delivers each message published after subscribe() resolved, with its topic, key and value', async () => {
      const topic = target.topic('deliver');
      const other = target.topic('deliver-other');
      const got = await collect(topic, 'a');
      const otherGot = await collect(other, 'a');
      const sent = [
        { topic, key: 'service-1', value: JSON.stringify({ n: 1, text: 'plain' }) },
        { topic, key: 'service-2', value: JSON.stringify({ n: 2, text: 'ünïcødé ✓ 漢字' }) },
        { topic, key: 'service-1', value: '' },
      ];
      const published = sent.map((m) => ({ ...m }));
      for (const m of published) await bus.publish(m);
      // What the publisher does with its object afterwards is not what was published.
      published.forEach((m) => (m.value = 'changed after publish'));
      await bus.publish({ topic: other, key: 'service-1', value: 'elsewhere' });

      await until(() => `3 messages on ${topic}, got ${JSON.stringify(got)}`, () => values(got).length >= 3 && otherGot.length >= 1);
      const distinct = [...new Map(got.map((m) => [m.value, m])).values()];
      expect(distinct.sort(byValue)).toEqual([...sent].sort(byValue));
      expect(otherGot.map((m) => ({ ...m }))).toContainEqual({ topic: other, key: 'service-1', value: 'elsewhere' });
    }, TEST_MS);

    it('gives every consumer group every message, and a group with two members each message at least once', async () => {
      const topic = target.topic('groups');
      const a = await collect(topic, 'a');
      const b = await collect(topic, 'b');
      // Two members of group c: on Kafka they split the partitions, on the memory bus the first takes everything.
      const c1 = await collect(topic, 'c');
      const c2 = await collect(topic, 'c');
      const sent = ['alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot'].map((key, i) => ({ topic, key, value: `m${i}` }));
      await publishAll(sent);

      const all = sent.map((m) => m.value).sort();
      const complete = (got: BusMessage[]): boolean => all.every((v) => got.some((m) => m.value === v));
      await until(() => `every group to get ${all.join(',')}`, () => complete(a) && complete(b) && complete([...c1, ...c2]));
      expect(values(a).sort()).toEqual(all);
      expect(values(b).sort()).toEqual(all);
      expect(values([...c1, ...c2]).sort()).toEqual(all);
    }, TEST_MS);

    it('keeps publish order per key, with other keys interleaved', async () => {
      const topic = target.topic('order');
      const got = await collect(topic, 'a');
      const keys = ['ordered', 'other-1', 'ordered', 'other-2'];
      const sent = Array.from({ length: 100 }, (_, i) => ({ topic, key: keys[i % keys.length], value: `${keys[i % keys.length]}#${i}` }));
      await publishAll(sent);

      await until(() => `100 messages, got ${values(got).length}`, () => values(got).length >= sent.length);
      for (const key of new Set(keys)) {
        expect(values(got, key)).toEqual(sent.filter((m) => m.key === key).map((m) => m.value));
      }
      expect(values(got, 'ordered')).toHaveLength(50);
    }, TEST_MS);

    it('delivers again a message whose handler threw, before the later messages of its key, and goes on', async () => {
      const topic = target.topic('retry');
      const got: BusMessage[] = [];
      let failed = false;
      await bus.subscribe(topic, `${topic}.a`, async (m) => {
        got.push(m);
        if (m.value === 'fails-once' && !failed) {
          failed = true;
          throw new Error('transient failure in the handler');
        }
      });
      await publishAll(['before', 'fails-once', 'after'].map((value) => ({ topic, key: 'service-1', value })));
      await bus.publish({ topic, key: 'service-2', value: 'other key' });

      await until(() => `'after' and 'other key', got ${got.map((m) => m.value).join(',')}`, () => ['after', 'other key'].every((v) => got.some((m) => m.value === v)));
      const mine = got.filter((m) => m.key === 'service-1').map((m) => m.value);
      expect(firstDeliveries(got.filter((m) => m.key === 'service-1'))).toEqual(['before', 'fails-once', 'after']);
      const attempts = mine.flatMap((v, i) => (v === 'fails-once' ? [i] : []));
      expect(attempts.length).toBeGreaterThanOrEqual(2);
      expect(attempts[1]).toBeLessThan(mine.indexOf('after'));
    }, TEST_MS);

    it('answers ping while open; after close() publish, subscribe and ping reject and close() may be repeated', async () => {
      const topic = target.topic('close');
      await expect(bus.ping()).resolves.toBeUndefined();
      await bus.publish({ topic, key: 'k', value: 'while open' });
      await bus.close();
      await expect(bus.publish({ topic, key: 'k', value: 'after close' })).rejects.toThrow();
      await expect(bus.publish({ topic: target.topic('close-new'), key: 'k', value: 'after close' })).rejects.toThrow();
      await expect(bus.subscribe(topic, `${topic}.a`, async () => undefined)).rejects.toThrow();
      await expect(bus.ping()).rejects.toThrow();
      await expect(bus.close()).resolves.toBeUndefined();
    }, TEST_MS);

    it('creates topics idempotently: publishing to new topics, at once or again, and subscribing more groups to them', async () => {
      const fresh = target.topic('fresh');
      await expect(bus.publish({ topic: fresh, key: 'k', value: 'nobody listens yet' })).resolves.toBeUndefined();
      const burst = target.topic('burst');
      await expect(Promise.all(['a', 'b', 'c', 'd'].map((key) => bus.publish({ topic: burst, key, value: key })))).resolves.toHaveLength(4);

      // `fresh` exists now (on Kafka); subscribe two groups to it and one again to `burst`.
      const a = await collect(fresh, 'a');
      const b = await collect(fresh, 'b');
      const c = await collect(burst, 'c');
      await bus.publish({ topic: fresh, key: 'k', value: 'for both groups' });
      await bus.publish({ topic: burst, key: 'k', value: 'for c' });
      await until(() => 'the groups of the existing topics to get their messages', () =>
        a.some((m) => m.value === 'for both groups') && b.some((m) => m.value === 'for both groups') && c.some((m) => m.value === 'for c'));
    }, TEST_MS);
  });
}

/** The values in order of first delivery: at-least-once may repeat a message, never reorder its first arrival. */
function firstDeliveries(got: BusMessage[]): string[] {
  return [...new Set(got.map((m) => m.value))];
}

function byValue(x: BusMessage, y: BusMessage): number {
  return x.value < y.value ? -1 : x.value > y.value ? 1 : 0;
}
