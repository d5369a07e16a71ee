// Small pieces shared by bench/negotiation.ts and its helpers: waiting, padding, bounded concurrency, topic admin.
import { type Admin, Kafka, logLevel } from 'kafkajs';

/** Resolves after `ms`. */
export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** A promise with its resolve handle, settled once. */
export class Signal {
  readonly promise: Promise<void>;
  private done = false;
  private resolveFn: () => void = () => undefined;

  constructor() {
    this.promise = new Promise<void>((resolve) => {
      this.resolveFn = resolve;
    });
  }

  get settled(): boolean {
    return this.done;
  }

  resolve(): void {
    if (this.done) return;
    this.done = true;
    this.resolveFn();
  }
}

/** Resolves true when `signal` settles, false after `ms`. */
export async function within(signal: Signal, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([signal.promise.then(() => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Polls `check` every `everyMs` (running `tick` first each time) until it holds; throws after `ms`. */
export async function until(what: string, check: () => boolean, ms: number, tick?: () => Promise<void>, everyMs = 300): Promise<void> {
  const deadline = performance.now() + ms;
  while (!check()) {
    if (performance.now() > deadline) throw new Error(`${what}: not within ${ms} ms`);
    await tick?.();
    await sleep(everyMs);
  }
}

/** `fn` over `items` with at most `limit` calls in flight. */
export async function inParallel<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const item = items[next++] as T;
      await fn(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/**
 * JSON text of `fields` plus a `pad` member of filler, `bytes` long in all (or as short as it gets when `fields`
 * alone is longer): the raw baseline's stand-in for a protocol message of that size. ASCII only, so characters =
 * bytes.
 */
export function paddedJson(fields: Record<string, string | number>, bytes: number): string {
  const bare = JSON.stringify({ ...fields, pad: '' });
  return JSON.stringify({ ...fields, pad: 'x'.repeat(Math.max(0, bytes - bare.length)) });
}

/** A kafkajs admin for topic housekeeping (logs off). */
export function benchAdmin(brokers: string[], clientId: string): Admin {
  return new Kafka({ clientId, brokers, logLevel: logLevel.NOTHING, retry: { retries: 5, initialRetryTime: 200 } }).admin();
}

/** Partition count of an existing topic. */
export async function partitionsOf(admin: Admin, topic: string): Promise<number> {
  const meta = await admin.fetchTopicMetadata({ topics: [topic] });
  return meta.topics[0]?.partitions.length ?? 0;
}

/** Creates topics (idempotent) with `partitions` partitions each, waiting for their leaders. */
export async function createTopics(admin: Admin, topics: readonly string[], partitions: number): Promise<void> {
  const existing = new Set(await admin.listTopics());
  const missing = topics.filter((t) => !existing.has(t));
  if (missing.length === 0) return;
  await admin.createTopics({ waitForLeaders: true, topics: missing.map((topic) => ({ topic, numPartitions: partitions, replicationFactor: 1 })) });
}

/** Deletes this run's topics and consumer groups; what is already gone is fine. */
export async function dropTopicsAndGroups(admin: Admin, topics: readonly string[], groups: readonly string[]): Promise<void> {
  const existing = new Set(await admin.listTopics());
  const drop = topics.filter((t) => existing.has(t));
  if (drop.length > 0) await admin.deleteTopics({ topics: drop, timeout: 10_000 });
  if (groups.length > 0) {
    const known = new Set((await admin.listGroups()).groups.map((g) => g.groupId));
    const gone = groups.filter((g) => known.has(g));
    if (gone.length > 0) await admin.deleteGroups(gone).catch(() => undefined);
  }
}

/** Whole milliseconds, or '-' for nothing measured. */
export const fmtMs = (n: number | undefined): string => (n === undefined || Number.isNaN(n) ? '-' : n < 10 ? n.toFixed(1) : n.toFixed(0));

/** A ratio to two decimals, or '-'. */
export const fmtRatio = (a: number, b: number): string => (Number.isFinite(a / b) && b > 0 ? `${(a / b).toFixed(2)}x` : '-');
