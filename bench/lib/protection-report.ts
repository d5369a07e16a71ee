// The protection benchmark's tables: per guest size, checkpoint pause/duration/size (broker vs raw), recovery
// (broker failover vs raw virsh restore), periodic checkpoints (rate, RPO, overhead), and the sustainable rate.
import { type PeriodicResult, type RateWindow } from './protection-periodic';
import { type PauseResult, type PauseSample } from './protection-pause';
import { type RecoverySample } from './protection-recovery';
import { median, percentile, printTable, sorted } from './stats';

export interface SizeResult {
  memoryMib: number;
  baseline?: RateWindow;
  pauses?: PauseResult;
  recoveries: RecoverySample[];
  rawRecoveries: RecoverySample[];
  periodic: PeriodicResult[];
  /** Parts that failed, with the reason. */
  errors: string[];
}

const ms = (n: number | undefined): string => (n === undefined || Number.isNaN(n) ? '-' : n.toFixed(0));
const p = (xs: number[], q: number): number => percentile(sorted(xs), q);
const p95 = (xs: number[]): number => sorted(xs)[Math.ceil(0.95 * xs.length) - 1] ?? Number.NaN;
const defined = (xs: (number | undefined)[]): number[] => xs.filter((v): v is number => v !== undefined && !Number.isNaN(v));
const mib = (bytes: number): string => (Number.isNaN(bytes) ? '-' : (bytes / 2 ** 20).toFixed(2));
const ratio = (a: number, b: number): string => (Number.isFinite(a / b) ? (a / b).toFixed(2) : '-');

function pauseRow(label: string, s: PauseSample[]): string[] {
  const c = s.map((x) => x.consoleMs);
  const l = defined(s.map((x) => x.libvirtMs));
  const o = s.map((x) => x.opMs);
  const commit = defined(s.map((x) => x.commitMs));
  return [label, String(s.length), ms(median(c)), ms(p(c, 99)), ms(median(l)), ms(p(l, 99)), ms(median(o)), ms(p(o, 99)), ms(median(commit)), mib(median(s.map((x) => x.bytes)))];
}

function printPauses(r: PauseResult): void {
  console.log('checkpoint of the running guest (ms; size MiB)');
  const b = r.broker;
  const w = r.raw;
  const rows = [pauseRow('broker: POST /v1/vees/:id/checkpoints', b), pauseRow('raw: virsh snapshot-create-as --live', w)];
  const med = (s: PauseSample[], f: (x: PauseSample) => number | undefined): number => median(defined(s.map(f)));
  const p99 = (s: PauseSample[], f: (x: PauseSample) => number | undefined): number => p(defined(s.map(f)), 99);
  rows.push([
    'ratio broker / raw', '', ratio(med(b, (x) => x.consoleMs), med(w, (x) => x.consoleMs)), ratio(p99(b, (x) => x.consoleMs), p99(w, (x) => x.consoleMs)),
    ratio(med(b, (x) => x.libvirtMs), med(w, (x) => x.libvirtMs)), ratio(p99(b, (x) => x.libvirtMs), p99(w, (x) => x.libvirtMs)),
    ratio(med(b, (x) => x.opMs), med(w, (x) => x.opMs)), ratio(p99(b, (x) => x.opMs), p99(w, (x) => x.opMs)), '', '',
  ]);
  printTable(['path', 'n', 'pause p50', 'p99', 'libvirt paused p50', 'p99', 'duration p50', 'p99', 'blockcommit p50', 'size p50'], rows);
  if (r.rawError) console.log(`  raw side stopped after ${w.length} samples: ${r.rawError}`);
  const raw = med(w, (x) => x.opMs) + med(w, (x) => x.commitMs);
  console.log(`  raw snapshot + blockcommit together: ${ms(raw)} ms p50; the broker's duration / that = ${ratio(med(b, (x) => x.opMs), raw)}`);
}

function recoveryRow(label: string, s: RecoverySample[]): string[] {
  const r = s.map((x) => x.readyMs);
  const kept = s.filter((x) => x.kept).length;
  return [label, String(s.length), ms(median(r)), ms(p(r, 99)), ms(median(defined(s.map((x) => x.libvirtStopMs)))), ms(median(defined(s.map((x) => x.detectMs)))), ms(median(s.map((x) => x.restoreMs))), ms(median(defined(s.map((x) => x.saveMs)))), `${kept}/${s.length}`, ms(median(s.map((x) => x.lostTicks)))];
}

function printRecoveries(b: RecoverySample[], w: RecoverySample[]): void {
  console.log('recovery (ms)');
  const rows = [recoveryRow('broker: SIGKILL QEMU -> failover restore -> first line', b), recoveryRow('raw: virsh restore of a save image -> first line', w)];
  const rb = b.map((x) => x.readyMs);
  const rw = w.map((x) => x.readyMs);
  rows.push(['ratio broker / raw (failure -> ready)', '', ratio(median(rb), median(rw)), ratio(p(rb, 99), p(rw, 99)), '', '', '', '', '', '']);
  rows.push(['ratio broker action -> ready / raw', '', ratio(median(b.map((x) => x.restoreMs)), median(rw)), '', '', '', '', '', '', '']);
  printTable(['path', 'n', 'ready p50', 'p99', 'libvirt stop p50', 'detect p50', 'restore p50', 'save p50', 'state kept', 'lost ticks p50'], rows);
  const actions = [...new Set(b.map((x) => x.action ?? '?'))].join(', ');
  if (b.length === 0) return;
  console.log(`  broker recovery action(s): ${actions}; libvirt stop = kill -> libvirt's Stopped event; detect = kill -> GET /v1/vees/:id failover.lastAction.at;`);
  console.log('  restore = detect -> ready (broker: digest check, disk copy, virsh-restore equivalent; raw: the virsh restore process)');
}

function printPeriodic(baseline: RateWindow | undefined, rows: PeriodicResult[]): void {
  console.log('periodic checkpoints: counter rate (lines/s) and RPO (ms)');
  const base = baseline?.rate ?? Number.NaN;
  const table: string[][] = [];
  if (baseline) table.push(['none', String(baseline.seconds), '0', baseline.rate.toFixed(3), '', '', '', '', '', '', '', '']);
  for (const r of rows) {
    const d = r.durations;
    const loss = (1 - r.window.rate / base) * 100;
    table.push([
      String(r.intervalMs), String(r.window.seconds), String(r.count), r.window.rate.toFixed(3), Number.isNaN(loss) ? '-' : `${loss.toFixed(1)}%`,
      ms(r.report.achievedMs), ms(r.report.maxGapMs), ms(r.report.sinceLastMs), ratio(r.report.achievedMs, r.intervalMs), ms(r.brokerRpoMs),
      `${ms(median(d))}/${ms(p95(d))}`, mib(median(r.sizes)),
    ]);
  }
  printTable(['interval', 'window s', 'ckpts', 'rate', 'overhead', 'RPO achieved', 'max gap', 'since last', 'achieved/configured', 'broker rpo', 'duration p50/p95', 'size p50'], table);
}

/** Highest sustainable rate: one checkpoint per p95 duration (rpo.ts `sustainable`), over every broker checkpoint of the size. */
export function sustainable(r: SizeResult): { p95Ms: number; perSecond: number; samples: number } {
  const all = [...(r.pauses?.broker.map((x) => x.opMs) ?? []), ...r.periodic.flatMap((x) => x.durations)];
  const q = p95(all);
  return { p95Ms: q, perSecond: 1000 / q, samples: all.length };
}

export function printSize(r: SizeResult): void {
  console.log(`\n== counter guest, ${r.memoryMib} MiB ==`);
  if (r.pauses) printPauses(r.pauses);
  if (r.recoveries.length > 0 || r.rawRecoveries.length > 0) printRecoveries(r.recoveries, r.rawRecoveries);
  if (r.baseline || r.periodic.length > 0) printPeriodic(r.baseline, r.periodic);
  const s = sustainable(r);
  const reports = r.periodic.map((x) => x.report.sustainable).filter((x) => x !== undefined);
  const fromRpo = reports.length > 0 ? `; rpo.ts per run (p95 of that run's durations): ${r.periodic.map((x) => `${x.intervalMs} ms -> ${ms(x.report.sustainable?.intervalMs)} ms${x.report.sustainable?.keepsUp === false ? ' (does NOT keep up)' : ''}`).join(', ')}` : '';
  if (s.samples > 0) console.log(`sustainable: one checkpoint every ${ms(s.p95Ms)} ms (p95 of ${s.samples} broker checkpoint durations) = ${s.perSecond.toFixed(2)}/s, ${Math.floor(s.perSecond * 3600)}/h${fromRpo}`);
  for (const e of r.errors) console.log(`  FAILED: ${e}`);
}
