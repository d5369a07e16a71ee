import { readFileSync } from 'node:fs';
import { validateXML } from 'xmllint-wasm';
import { buildManifestXml, readManifestExample } from '@reservoir/testing/manifest-builders';
import { locateManifestSchema } from './xmllint-schema-validator';
import { XmllintWorkerPool } from './xmllint-worker-pool';
import { type XmllintExit, type XmllintRun } from './xmllint-worker.source';

const schema = readFileSync(locateManifestSchema(), 'utf8');
const shop = readManifestExample('web-shop.xml');
const minimal = readManifestExample('minimal.xml');
const badShop = shop.replace('vcpu="1"', 'vcpu="0"');
const badMinimal = minimal.replace('version="1"', 'version="2"');
const brokenMinimal = minimal.replace('</tier>', '');
const tier200 = buildManifestXml({ tiers: 200 });

/** The run xmllint-wasm's validateXML makes for `validateXML({ xml, schema, modifyArguments: ['--nonet', ...] })`. */
function runFor(xml: string, options: { schemaText?: string; maxMemoryPages?: number; initialMemoryPages?: number } = {}): XmllintRun {
  return {
    inputFiles: [
      { fileName: 'manifest.xml', contents: xml },
      { fileName: 'service-manifest.xsd', contents: options.schemaText ?? schema },
    ],
    args: ['--nonet', '--schema', 'service-manifest.xsd', '--noout', 'manifest.xml'],
    initialMemoryPages: options.initialMemoryPages ?? 256,
    maxMemoryPages: options.maxMemoryPages ?? 512,
  };
}

/** What validateXML tells apart: valid (exit 0), invalid (3 or 4), or a rejection carrying the exit code. */
type Outcome = { status: string; stderr: string };

function outcomeOf(exit: XmllintExit): Outcome {
  const status = exit.exitCode === 0 ? 'valid' : exit.exitCode === 3 || exit.exitCode === 4 ? 'invalid' : `exit ${exit.exitCode}`;
  return { status, stderr: exit.stderr };
}

/** The reference: xmllint-wasm's own path, a new worker thread and a new WebAssembly compilation per run. */
async function viaValidateXml(xml: string, options: { schemaText?: string; maxMemoryPages?: number } = {}): Promise<Outcome> {
  try {
    const result = await validateXML({
      xml: [{ fileName: 'manifest.xml', contents: xml }],
      schema: [{ fileName: 'service-manifest.xsd', contents: options.schemaText ?? schema }],
      modifyArguments: (args) => ['--nonet', ...args],
      maxMemoryPages: options.maxMemoryPages ?? 512,
    });
    return { status: result.valid ? 'valid' : 'invalid', stderr: result.rawOutput };
  } catch (error) {
    const failure = error as Error & { code?: number };
    return { status: `exit ${failure.code}`, stderr: failure.message };
  }
}

/** A manifest of `tiers` copies of web-shop's first tier: 6000 (2.7 MB) exceeds 16 MiB of WebAssembly memory. */
function hugeManifest(tiers: number): string {
  const tier = shop.slice(shop.indexOf('<tier'), shop.indexOf('</tier>') + '</tier>'.length);
  const copies = Array.from({ length: tiers }, (_, i) => tier.replace('name="web-servers"', `name="t${i}"`)).join('\n');
  return shop.replace('<tier', `${copies}\n<tier`);
}

const pools: XmllintWorkerPool[] = [];
function newPool(options: Partial<{ size: number; timeoutMs: number; idleTimeoutMs: number }> = {}): XmllintWorkerPool {
  const pool = new XmllintWorkerPool({ size: 2, timeoutMs: 10_000, idleTimeoutMs: 60_000, ...options });
  pools.push(pool);
  return pool;
}
afterAll(() => Promise.all(pools.map((pool) => pool.close())));

describe('XmllintWorkerPool', () => {
  it('ends each run exactly as xmllint-wasm does: same exit status, same output', async () => {
    const pool = newPool();
    const brokenSchema = schema.replace('<xs:simpleType name="name-type">', '<xs:simpleType name="name-type"><xs:bogus/>');
    const cases: [string, { schemaText?: string; maxMemoryPages?: number }][] = [
      [shop, {}],
      [badShop, {}],
      [badMinimal, {}],
      [brokenMinimal, {}],
      ['', {}],
      [tier200.replace('tier-007', 'tier-003'), {}],
      [shop, { schemaText: brokenSchema }],
      // The memory ceiling: libxml2 runs out of memory and says so (exit 9), no WebAssembly abort.
      [hugeManifest(6000), { maxMemoryPages: 256 }],
    ];
    const seen = new Set<string>();
    for (const [xml, options] of cases) {
      const expected = await viaValidateXml(xml, options);
      seen.add(expected.status);
      await expect(pool.run(runFor(xml, options)).then(outcomeOf)).resolves.toEqual(expected);
    }
    expect([...seen].sort()).toEqual(['exit 5', 'exit 9', 'invalid', 'valid']);
    expect(pool.stats.started).toBe(1);
  }, 60_000);

  it('keeps nothing of a run for the next one in the same worker', async () => {
    const pool = newPool({ size: 1 });
    const expected = new Map<string, Outcome>();
    for (const xml of [badShop, shop, brokenMinimal, badMinimal]) expected.set(xml, await viaValidateXml(xml));
    for (const xml of [badShop, shop, badShop, brokenMinimal, shop, badMinimal, minimal, badShop]) {
      const outcome = outcomeOf(await pool.run(runFor(xml)));
      expect(outcome).toEqual(expected.get(xml) ?? { status: 'valid', stderr: 'manifest.xml validates\n' });
    }
    expect(pool.stats).toEqual({ started: 1, live: 1 });
  }, 30_000);

  it('runs at most `size` at once, queues the rest and gives each run its own result', async () => {
    const pool = newPool({ size: 2 });
    const inputs = Array.from({ length: 20 }, (_, i) => [shop, badShop, minimal, badMinimal, brokenMinimal][i % 5] ?? shop);
    const alone = await Promise.all([shop, badShop, minimal, badMinimal, brokenMinimal].map(async (xml) => [xml, outcomeOf(await pool.run(runFor(xml)))] as const));
    const expected = new Map(alone);
    const outcomes = await Promise.all(inputs.map((xml) => pool.run(runFor(xml)).then(outcomeOf)));
    expect(outcomes).toEqual(inputs.map((xml) => expected.get(xml)));
    expect(pool.stats).toEqual({ started: 2, live: 2 });
  }, 30_000);

  it('stops a run that outlasts its timeout, rejects it, and serves the next run with a new worker', async () => {
    const pool = newPool({ size: 1 });
    await expect(pool.run(runFor(minimal))).resolves.toMatchObject({ exitCode: 0 });
    await expect(pool.run(runFor(tier200), 1)).rejects.toThrow('no result within 1 ms; the run was stopped');
    await expect(pool.run(runFor(badMinimal)).then(outcomeOf)).resolves.toEqual(await viaValidateXml(badMinimal));
    await expect(pool.run(runFor(tier200))).resolves.toMatchObject({ exitCode: 0 });
    expect(pool.stats).toEqual({ started: 2, live: 1 });
  }, 30_000);

  it('rejects a run whose runtime fails, replaces the worker and goes on', async () => {
    const pool = newPool({ size: 1 });
    // xmllint.wasm declares 256 initial pages: a smaller memory fails to link; a maximum under the initial size cannot be made.
    await expect(pool.run(runFor(shop, { initialMemoryPages: 16, maxMemoryPages: 512 }))).rejects.toThrow(/memory import .* is smaller than initial 256/);
    await expect(pool.run(runFor(shop, { initialMemoryPages: 256, maxMemoryPages: 16 }))).rejects.toThrow(/maximum/i);
    await expect(pool.run(runFor(shop))).resolves.toMatchObject({ exitCode: 0 });
    expect(pool.stats.started).toBe(3);
  }, 30_000);

  it('stops idle workers after idleTimeoutMs and starts one again on demand', async () => {
    const pool = newPool({ size: 2, idleTimeoutMs: 50 });
    await Promise.all([pool.run(runFor(shop)), pool.run(runFor(minimal))]);
    expect(pool.stats.live).toBe(2);
    await waitFor(() => pool.stats.live === 0);
    await expect(pool.run(runFor(badShop)).then(outcomeOf)).resolves.toMatchObject({ status: 'invalid' });
    expect(pool.stats.started).toBe(3);
  }, 30_000);

  it('close() rejects pending runs, ends every worker thread and can be called again', async () => {
    const pool = newPool({ size: 2 });
    await Promise.all([pool.run(runFor(shop)), pool.run(runFor(minimal))]);
    const settled = (run: Promise<XmllintExit>): Promise<string> => run.then(() => 'resolved', (error: Error) => error.message);
    const pending = [settled(pool.run(runFor(tier200))), settled(pool.run(runFor(tier200))), settled(pool.run(runFor(tier200)))];
    const closing = pool.close();
    expect(pool.close()).toBe(closing);
    await closing;
    expect(pool.stats).toEqual({ started: 2, live: 0 });
    // Two were running (their workers terminated), one was waiting.
    await expect(Promise.all(pending)).resolves.toEqual(Array(3).fill('the xmllint worker pool is closed'));
    await expect(pool.run(runFor(shop))).rejects.toThrow('the xmllint worker pool is closed');
    await expect(pool.close()).resolves.toBeUndefined();
  }, 30_000);
});

async function waitFor(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
