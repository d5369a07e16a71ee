// Native protection through the whole broker on qemu:///system with the counter guest (TCG): checkpoint pause,
// duration and size, recovery after a killed QEMU, achieved RPO vs configured, the guest's counter rate with and
// without periodic checkpoints, and the raw libvirt operations on the same guest in the same run.
//   npm run bench:protection   (ts-node -r tsconfig-paths/register --transpile-only bench/protection.ts)
// Env: MEMORY_MIB=64,256, DIRTY_MIB=8 (MiB the guest dirties per 100 ms tick), CHECKPOINTS=15 (each way),
// RECOVERIES=5 (each way), WINDOW_S=60 (rate window at the 30 s interval; 1 s and 5 s get max(WINDOW_S/3, 6
// intervals), the no-checkpoint baseline WINDOW_S/3), INTERVALS_MS=1000,5000,30000, BENCH_QEMU_URI=qemu:///system.
// About 4 min per guest size with the defaults. Every service, domain and file is removed at the end, on failure
// and on SIGINT/SIGTERM.
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { imageFromCatalogue } from '@reservoir/testing/libvirt-services';
import { until } from './lib/bench-broker';
import { type Cleanup, finishCleanup, runBenchmark } from './lib/cleanup';
import { intEnv } from './lib/env';
import { domainNames, libvirtProblems, removeRawDomain } from './lib/libvirt-tools';
import { brokerEnv, deploy, listCheckpoints, protectedManifest, type ProtectionBroker, startProtectionBroker } from './lib/protection-broker';
import { observe } from './lib/protection-guest';
import { measurePauses } from './lib/protection-pause';
import { measurePeriodic, rateWindow } from './lib/protection-periodic';
import { type DomainTemplate, measureBrokerRecoveries, measureRawRecoveries, templateOf } from './lib/protection-recovery';
import { printSize, type SizeResult, sustainable } from './lib/protection-report';
import { median } from './lib/stats';

/** Where LibvirtHypervisorFactory creates VEE disks (the broker does not change it). */
const BROKER_DISK_DIR = '/var/lib/libvirt/images/reservoir';
/** The interval of the guest measured by hand: no periodic checkpoint after the first within the run. */
const IDLE_INTERVAL_MS = 3_600_000;

interface Settings {
  uri: string;
  memoryMib: number[];
  dirtyMib: number;
  checkpoints: number;
  recoveries: number;
  windowS: number;
  intervalsMs: number[];
}

function list(name: string, fallback: string, min: number, max: number): number[] {
  const raw = process.env[name] || fallback;
  const xs = raw.split(',').map((s) => Number(s.trim()));
  if (xs.some((n) => !Number.isInteger(n) || n < min || n > max)) throw new Error(`${name}=${raw}: integers from ${min} to ${max}, comma-separated`);
  return xs;
}

function settings(): Settings {
  return {
    uri: process.env.BENCH_QEMU_URI || 'qemu:///system',
    memoryMib: list('MEMORY_MIB', '64,256', 16, 65_536),
    dirtyMib: intEnv('DIRTY_MIB', 8, 0, 65_536),
    checkpoints: intEnv('CHECKPOINTS', 15, 1, 1000),
    recoveries: intEnv('RECOVERIES', 5, 0, 100),
    windowS: intEnv('WINDOW_S', 60, 3, 3600),
    intervalsMs: list('INTERVALS_MS', '1000,5000,30000', 100, 86_400_000),
  };
}

const windowFor = (s: Settings, intervalMs: number): number => Math.round(Math.min(s.windowS, Math.max(s.windowS / 3, (6 * intervalMs) / 1000)));

function printHeader(s: Settings, root: string): void {
  console.log(`protection benchmark, Node ${process.version}, ${availableParallelism()} CPUs, ${new Date().toISOString()}, ${s.uri}`);
  const env = Object.entries(brokerEnv(root)).filter(([k]) => !k.endsWith('_DIR')).map(([k, v]) => `${k}=${v}`).join(' ');
  console.log(
    [
      `Guest: counter (catalogue) with dirty-mib=${s.dirtyMib} (the benchmark's own catalogue copy adds it to the kernel command line),`,
      `  1 vCPU, TCG, memory ${s.memoryMib.join(' and ')} MiB; one service per part, one tier <tier-QoS protection="checkpoint">.`,
      `Broker: in-process, embedded store, host qemu-1 = ${s.uri}, checkpoint and console dirs in a temp dir; ${env}.`,
      `1. Checkpoints: ${s.checkpoints} broker and ${s.checkpoints} raw, interleaved on the same running VEE (checkpoint-interval-ms ${IDLE_INTERVAL_MS}:`,
      '   only the scheduler\'s first checkpoint, before the samples).',
      '   pause           = console: widest gap between counter=N line arrivals (polled every 1 ms) around the call, minus the tick',
      '   libvirt paused  = lifecycle events (virsh event --timestamp): Suspended -> Resumed begun during the call',
      '   duration        = broker: POST round trip (snapshot + disk copy + block commit + sha256 + store); raw: the virsh',
      '                     snapshot-create-as --memspec --diskspec --live --atomic --no-metadata process (its memory file = size)',
      '   blockcommit     = raw: virsh blockcommit --active --shallow --wait --pivot (the disk back onto its own file), timed apart',
      '   size            = broker: the record\'s sizeBytes (memory.save + disk copy); raw: memory.save',
      `2. Recovery: ${s.recoveries} times, POST a checkpoint, run on 1 s, SIGKILL the domain's QEMU -> the broker's failover restores the`,
      '   newest checkpoint -> first counter line (ready). state kept = that line is the checkpointed counter + 1.',
      '   Raw: on a clone of the VEE\'s domain XML (own name/uuid/overlay/console): virsh save (not timed in ready), then',
      '   virsh restore --running -> first counter line.',
      `3. Periodic: a fresh service per interval (${s.intervalsMs.join(', ')} ms); after the scheduler's first checkpoint, a window of`,
      `   max(WINDOW_S/3, 6 intervals) capped at WINDOW_S=${s.windowS} s. rate = counter lines/s (the guest's clock stops while paused);`,
      '   overhead = 1 - rate / rate without checkpoints (same guest as part 1, before its samples, WINDOW_S/3).',
      '   RPO achieved = rpoReport (libs/domain/protection/checkpoints/rpo.ts) over the window\'s checkpoints: max(worst gap before a',
      '   completion, time since the last capture at the window\'s end). broker rpo = GET /v1/vees/:id rpo.achievedMs if shown.',
      'stderr lines from the broker about domains that belong to no VEE are its reconcile loop seeing the raw clone: expected.',
    ].join('\n'),
  );
}

let stopping = false;

/** Runs one part; a failure is recorded on the result and the run goes on with the next part. */
async function part(r: SizeResult, what: string, run: () => Promise<void>): Promise<void> {
  if (stopping) return;
  try {
    await run();
  } catch (err) {
    if (!stopping) r.errors.push(`${what}: ${(err instanceof Error ? err.message : String(err)).split('\n')[0]}`);
  }
}

async function checkpointsAndRecovery(b: ProtectionBroker, s: Settings, memoryMib: number, root: string, r: SizeResult, cleanup: Cleanup): Promise<DomainTemplate | undefined> {
  const d = await deploy(b, protectedManifest(`bp${process.pid}-m${memoryMib}-ckpt`, memoryMib, IDLE_INTERVAL_MS), cleanup);
  const o = observe(s.uri, d.domain, d.consoleLog);
  const dropObs = cleanup.add(`watching ${d.domain}`, () => o.close());
  let template: DomainTemplate | undefined;
  try {
    await o.tail.reach(5, 30_000);
    await until('the first periodic checkpoint', async () => ((await listCheckpoints(b.url, d.veeId)).some((c) => c.complete) ? true : undefined), 120_000, 50);
    template = await templateOf(s.uri, d.domain, d.consoleLog);
    await part(r, 'baseline rate', async () => {
      r.baseline = await rateWindow(o, Math.max(3, Math.round(s.windowS / 3)));
    });
    const dir = join(root, `raw-snapshots-${memoryMib}`);
    mkdirSync(dir, { mode: 0o755 });
    await part(r, 'checkpoints', async () => {
      r.pauses = await measurePauses(b.url, s.uri, d.veeId, o, dir, s.checkpoints, () => stopping);
    });
    await part(r, 'broker recovery', async () => {
      r.recoveries = await measureBrokerRecoveries(b.url, d.veeId, o, s.recoveries, () => stopping);
    });
  } finally {
    await o.close();
    dropObs();
    await d.remove();
  }
  return template;
}

async function measureSize(b: ProtectionBroker, s: Settings, memoryMib: number, root: string, cleanup: Cleanup): Promise<SizeResult> {
  const r: SizeResult = { memoryMib, recoveries: [], rawRecoveries: [], periodic: [], errors: [] };
  let template: DomainTemplate | undefined;
  await part(r, 'service for checkpoints and recovery', async () => {
    template = await checkpointsAndRecovery(b, s, memoryMib, root, r, cleanup);
  });
  const t = template;
  if (t && s.recoveries > 0) {
    await part(r, 'raw recovery', async () => {
      r.rawRecoveries = await measureRawRecoveries(s.uri, t, `bench-prot-${process.pid}-${memoryMib}`, join(root, `raw-clone-${memoryMib}`), s.recoveries, cleanup, () => stopping);
    });
  }
  for (const intervalMs of s.intervalsMs) {
    await part(r, `periodic ${intervalMs} ms`, async () => {
      const d = await deploy(b, protectedManifest(`bp${process.pid}-m${memoryMib}-i${intervalMs}`, memoryMib, intervalMs), cleanup);
      const o = observe(s.uri, d.domain, d.consoleLog);
      try {
        await o.tail.reach(3, 30_000);
        r.periodic.push(await measurePeriodic(b.url, d.veeId, o, intervalMs, windowFor(s, intervalMs)));
      } finally {
        await o.close();
        await d.remove();
      }
    });
  }
  return r;
}

/** Whatever an interrupted run left: this process's domains (the broker's and the raw clones) and disk files. */
async function sweep(uri: string): Promise<void> {
  const mine = (name: string): boolean => name.startsWith(`rsv-bp${process.pid}-`) || name.startsWith(`bench-prot-${process.pid}-`);
  for (const d of (await domainNames(uri)).filter(mine)) await removeRawDomain(uri, d);
  const files = existsSync(BROKER_DISK_DIR) ? readdirSync(BROKER_DISK_DIR) : [];
  for (const f of files.filter(mine)) rmSync(join(BROKER_DISK_DIR, f), { force: true });
}

function printSummary(s: Settings, results: SizeResult[]): void {
  console.log('\n== summary ==');
  for (const r of results) {
    const b = r.pauses?.broker ?? [];
    const w = r.pauses?.raw ?? [];
    const pause = median(b.map((x) => x.consoleMs));
    const rawPause = median(w.map((x) => x.consoleMs));
    const rec = median(r.recoveries.map((x) => x.readyMs));
    const rawRec = median(r.rawRecoveries.map((x) => x.readyMs));
    const sus = sustainable(r);
    const rpo = r.periodic.map((x) => `${x.intervalMs}->${x.report.achievedMs}`).join(', ');
    const over = r.periodic.map((x) => `${x.intervalMs} ms ${r.baseline ? ((1 - x.window.rate / r.baseline.rate) * 100).toFixed(1) : '-'}%`).join(', ');
    console.log(
      `${r.memoryMib} MiB: pause p50 ${pause.toFixed(0)} ms (raw ${rawPause.toFixed(0)}, x${(pause / rawPause).toFixed(2)}), duration p50 ${median(b.map((x) => x.opMs)).toFixed(0)} ms, ` +
        `recovery p50 ${rec.toFixed(0)} ms (raw restore ${rawRec.toFixed(0)}, x${(rec / rawRec).toFixed(2)}), RPO configured->achieved ms: ${rpo}; ` +
        `overhead: ${over}; sustainable ${sus.perSecond.toFixed(2)} checkpoints/s (p95 ${sus.p95Ms.toFixed(0)} ms)`,
    );
  }
  console.log('\nNot measured:');
  console.log('  - raw recovery on the VEE itself: saving the broker\'s domain would set off its failover, so the raw save/restore runs on a');
  console.log('    clone of the same domain XML (same memory, kernel, command line, base disk) in the same run.');
  console.log('  - a raw "kill -> restore" with detection: libvirt has no failover of its own; the broker\'s detection is shown apart (detect).');
  console.log('  - per-checkpoint pause of the periodic runs: the guest\'s lost time shows in the rate (overhead) instead.');
  console.log('  - "RPO achieved" is rpo.ts over the window\'s checkpoint list (createdAt/completedAt); "broker rpo" is what GET /v1/vees/:id');
  console.log('    showed at the window\'s end (its own window: the last 100 checkpoints since protection began).');
  if (s.dirtyMib === 0) console.log('  - dirtying guests: DIRTY_MIB=0, the guest writes no memory per tick.');
}

async function main(cleanup: Cleanup): Promise<void> {
  const started = performance.now();
  const s = settings();
  const problems = await libvirtProblems(s.uri);
  let why = problems.addon ?? problems.qemu;
  try {
    imageFromCatalogue('counter');
  } catch (err) {
    why ??= err instanceof Error ? err.message : String(err);
  }
  if (why) {
    console.log(`SKIPPED protection benchmark: ${why}`);
    return;
  }
  const root = mkdtempSync(join(tmpdir(), 'reservoir-bench-prot-'));
  chmodSync(root, 0o755);
  cleanup.add(`temp dir ${root}`, () => rmSync(root, { recursive: true, force: true }));
  cleanup.add('leftover protection domains and disks', () => sweep(s.uri));
  printHeader(s, root);
  const results: SizeResult[] = [];
  try {
    const b = await startProtectionBroker(root, s.uri, s.dirtyMib, cleanup);
    for (const memoryMib of s.memoryMib) {
      if (stopping) break;
      const r = await measureSize(b, s, memoryMib, root, cleanup);
      printSize(r);
      results.push(r);
    }
    printSummary(s, results);
  } finally {
    await finishCleanup(cleanup);
  }
  console.log(`\ntotal ${((performance.now() - started) / 1000).toFixed(1)} s`);
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => (stopping = true));
runBenchmark(main);
