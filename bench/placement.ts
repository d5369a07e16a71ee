// Placement latency of the pure planner at 1,000 hosts x 10,000 VEEs.
//   npx ts-node -r tsconfig-paths/register --transpile-only bench/placement.ts
// Site: 1,000 hosts in 20 racks (32 or 64 CPUs, 256 or 512 GiB, 2 TiB disk; half labelled disk=ssd; 2 % down).
// Workloads, 10,000 VEEs each:
//   1,000 services = 1,000 x {web 4 @ 99.9 % (hard anti-affinity), app 4 @ 99.5 %, db 2 @ 99.99 % on disk=ssd}
//   100 x 100      = 100 tiers of 100 instances @ 99.9 % (more instances than racks: soft anti-affinity)
// Each row: warm-up, then sequential runs until a run count or a time budget; latency p50/p99/mean in ms.
// The last row places one more 3-tier service (10 VEEs) on the site already holding the 1,000 services.
// Runs in about 30 s.
import {
  applyPlacement,
  type HostState,
  type PlacementPlan,
  type PlacementStrategy,
  planPlacement,
  type TierDemand,
} from '@reservoir/domain/placement';

interface Row {
  workload: string;
  strategy: PlacementStrategy;
  runs: number;
  p50: number;
  p99: number;
  mean: number;
  outcome: string;
}

function buildSite(hostCount: number, racks: number): HostState[] {
  return Array.from({ length: hostCount }, (_, i) => ({
    id: `host-${String(i).padStart(4, '0')}`,
    name: `node${i}.site-a`,
    capacity: { vcpu: i % 3 === 0 ? 64 : 32, memoryMiB: (i % 3 === 0 ? 512 : 256) * 1024, diskGiB: 2048 },
    failureDomain: `rack-${String(i % racks).padStart(2, '0')}`,
    labels: i % 2 === 0 ? { disk: 'ssd' } : { disk: 'hdd' },
    health: i % 50 === 7 ? 'down' : 'up',
    allocations: [],
  }));
}

function tier(service: string, name: string, vcpu: number, gib: number, disk: number, instances: number, availability: number): TierDemand {
  return { service, name, vee: { vcpu, memoryMiB: gib * 1024, instances }, storage: [{ sizeGiB: disk }], qos: { availability } };
}

function threeTierService(service: string): TierDemand[] {
  return [
    { ...tier(service, 'db', 8, 16, 200, 2, 99.99), requiredLabels: { disk: 'ssd' } },
    tier(service, 'app', 4, 8, 40, 4, 99.5),
    tier(service, 'web', 2, 4, 20, 4, 99.9),
  ];
}

const services = (n: number): TierDemand[] => Array.from({ length: n }, (_, i) => threeTierService(`svc-${i}`)).flat();
const wideTiers = (): TierDemand[] => Array.from({ length: 100 }, (_, i) => tier('wide', `t${i}`, 1 + (i % 4), 2 + (i % 6), 10, 100, 99.9));

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

function measure(workload: string, strategy: PlacementStrategy, runs: number, budgetMs: number, once: () => PlacementPlan): Row {
  for (let i = 0; i < 3; i += 1) once();
  const ms: number[] = [];
  let last = once();
  const deadline = performance.now() + budgetMs;
  while (ms.length < runs && performance.now() < deadline) {
    const t0 = performance.now();
    last = once();
    ms.push(performance.now() - t0);
  }
  ms.sort((a, b) => a - b);
  const mean = ms.reduce((s, x) => s + x, 0) / ms.length;
  const placed = last.assignments.length;
  const outcome = `${placed} placed, ${last.unplaced.length} tiers short, ${last.warnings.length} warnings`;
  return { workload, strategy, runs: ms.length, p50: percentile(ms, 50), p99: percentile(ms, 99), mean, outcome };
}

function printTable(rows: Row[]): void {
  const header = ['workload', 'strategy', 'runs', 'p50 ms', 'p99 ms', 'mean ms', 'plan'];
  const cells = rows.map((r) => [r.workload, r.strategy, String(r.runs), r.p50.toFixed(2), r.p99.toFixed(2), r.mean.toFixed(2), r.outcome]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => (c[i] ?? '').length)));
  const right = new Set([2, 3, 4, 5]);
  const line = (c: string[]): string => c.map((v, i) => (right.has(i) ? v.padStart(widths[i] ?? 0) : v.padEnd(widths[i] ?? 0))).join('  ');
  console.log(line(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const c of cells) console.log(line(c));
}

function main(): void {
  const hosts = buildSite(1000, 20);
  const workloads: [string, TierDemand[]][] = [
    ['1,000 services x 10 VEEs', services(1000)],
    ['100 tiers x 100 VEEs', wideTiers()],
  ];
  const rows: Row[] = [];
  for (const [name, tiers] of workloads) {
    for (const strategy of ['spread', 'pack'] as const) {
      rows.push(measure(name, strategy, 30, 12_000, () => planPlacement({ hosts, tiers, policy: { strategy } })));
    }
  }
  const [first] = workloads;
  const full = first ? applyPlacement(hosts, first[1], planPlacement({ hosts, tiers: first[1] })) : hosts;
  const next = threeTierService('svc-new');
  const incremental = measure('+1 service (10 VEEs) on 10,000', 'spread', 500, 8000, () => planPlacement({ hosts: full, tiers: next }));
  rows.push(incremental);
  console.log(`placement planner, 1,000 hosts / 20 racks, Node ${process.version}, ${new Date().toISOString()}`);
  printTable(rows);
}

main();
