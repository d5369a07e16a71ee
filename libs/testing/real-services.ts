/**
 * Helpers for e2e tests that talk to the real PostgreSQL and Kafka started by `npm run services:up`.
 *
 * Suites are declared with `describeWithPostgres` / `describeWithKafka`. Jest registers tests synchronously, so
 * availability is decided at registration time by a small synchronous probe (a child `node` process that really
 * connects: `SELECT 1` on the test database, an admin `listTopics()` on the broker), once per test file:
 *   - service up           -> a normal `describe`;
 *   - down, CI=true        -> throws: the test file fails ("... should have been started by npm run services:up");
 *   - down, not on CI      -> `console.warn('SKIPPED: ...')` and `describe.skip`, so jest reports the tests as
 *                             skipped instead of passing silently.
 *
 *   describeWithKafka('kafka round trip', () => {
 *     it('...', async () => { const kafka = createTestKafka('my-test'); ... });
 *   });
 *
 * For code that decides inside a hook, `await requireService('Kafka', await kafkaAvailable())` has the same
 * CI / non-CI semantics and returns whether the service is usable.
 */
import { spawnSync } from 'node:child_process';
import { type Consumer, Kafka, logLevel } from 'kafkajs';
import { Client } from 'pg';

export const TEST_DATABASE_URL: string =
  process.env.RESERVOIR_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/reservoir_test';

/** Comma-separated `host:port` list, as in RESERVOIR_TEST_KAFKA_BROKERS. */
export const TEST_KAFKA_BROKERS: string = process.env.RESERVOIR_TEST_KAFKA_BROKERS ?? '127.0.0.1:9092';

/** TEST_KAFKA_BROKERS split into the array kafkajs wants. */
export const TEST_KAFKA_BROKER_LIST: string[] = TEST_KAFKA_BROKERS.split(',')
  .map((b) => b.trim())
  .filter((b) => b.length > 0);

const POSTGRES_TIMEOUT_MS = 2000;
const KAFKA_CONNECT_TIMEOUT_MS = 1500;
const KAFKA_TIMEOUT_MS = 5000;
const SYNC_PROBE_TIMEOUT_MS = 15000;

/** A kafkajs client for tests: the test brokers, logs silenced (errors surface as rejected promises). */
export function createTestKafka(clientId: string): Kafka {
  return new Kafka({ clientId, brokers: TEST_KAFKA_BROKER_LIST, logLevel: logLevel.NOTHING });
}

/**
 * A consumer that reads `topic` from its beginning and hands every value (as text) to `onValue`. The topic is
 * created first if missing, with its leader elected: subscribing to a topic that brokers are still creating fails
 * with "This server does not host this topic-partition".
 */
export async function watchTopic(kafka: Kafka, topic: string, group: string, onValue: (value: string) => void): Promise<Consumer> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: 1, replicationFactor: 1 }] });
    await admin.fetchTopicMetadata({ topics: [topic] });
  } finally {
    await admin.disconnect();
  }
  const consumer = kafka.consumer({ groupId: group, maxWaitTimeInMs: 250 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({ eachMessage: async ({ message }) => onValue(message.value?.toString('utf8') ?? '') });
  return consumer;
}

export function isCi(): boolean {
  const ci = (process.env.CI ?? '').toLowerCase();
  return ci === 'true' || ci === '1';
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** True if TEST_DATABASE_URL accepts a connection and answers `SELECT 1`. */
export async function postgresAvailable(url: string = TEST_DATABASE_URL): Promise<boolean> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: POSTGRES_TIMEOUT_MS });
  client.on('error', () => undefined);
  try {
    await withTimeout(client.connect(), POSTGRES_TIMEOUT_MS + 500, 'PostgreSQL connect');
    await withTimeout(client.query('SELECT 1'), POSTGRES_TIMEOUT_MS, 'PostgreSQL SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** True if a Kafka broker at TEST_KAFKA_BROKERS completes an admin connect + listTopics. kafkajs logs are off. */
export async function kafkaAvailable(brokers: string[] = TEST_KAFKA_BROKER_LIST): Promise<boolean> {
  const admin = new Kafka({
    clientId: 'reservoir-probe',
    brokers,
    logLevel: logLevel.NOTHING,
    connectionTimeout: KAFKA_CONNECT_TIMEOUT_MS,
    requestTimeout: KAFKA_TIMEOUT_MS,
    retry: { retries: 0 },
  }).admin();
  try {
    await withTimeout(
      admin.connect().then(() => admin.listTopics()),
      KAFKA_TIMEOUT_MS + 1000,
      'Kafka listTopics',
    );
    return true;
  } catch {
    return false;
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

function missingMessage(name: string, detail?: string): string {
  return (
    `${name} is not running, but CI=true: npm run services:up should have started it before the tests` +
    (detail ? ` (${detail})` : '')
  );
}

function skippedMessage(name: string, detail?: string): string {
  return `SKIPPED: ${name} is not running (start it with npm run services:up)` + (detail ? ` [${detail}]` : '');
}

function decide(name: string, available: boolean, detail?: string): boolean {
  if (available) return true;
  if (isCi()) throw new Error(missingMessage(name, detail));
  console.warn(skippedMessage(name, detail));
  return false;
}

/**
 * Returns `available` when true. When false: on CI (CI=true) throws, because CI must fail rather than skip;
 * elsewhere prints `SKIPPED: <name> is not running (start it with npm run services:up)` and returns false.
 */
export async function requireService(name: string, available: boolean): Promise<boolean> {
  return decide(name, available);
}

// ------------------------------------------------------------------------------------ synchronous probes

export interface ProbeResult {
  ok: boolean;
  detail?: string;
}

// Runs in a child node process (argv: kind, target, module path) and prints one JSON line.
const PROBE_SCRIPT = `
const [kind, target, modulePath] = process.argv.slice(1);
const done = (ok, detail) => { process.stdout.write(JSON.stringify({ ok, detail }) + '\\n'); process.exit(0); };
const fail = (e) => done(false, String((e && e.message) || e).slice(0, 300));
if (kind === 'postgres') {
  const { Client } = require(modulePath);
  const c = new Client({ connectionString: target, connectionTimeoutMillis: ${POSTGRES_TIMEOUT_MS} });
  c.on('error', () => {});
  c.connect().then(() => c.query('SELECT 1')).then(() => c.end()).then(() => done(true), fail);
} else {
  const { Kafka, logLevel } = require(modulePath);
  const admin = new Kafka({ clientId: 'reservoir-probe', brokers: target.split(','), logLevel: logLevel.NOTHING,
    connectionTimeout: ${KAFKA_CONNECT_TIMEOUT_MS}, requestTimeout: ${KAFKA_TIMEOUT_MS}, retry: { retries: 0 } }).admin();
  admin.connect().then(() => admin.listTopics()).then(() => admin.disconnect()).then(() => done(true), fail);
}
setTimeout(() => done(false, 'no answer within ${KAFKA_TIMEOUT_MS + 3000} ms'), ${KAFKA_TIMEOUT_MS + 3000}).unref();
`;

function probeSync(kind: 'postgres' | 'kafka', target: string, moduleName: string): ProbeResult {
  const child = spawnSync(process.execPath, ['-e', PROBE_SCRIPT, kind, target, require.resolve(moduleName)], {
    encoding: 'utf8',
    timeout: SYNC_PROBE_TIMEOUT_MS,
    env: { ...process.env, KAFKAJS_NO_PARTITIONER_WARNING: '1' },
  });
  if (child.error) return { ok: false, detail: `probe failed: ${child.error.message}` };
  const line = (child.stdout ?? '').trim().split('\n').pop() ?? '';
  try {
    return JSON.parse(line) as ProbeResult;
  } catch {
    return { ok: false, detail: `probe printed no result (exit ${child.status}): ${(child.stderr ?? '').slice(0, 300)}` };
  }
}

let postgresProbe: ProbeResult | undefined;
let kafkaProbe: ProbeResult | undefined;

/** Synchronous, cached per test file: does TEST_DATABASE_URL answer? */
export function postgresAvailableSync(): ProbeResult {
  postgresProbe ??= probeSync('postgres', TEST_DATABASE_URL, 'pg');
  return postgresProbe;
}

/** Synchronous, cached per test file: does the broker at TEST_KAFKA_BROKERS answer? */
export function kafkaAvailableSync(): ProbeResult {
  kafkaProbe ??= probeSync('kafka', TEST_KAFKA_BROKER_LIST.join(','), 'kafkajs');
  return kafkaProbe;
}

/** `describe` that needs `service`: skipped with a printed reason when the probe failed locally, a failure on CI. */
export function describeWithService(service: string, probe: ProbeResult, name: string, fn: () => void): void {
  if (decide(service, probe.ok, probe.detail)) {
    describe(name, fn);
  } else {
    describe.skip(`${name} [SKIPPED: ${service} is not running]`, fn);
  }
}

/** `describe` that needs PostgreSQL at TEST_DATABASE_URL: skipped with a warning locally, a failure on CI. */
export function describeWithPostgres(name: string, fn: () => void): void {
  describeWithService(`PostgreSQL (${redactUrl(TEST_DATABASE_URL)})`, postgresAvailableSync(), name, fn);
}

/** `describe` that needs the Kafka broker at TEST_KAFKA_BROKERS: skipped with a warning locally, a failure on CI. */
export function describeWithKafka(name: string, fn: () => void): void {
  describeWithService(`Kafka (${TEST_KAFKA_BROKERS})`, kafkaAvailableSync(), name, fn);
}

function redactUrl(url: string): string {
  return url.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@');
}

/** Empties a test database (schema and migration table), so a broker starts from its first migration. */
export async function resetTestDatabase(url: string = TEST_DATABASE_URL): Promise<void> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    await client.query('DROP SCHEMA public CASCADE; CREATE SCHEMA public;');
  } finally {
    await client.end();
  }
}
