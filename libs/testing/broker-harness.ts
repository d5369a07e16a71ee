import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { findShippedFile, loadConfig } from '@reservoir/config';
import { type RunningBroker, startBroker } from '../../apps/site-broker/bootstrap';
import { TEST_DATABASE_URL, TEST_KAFKA_BROKERS } from './real-services';

export { resetTestDatabase } from './real-services';

export type StoreChoice = 'server' | 'embedded';
export type BusChoice = 'memory' | 'kafka';


/** Runs SQL against the test database directly (to check what the broker stored, or did not). */
export async function queryTestDatabase<T = Record<string, unknown>>(sql: string, params: unknown[] = []): Promise<T[]> {
  const client = new Client({ connectionString: TEST_DATABASE_URL });
  await client.connect();
  try {
    return (await client.query(sql, params)).rows as T[];
  } finally {
    await client.end();
  }
}

/** A fresh directory for an embedded store. */
export function tempDataDir(prefix = 'reservoir-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/**
 * Starts a real site broker on a free port with the chosen store and bus (server store = the test database,
 * Kafka = the test broker). Extra RESERVOIR_* variables override the defaults.
 */
export function startTestBroker(
  store: StoreChoice,
  bus: BusChoice,
  extra: Record<string, string> = {},
): Promise<RunningBroker> {
  const env: Record<string, string> = { RESERVOIR_SITE_ID: 'test', RESERVOIR_HTTP_HOST: '127.0.0.1', RESERVOIR_HTTP_PORT: '0' };
  if (store === 'server') env.RESERVOIR_DATABASE_URL = TEST_DATABASE_URL;
  else env.RESERVOIR_DATA_DIR = tempDataDir();
  if (bus === 'kafka') Object.assign(env, { RESERVOIR_BUS: 'kafka', RESERVOIR_KAFKA_BROKERS: TEST_KAFKA_BROKERS });
  return startBroker(loadConfig({ ...env, ...extra }), { logger: ['error'] });
}

/** Reads one of the shipped example manifests as bytes. */
export function exampleManifest(name: string): Buffer {
  return readFileSync(join(findShippedFile('schemas/examples'), name));
}

/** An example manifest with its service renamed (names are unique per site). */
export function renamed(example: string, name: string): Buffer {
  return Buffer.from(exampleManifest(example).toString('utf8').replace(/(<service\b[^>]*\bname=")[^"]+"/, `$1${name}"`));
}

/** supertest parser that keeps a response body as raw bytes. */
export function rawParser(response: unknown, cb: (err: Error | null, body: unknown) => void): void {
  const res = response as NodeJS.ReadableStream;
  const chunks: Buffer[] = [];
  res.on('data', (c: Buffer) => chunks.push(c));
  res.on('end', () => cb(null, Buffer.concat(chunks)));
}
