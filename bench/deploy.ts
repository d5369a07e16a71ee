// Deployment through the whole site broker: VEEs per second on the simulated hypervisor and on libvirt's test
// driver, and boot-to-ready of a real guest on qemu:///system against libvirt alone (virsh define + start).
//   npm run bench:deploy   (ts-node -r tsconfig-paths/register --transpile-only bench/deploy.ts)
// Each part starts its own in-process broker (embedded store in a temp dir, in-memory bus, HTTP on 127.0.0.1) and
// talks to it over HTTP only. Sizes (env): BENCH_SERVICES=50 (burst of 1-VEE services), BENCH_SERIAL=20 (1-VEE
// services one at a time), BENCH_MULTI=6 and BENCH_INSTANCES=8 (services of K VEEs), BENCH_REPEATS=5 (guest boots
// each way), BENCH_QEMU_URI=qemu:///system, BENCH_LIBVIRT=0 skips both libvirt parts. Runs in about 1 min.
// Everything created outside the process (domains, overlays, temp dirs) is removed at the end, on failure and on
// SIGINT/SIGTERM.
import { availableParallelism } from 'node:os';
import { imageFromCatalogue } from '@reservoir/testing/libvirt-services';
import { deleteAllServices, registerHost, startBenchBroker } from './lib/bench-broker';
import { type Cleanup, finishCleanup, runBenchmark } from './lib/cleanup';
import { intEnv } from './lib/env';
import { measureThroughput, type ThroughputRow, type Workload } from './lib/deploy-throughput';
import { libvirtProblems } from './lib/libvirt-tools';
import { type BootSample, measureQemuBoot, type QemuBootResult } from './lib/qemu-boot';
import { median, percentile, printTable, sorted } from './lib/stats';

const SIM_URI = 'sim://sim-1?vcpu=64&memory-mib=262144&disk-gib=4000&failure-domain=rack1';
const TEST_URI = 'test:///default';
/** Small enough that the test driver's node (3 GiB, 2 GiB of it held by its built-in `test` domain) starts 64. */
const VEE_MEMORY_MIB = 16;
const TEST_DRIVER_MAX_VEES = 64;

interface Settings {
  services: number;
  serial: number;
  multi: number;
  instances: number;
  repeats: number;
  qemuUri: string;
  libvirt: boolean;
}

function settings(): Settings {
  return {
    services: intEnv('BENCH_SERVICES', 50, 1, 100_000),
    serial: intEnv('BENCH_SERIAL', 20, 1, 100_000),
    multi: intEnv('BENCH_MULTI', 6, 1, 10_000),
    instances: intEnv('BENCH_INSTANCES', 8, 1, 64),
    repeats: intEnv('BENCH_REPEATS', 5, 1, 1000),
    qemuUri: process.env.BENCH_QEMU_URI || 'qemu:///system',
    libvirt: process.env.BENCH_LIBVIRT !== '0',
  };
}

/** The three workloads, capped at `maxVees` VEEs each (the test driver's memory). */
function workloads(s: Settings, prefix: string, maxVees = Number.POSITIVE_INFINITY): Workload[] {
  const one = Math.min(s.services, maxVees);
  const serial = Math.min(s.serial, maxVees);
  const multi = Math.max(1, Math.min(s.multi, Math.floor(maxVees / s.instances)));
  const base = { veesPerService: 1, memoryMiB: VEE_MEMORY_MIB };
  return [
    { ...base, label: `${serial} x 1 VEE, one at a time`, mode: 'serial', services: serial, prefix: `${prefix}-serial` },
    { ...base, label: `${one} x 1 VEE, burst`, mode: 'burst', services: one, prefix: `${prefix}-burst` },
    { ...base, label: `${multi} x ${s.instances} VEEs, burst`, mode: 'burst', services: multi, veesPerService: s.instances, prefix: `${prefix}-multi` },
  ];
}

function printHeader(s: Settings): void {
  console.log(`deploy benchmark, Node ${process.version}, ${availableParallelism()} CPUs, ${new Date().toISOString()}`);
  console.log(
    [
      'Parts 1-2: VEEs deployed per second through the whole broker (HTTP API, validation, store, placement, hypervisor).',
      '  One in-process broker per hypervisor (embedded PGlite store, in-memory bus), one host registered via POST /v1/hosts.',
      `  Manifest: schemas/examples/minimal.xml renamed, memory-mib ${VEE_MEMORY_MIB}, instances as the workload says.`,
      '  The site is emptied (DELETE every service) between workloads. The broker deploys one service at a time per site',
      '  (a site-wide placement lock held from placing to running); the VEEs of one tier start in parallel.',
      '  VEEs/s        = VEEs / (last `running` - first POST)',
      '  to-run        = client POST -> the broker recording `running` (phaseHistory); includes waiting for earlier deployments',
      '  deploy        = `placing` -> `running`: the deployment itself; POST = the 201 round trip; services polled via GET /v1/services/:id',
      '  sim boot: 10 ms per VEE start (the broker builds SimHypervisorFactory with DEFAULT_SIM_DELAYS: boot 10, shutdown 5 ms;',
      '  no sim:// URI parameter or env variable sets delays, so 0 is not reachable without changing broker code).',
      `Part 3: boot-to-ready of the counter guest on ${s.qemuUri} (TCG): POST of minimal.xml (64 MiB) -> first ready line`,
      '  in the VEE\'s console log, vs. raw `virsh define` + `virsh start` of the same domain XML (the broker\'s, renamed, own',
      '  qcow2 overlay on the same backing file made before the clock starts) -> the same line. Interleaved, cold run excluded.',
      'stderr lines "reconcile: domain ... belongs to no VEE" are the broker\'s reconcile loop noticing domains it does not own',
      '  (the test driver\'s own `test`, the raw baseline\'s, and ones caught mid-delete): expected, left alone.',
    ].join('\n'),
  );
}

const ms = (n: number | undefined): string => (n === undefined || Number.isNaN(n) ? '-' : n.toFixed(0));

function printThroughput(rows: { hypervisor: string; row: ThroughputRow }[]): void {
  const header = ['hypervisor', 'workload', 'VEEs', 's', 'VEEs/s', 'to-run p50', 'p99', 'deploy p50', 'p99', 'POST p50'];
  printTable(
    header,
    rows.map(({ hypervisor, row: r }) => [
      hypervisor, r.label, String(r.vees), r.seconds.toFixed(2), r.veesPerSecond.toFixed(1),
      ms(r.latency.p50), ms(r.latency.p99), ms(r.deploy.p50), ms(r.deploy.p99), ms(r.post.p50),
    ]),
    2,
  );
  console.log('  (latencies in ms)');
  for (const { hypervisor, row } of rows.filter((x) => x.row.services >= 20)) {
    console.log(`  ${hypervisor}, ${row.label}: deploy median ${ms(row.deployTrend.first)} ms for the first tenth, ${ms(row.deployTrend.last)} ms for the last`);
  }
}

async function throughputPart(hypervisor: string, host: string, uri: string, list: Workload[], cleanup: Cleanup): Promise<{ hypervisor: string; row: ThroughputRow }[]> {
  const bench = await startBenchBroker();
  const drop = cleanup.add(`${hypervisor} broker`, () => bench.close());
  const rows: { hypervisor: string; row: ThroughputRow }[] = [];
  try {
    await registerHost(bench.url, host, uri);
    // Warm-up (JIT, first connection, image catalogue digests), not in the figures.
    await measureThroughput(bench.url, { label: 'warm-up', mode: 'serial', services: 3, veesPerService: 1, prefix: 'warmup', memoryMiB: VEE_MEMORY_MIB });
    await deleteAllServices(bench.url);
    for (const w of list) {
      rows.push({ hypervisor, row: await measureThroughput(bench.url, w) });
      await deleteAllServices(bench.url);
    }
  } finally {
    drop();
    await bench.close();
  }
  return rows;
}

function printBoot(r: QemuBootResult, uri: string): void {
  const stats = (xs: number[]) => {
    const s = sorted(xs);
    return { median: median(s), p99: percentile(s, 99), min: s[0] ?? Number.NaN };
  };
  const b = stats(r.broker.map((x) => x.total));
  const w = stats(r.raw.map((x) => x.total));
  console.log(`boot-to-ready of '${r.guest}' on ${uri}: to the console line '${r.readyText}', ${r.broker.length} runs each (ms)`);
  printTable(
    ['path', 'runs', 'median', 'p99/max', 'min'],
    [
      ['broker: POST -> ready line', String(r.broker.length), ms(b.median), ms(b.p99), ms(b.min)],
      ['raw: virsh define + start -> ready line', String(r.raw.length), ms(w.median), ms(w.p99), ms(w.min)],
      ['ratio broker / raw', '', (b.median / w.median).toFixed(2), (b.p99 / w.p99).toFixed(2), (b.min / w.min).toFixed(2)],
    ],
  );
  const med = (xs: BootSample[], pick: (x: BootSample) => number | undefined): string => ms(median(xs.map(pick).filter((v): v is number => v !== undefined)));
  console.log(`  broker overhead over libvirt: ${ms(b.median - w.median)} ms at the median`);
  console.log(`  broker: POST -> \`running\` recorded ${med(r.broker, (x) => x.toRunning)} ms (median); the rest is QEMU booting the guest and its first 100 ms tick`);
  console.log(`  raw: virsh define ${med(r.raw, (x) => x.define)} ms, virsh start ${med(r.raw, (x) => x.start)} ms (medians); each is a virsh process,`);
  console.log(`       and a bare \`virsh list\` process takes ${ms(median(r.virshRoundTrip))} ms (median): the broker keeps one connection open instead`);
  console.log(`       qemu-img overlay ${med(r.raw, (x) => x.overlay)} ms, made before the clock (the broker's own overlay is inside its time)`);
  console.log(`  cold first runs (excluded): broker ${ms(r.cold.broker.total)} ms, raw ${ms(r.cold.raw.total)} ms; XML taken from ${r.domainXmlFrom}`);
}

async function libvirtParts(s: Settings, cleanup: Cleanup): Promise<void> {
  if (!s.libvirt) {
    console.log('\nSKIPPED libvirt parts (test:///default and qemu): BENCH_LIBVIRT=0');
    return;
  }
  const problems = await libvirtProblems(s.qemuUri);
  if (problems.addon) {
    console.log(`\nSKIPPED libvirt parts (test:///default and ${s.qemuUri}): ${problems.addon}`);
    return;
  }
  const testRows = await throughputPart('libvirt test:///default', 'test-1', TEST_URI, workloads(s, 'test', TEST_DRIVER_MAX_VEES), cleanup);
  console.log('\n== 2. libvirt test driver, host test-1 = test:///default (workloads capped at 64 VEEs: its node has 1 GiB free) ==');
  printThroughput(testRows);
  let qemuProblem = problems.qemu;
  try {
    imageFromCatalogue('counter');
  } catch (err) {
    qemuProblem ??= err instanceof Error ? err.message : String(err);
  }
  if (qemuProblem) {
    console.log(`\nSKIPPED part 3 (real guest on ${s.qemuUri}): ${qemuProblem}`);
    return;
  }
  console.log(`\n== 3. real guest, host qemu-1 = ${s.qemuUri} ==`);
  printBoot(await measureQemuBoot(s.qemuUri, s.repeats, cleanup), s.qemuUri);
}

async function main(cleanup: Cleanup): Promise<void> {
  const started = performance.now();
  const s = settings();
  printHeader(s);
  const rows = await throughputPart('sim', 'sim-1', SIM_URI, workloads(s, 'sim'), cleanup);
  console.log(`\n== 1. simulated hypervisor, host sim-1 = ${SIM_URI} ==`);
  printThroughput(rows);
  try {
    await libvirtParts(s, cleanup);
  } finally {
    await finishCleanup(cleanup);
  }
  console.log(`\ntotal ${((performance.now() - started) / 1000).toFixed(1)} s`);
}

runBenchmark(main);
