// An in-process site broker for the deploy benchmark and a small HTTP client for its API (Node's fetch).
// Same start as libs/testing/broker-harness.ts `startTestBroker('embedded', 'memory', env)`, but the embedded
// store's directory is ours, so `close` can remove it.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '@reservoir/config';
import { type RunningBroker, startBroker } from '../../apps/site-broker/bootstrap';

const XML = 'application/xml';

/** One `phaseHistory` entry of GET /v1/services/:id. */
export interface PhaseEntry {
  from: string | null;
  to: string;
  reason: string;
  at: string;
}

/** The fields of GET /v1/services/:id the benchmark reads. */
export interface ServiceJson {
  id: string;
  name: string;
  phase: string;
  phaseHistory?: PhaseEntry[];
  vees?: { domain: string; consoleLog: string; phase: string; host: string }[];
}

export interface BenchBroker {
  broker: RunningBroker;
  url: string;
  close(): Promise<void>;
}

/** Starts a broker on 127.0.0.1 (free port), embedded store in a fresh temp dir, in-memory bus; `env` adds RESERVOIR_* variables. */
export async function startBenchBroker(env: Record<string, string> = {}): Promise<BenchBroker> {
  const dataDir = mkdtempSync(join(tmpdir(), 'reservoir-bench-store-'));
  try {
    const broker = await startBroker(
      loadConfig({ RESERVOIR_SITE_ID: 'bench', RESERVOIR_HTTP_HOST: '127.0.0.1', RESERVOIR_HTTP_PORT: '0', RESERVOIR_DATA_DIR: dataDir, ...env }),
      { logger: ['error'] },
    );
    return {
      broker,
      url: broker.url,
      async close() {
        try {
          await broker.close();
        } finally {
          rmSync(dataDir, { recursive: true, force: true });
        }
      },
    };
  } catch (err) {
    rmSync(dataDir, { recursive: true, force: true });
    throw err;
  }
}

async function expectStatus(res: Response, want: number, what: string): Promise<void> {
  if (res.status !== want) throw new Error(`${what}: HTTP ${res.status} (wanted ${want}): ${(await res.text()).slice(0, 500)}`);
}

/** POST /v1/hosts. */
export async function registerHost(url: string, name: string, uri: string): Promise<void> {
  const res = await fetch(`${url}/v1/hosts`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name, uri }) });
  await expectStatus(res, 201, `registering host ${name} (${uri})`);
}

/** POST /v1/services; returns the new service's id. */
export async function submitService(url: string, manifest: string): Promise<string> {
  const res = await fetch(`${url}/v1/services`, { method: 'POST', headers: { 'content-type': XML }, body: manifest });
  await expectStatus(res, 201, 'submitting a manifest');
  return ((await res.json()) as { id: string }).id;
}

/** GET /v1/services/:id; undefined once it is gone (404). */
export async function getService(url: string, id: string): Promise<ServiceJson | undefined> {
  const res = await fetch(`${url}/v1/services/${id}`);
  if (res.status === 404) {
    await res.body?.cancel();
    return undefined;
  }
  await expectStatus(res, 200, `reading service ${id}`);
  return (await res.json()) as ServiceJson;
}

/** DELETE /v1/services/:id (removes its domains and disks), then waits until GET answers 404. */
export async function deleteService(url: string, id: string, timeoutMs = 60_000): Promise<void> {
  const res = await fetch(`${url}/v1/services/${id}`, { method: 'DELETE' });
  if (res.status !== 404) await expectStatus(res, 204, `deleting service ${id}`);
  else await res.body?.cancel();
  await until(`service ${id} gone`, async () => ((await getService(url, id)) === undefined ? true : undefined), timeoutMs, 20);
}

/** When the service entered `phase`, from its phase history (the broker's clock, ms). */
export function phaseAt(service: ServiceJson, phase: string): number {
  const entry = service.phaseHistory?.find((h) => h.to === phase);
  if (!entry) throw new Error(`service ${service.name} has no '${phase}' in its phase history`);
  return Date.parse(entry.at);
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `probe` every `everyMs` until it returns a value; throws after `timeoutMs`. */
export async function until<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs: number, everyMs: number): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

/** Deletes every service of the broker (a page at a time), each waited for; returns how many. */
export async function deleteAllServices(url: string): Promise<number> {
  let count = 0;
  for (;;) {
    const res = await fetch(`${url}/v1/services?limit=100`);
    await expectStatus(res, 200, 'listing services');
    const page = (await res.json()) as { items: { id: string }[] };
    if (page.items.length === 0) return count;
    for (const s of page.items) await deleteService(url, s.id);
    count += page.items.length;
  }
}
