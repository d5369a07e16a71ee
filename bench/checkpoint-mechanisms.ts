// Checkpoint mechanisms for a running guest (issue 5: "choose the mechanism that keeps the guest's pause shortest
// and measure the candidates"), on qemu:///system with the counter guest (TCG).
//   npm run bench:checkpoints   (ts-node -r tsconfig-paths/register --transpile-only bench/checkpoint-mechanisms.ts)
// Per memory size and candidate, BENCH_REPEATS trials (default 5), each on a fresh guest (own qcow2 overlay on the
// catalogue's base disk, serial console to a file): checkpoint while it ticks, let it run on, restore, and check the
// first line of the restored guest is the checkpointed counter + 1. Env: BENCH_REPEATS=5, BENCH_MEMORY_MIB=64,256,
// BENCH_DIRTY_MIB=0 (MiB the guest dirties per 100 ms tick), BENCH_QEMU_URI=qemu:///system. About 2 min.
// Every domain, snapshot and file is removed at the end, on failure and on SIGINT/SIGTERM.
import { chmodSync, mkdtempSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { imageFromCatalogue } from '@reservoir/testing/libvirt-services';
import { CANDIDATES, type Candidate, NOT_MEASURED } from './lib/checkpoint-candidates';
import { type GuestPlan, sweep } from './lib/checkpoint-guest';
import { runTrial, type Sample } from './lib/checkpoint-trial';
import { Cleanup, finishCleanup } from './lib/cleanup';
import { intEnv } from './lib/env';
import { virsh } from './lib/libvirt-tools';
import { median, percentile, printTable, sorted } from './lib/stats';

interface Settings {
  repeats: number;
  memoryMib: number[];
  dirtyMib: number;
  uri: string;
}

function settings(): Settings {
  const sizes = (process.env.BENCH_MEMORY_MIB || '64,256').split(',').map((s) => Number(s.trim()));
  if (sizes.some((n) => !Number.isInteger(n) || n < 16 || n > 65_536)) throw new Error(`BENCH_MEMORY_MIB=${process.env.BENCH_MEMORY_MIB}: integers from 16 to 65536, comma-separated`);
  return {
    repeats: intEnv('BENCH_REPEATS', 5, 1, 1000),
    memoryMib: sizes,
    dirtyMib: intEnv('BENCH_DIRTY_MIB', 0, 0, 65_536),
    uri: process.env.BENCH_QEMU_URI || 'qemu:///system',
  };
}

/** Why the bench cannot run here, or undefined. */
async function unavailable(uri: string): Promise<string | undefined> {
  try {
    imageFromCatalogue('counter');
    await virsh(uri, 'list');
    return undefined;
  } catch (err) {
    return (err instanceof Error ? err.message : String(err)).split('\n')[0];
  }
}

interface Outcome {
  candidate: Candidate;
  samples: Sample[];
  error?: string;
}

const ms = (n: number | undefined): string => (n === undefined || Number.isNaN(n) ? '-' : n.toFixed(0));
const p = (xs: number[], q: number): number => percentile(sorted(xs), q);

function printSize(memoryMib: number, outcomes: Outcome[], repeats: number): void {
  console.log(`\n== counter guest, ${memoryMib} MiB, ${repeats} trials per mechanism (ms unless named) ==`);
  const rows = outcomes.map(({ candidate: c, samples: s }) => {
    const libvirt = s.map((x) => x.libvirtMs).filter((v): v is number => v !== undefined);
    return [
      c.label, ms(median(s.map((x) => x.pauseMs))), ms(p(s.map((x) => x.pauseMs), 99)), ms(median(libvirt)),
      ms(median(s.map((x) => x.opMs))), (median(s.map((x) => x.bytes)) / 2 ** 20).toFixed(2), ms(median(s.map((x) => x.restoreMs))),
      s.length === 0 ? 'no' : `${s.every((x) => x.kept) ? 'yes' : 'no'} ${s.filter((x) => x.kept).length}/${s.length}`,
    ];
  });
  printTable(['mechanism', 'pause p50', 'p99', 'libvirt paused p50', 'op p50', 'size MiB', 'restore p50', 'state kept'], rows);
  for (const o of outcomes) {
    if (o.error) console.log(`  ${o.candidate.label}: FAILED after ${o.samples.length} trials: ${o.error}`);
    const stops = o.samples.map((x) => x.stopMs).filter((v): v is number => v !== undefined);
    if (stops.length > 0) console.log(`  ${o.candidate.label}: restore p50 includes virsh destroy of the guest that ran on, p50 ${ms(median(stops))} ms`);
    const lost = o.samples.filter((x) => !x.kept);
    for (const x of lost) console.log(`  ${o.candidate.label}: checkpointed counter=${x.checkpointed}, restored guest printed counter=${x.firstAfterRestore} first`);
  }
  const ok = outcomes.filter((o) => !o.error && o.samples.length === repeats && o.samples.every((x) => x.kept));
  const best = ok.sort((a, b) => median(a.samples.map((x) => x.pauseMs)) - median(b.samples.map((x) => x.pauseMs)))[0];
  console.log(
    best
      ? `RECOMMENDATION (${memoryMib} MiB): ${best.candidate.label} - shortest pause (p50 ${ms(median(best.samples.map((x) => x.pauseMs)))} ms) among those restored with state kept in every trial`
      : `RECOMMENDATION (${memoryMib} MiB): none - no mechanism restored with state kept in every trial`,
  );
}

function printHeader(s: Settings): void {
  console.log(`checkpoint mechanisms benchmark, Node ${process.version}, ${availableParallelism()} CPUs, ${new Date().toISOString()}, ${s.uri}`);
  console.log(
    [
      `Guest: counter (catalogue), dirty-mib=${s.dirtyMib}, 1 vCPU, TCG; fresh guest per trial, 3 ticks after boot before the checkpoint.`,
      '  pause p50/p99   = console: widest gap between counter=N line arrivals (file polled every 1 ms) around the operation, minus',
      '                    the guest\'s tick (median spacing before it; its clock stops while QEMU is paused). For save it spans save + restore.',
      '  libvirt paused  = lifecycle events (virsh event --timestamp): Suspended/Stopped -> Resumed/Started, for the stop begun during the op',
      '  op              = wall time of the checkpoint command(s); size = guest state only (vm-state-size / memory file / save file)',
      '  restore         = wall time to a running guest: snapshot-revert --running | destroy + new overlay + virsh restore --xml | virsh restore',
      '  state kept      = the restored guest\'s first line is the checkpointed (last before the pause) counter + 1, after running on 350 ms',
    ].join('\n'),
  );
}

/** Set on SIGINT/SIGTERM: no new trial starts, so nothing is created while the cleanup runs. */
let stopping = false;

async function measureSize(plan: GuestPlan, memoryMib: number, repeats: number, cleanup: Cleanup): Promise<Outcome[]> {
  const outcomes: Outcome[] = [];
  const removals: Promise<void>[] = [];
  const retire = (removal: Promise<void>): void => {
    removals.push(removal.catch((err: unknown) => console.error(`removing a trial's guest failed: ${err instanceof Error ? err.message : String(err)}`)));
  };
  for (const candidate of CANDIDATES) {
    const o: Outcome = { candidate, samples: [] };
    for (let rep = 1; rep <= repeats && !o.error; rep += 1) {
      if (stopping) throw new Error('interrupted');
      try {
        o.samples.push(await runTrial(plan, candidate, memoryMib, rep, cleanup, retire));
      } catch (err) {
        o.error = (err instanceof Error ? err.message : String(err)).split('\n')[0];
      }
    }
    outcomes.push(o);
  }
  await Promise.all(removals);
  return outcomes;
}

async function main(cleanup: Cleanup): Promise<void> {
  const started = performance.now();
  const s = settings();
  const why = await unavailable(s.uri);
  if (why) {
    console.log(`SKIPPED checkpoint mechanisms benchmark: libvirt/counter guest unavailable on ${s.uri}: ${why}`);
    return;
  }
  printHeader(s);
  const dir = mkdtempSync(join(tmpdir(), 'reservoir-bench-ckpt-'));
  chmodSync(dir, 0o755);
  const plan: GuestPlan = { uri: s.uri, dir, prefix: `bench-ckpt-${process.pid}-`, dirtyMib: s.dirtyMib };
  cleanup.add('leftover checkpoint domains and files', () => sweep(plan));
  try {
    for (const memoryMib of s.memoryMib) if (!stopping) printSize(memoryMib, await measureSize(plan, memoryMib, s.repeats, cleanup), s.repeats);
    console.log('\nNot measured:');
    for (const note of NOT_MEASURED) console.log(`  - ${note}`);
  } finally {
    await finishCleanup(cleanup);
  }
  console.log(`\ntotal ${((performance.now() - started) / 1000).toFixed(1)} s`);
}

/** Lets the trial in progress finish (at most this long) before cleaning up, so the cleanup does not race it. */
const STOP_GRACE_MS = 20_000;

const cleanup = new Cleanup();
const run = main(cleanup).catch(async (error: unknown) => {
  if (!stopping) console.error(error);
  process.exitCode = 1;
  for (const f of await cleanup.runAll()) console.error(`cleanup failed: ${f}`);
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    console.error(`${signal}: finishing the current trial, then cleaning up`);
    stopping = true;
    const grace = new Promise<void>((resolve) => setTimeout(resolve, STOP_GRACE_MS).unref());
    void Promise.race([run, grace])
      .then(() => cleanup.runAll())
      .finally(() => process.exit(130));
  });
}
