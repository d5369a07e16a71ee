// Manifest parse+validate throughput.
//   npx ts-node -r tsconfig-paths/register --transpile-only bench/manifest.ts
// Two manifests (the three-tier example, a generated 200-tier one) through two paths:
//   full   = preflight + XSD (libxml2/WebAssembly in a pool of worker threads) + domain parse + semantic rules
//   domain = preflight + domain parse + semantic rules (no XSD)
// Each row: warm-up, then sequential runs until a run count or a time budget is reached; latency p50/p99 in µs.
// Runs in about 20 s.
// A last row runs the full path with 4 validations in flight, twice the adapter's default pool of 2 workers.
import { XmllintSchemaValidator } from '@reservoir/adapters/xsd/xmllint-schema-validator';
import { ManifestValidator } from '@reservoir/application/manifest-intake/validate-manifest';
import { checkManifest } from '@reservoir/domain/manifest/analyze-manifest';
import { buildManifestXml, readManifestExample } from '@reservoir/testing/manifest-builders';

interface Row {
  manifest: string;
  path: string;
  runs: number;
  perSecond: number;
  p50: number;
  p99: number;
}

/** Warm-up and measurement each stop at a run count or a time budget, whichever comes first. */
interface Plan {
  warmup: number;
  warmupMs: number;
  runs: number;
  budgetMs: number;
}

const nowNs = (): bigint => process.hrtime.bigint();

function percentile(sortedMicros: number[], p: number): number {
  return sortedMicros[Math.min(sortedMicros.length - 1, Math.floor((p / 100) * sortedMicros.length))] ?? Number.NaN;
}

async function measure(manifest: string, path: string, plan: Plan, once: () => Promise<boolean> | boolean): Promise<Row> {
  const warmupEnd = nowNs() + BigInt(plan.warmupMs) * 1_000_000n;
  for (let i = 0; i < plan.warmup && nowNs() < warmupEnd; i += 1) {
    if (!(await once())) throw new Error(`${manifest}/${path}: rejected during warm-up`);
  }
  const micros: number[] = [];
  const start = nowNs();
  const deadline = start + BigInt(plan.budgetMs) * 1_000_000n;
  while (micros.length < plan.runs && nowNs() < deadline) {
    const t0 = nowNs();
    if (!(await once())) throw new Error(`${manifest}/${path}: rejected`);
    micros.push(Number(nowNs() - t0) / 1000);
  }
  const elapsedS = Number(nowNs() - start) / 1e9;
  micros.sort((a, b) => a - b);
  return { manifest, path, runs: micros.length, perSecond: micros.length / elapsedS, p50: percentile(micros, 50), p99: percentile(micros, 99) };
}

async function measureConcurrent(manifest: string, inFlight: number, runs: number, once: () => Promise<boolean>): Promise<Row> {
  await Promise.all(Array.from({ length: inFlight }, once));
  const micros: number[] = [];
  const start = nowNs();
  let started = 0;
  const worker = async (): Promise<void> => {
    while (started < runs) {
      started += 1;
      const t0 = nowNs();
      if (!(await once())) throw new Error(`${manifest}: rejected`);
      micros.push(Number(nowNs() - t0) / 1000);
    }
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
  const elapsedS = Number(nowNs() - start) / 1e9;
  micros.sort((a, b) => a - b);
  return { manifest, path: `full, ${inFlight} in flight`, runs: micros.length, perSecond: micros.length / elapsedS, p50: percentile(micros, 50), p99: percentile(micros, 99) };
}

function printTable(rows: Row[], sizes: Map<string, number>): void {
  const header = ['manifest', 'bytes', 'path', 'runs', 'manifests/s', 'p50 µs', 'p99 µs'];
  const cells = rows.map((r) => [r.manifest, String(sizes.get(r.manifest) ?? ''), r.path, String(r.runs), r.perSecond.toFixed(1), r.p50.toFixed(0), r.p99.toFixed(0)]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => (c[i] ?? '').length)));
  const line = (c: string[]): string => c.map((v, i) => (i < 3 ? v.padEnd(widths[i] ?? 0) : v.padStart(widths[i] ?? 0))).join('  ');
  console.log(line(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const c of cells) console.log(line(c));
}

async function main(): Promise<void> {
  const manifests = new Map([
    ['three-tier', Buffer.from(readManifestExample('web-shop.xml'))],
    ['200-tier', Buffer.from(buildManifestXml({ tiers: 200 }))],
  ]);
  const sizes = new Map([...manifests].map(([name, bytes]) => [name, bytes.byteLength]));
  const full = new ManifestValidator(new XmllintSchemaValidator());
  const rows: Row[] = [];
  for (const [name, bytes] of manifests) {
    rows.push(await measure(name, 'domain', { warmup: 300, warmupMs: 1500, runs: 5000, budgetMs: 4000 }, () => checkManifest(bytes).ok));
  }
  for (const [name, bytes] of manifests) {
    rows.push(await measure(name, 'full', { warmup: 3, warmupMs: 2000, runs: 40, budgetMs: 8000 }, async () => (await full.validate(bytes)).ok));
  }
  const threeTier = manifests.get('three-tier') ?? Buffer.alloc(0);
  rows.push(await measureConcurrent('three-tier', 4, 60, async () => (await full.validate(threeTier)).ok));
  console.log(`manifest intake, Node ${process.version}, ${new Date().toISOString()}`);
  printTable(rows, sizes);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
