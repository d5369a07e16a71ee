// RS-RS negotiation over the real Kafka, against raw kafkajs over the same Kafka.
//   npm run bench:negotiation   (ts-node -r tsconfig-paths/register --transpile-only bench/negotiation.ts)
// Needs Kafka at RESERVOIR_TEST_KAFKA_BROKERS (default 127.0.0.1:9092, `npm run services:up`); exits 1 without it.
//
// 1. Latency of a full CFP -> offers -> award/reject -> contract round with N sites (default 3 and 10), all in this
//    process, each site its own Kafka client: the real OutboundMessages / InboundGate / CapacityProvider /
//    ReplicaNegotiator (bench/lib/negotiation-protocol.ts), side by side with a raw kafkajs request/reply exchange
//    of the same legs in the same pattern and sizes, unsigned (bench/lib/negotiation-raw.ts). Rounds run one at a
//    time, protocol and raw alternating, after warm-up rounds; the ratio protocol / raw is the protocol's overhead.
// 2. Throughput of one site's inbox fed by K senders: accepted messages/s through the full gate vs a raw kafkajs
//    consumer of the same records (bench/lib/negotiation-inbox.ts).
// Sizes (env): BENCH_SITES=3,10  BENCH_ROUNDS=500 (measured rounds per size, each path)  BENCH_WARMUP=10
// BENCH_REPLICAS=2 (offers awarded per round, at most N-1)  BENCH_INBOX_MESSAGES=20000  BENCH_INBOX_SENDERS=4
// BENCH_PARTITIONS=3 (partitions of the inbox topics, as RESERVOIR_KAFKA_PARTITIONS)  BENCH_ROUND_TIMEOUT_MS=15000.
// Site ids, inbox topics and consumer groups are new every run (b<time>-…) and removed at the end; rsrs.broadcast
// (shared, fixed by the protocol) is read from its end. Runs in about 1.5 min.
import { availableParallelism } from 'node:os';
import { AjvMessageValidator } from '@reservoir/adapters/federation/ajv-message-validator';
import { type MessageType } from '@reservoir/domain/federation/protocol/envelope';
import { RSRS_BROADCAST_TOPIC } from '@reservoir/domain/federation/protocol/topics';
// Directly, not through '@reservoir/testing' (whose index loads the whole broker).
import { kafkaAvailable, TEST_KAFKA_BROKER_LIST, TEST_KAFKA_BROKERS } from '../libs/testing/real-services';
import { type Cleanup, finishCleanup, runBenchmark } from './lib/cleanup';
import { intEnv } from './lib/env';
import { InboxBench, type InboxRow } from './lib/negotiation-inbox';
import { ProtocolFederation, type RoundResult } from './lib/negotiation-protocol';
import { RawFederation, type RawType } from './lib/negotiation-raw';
import { benchAdmin, dropTopicsAndGroups, fmtMs, fmtRatio, partitionsOf } from './lib/negotiation-util';
import { percentile, printTable, sorted } from './lib/stats';

interface Settings {
  sites: number[];
  rounds: number;
  warmup: number;
  replicas: number;
  inboxMessages: number;
  inboxSenders: number;
  partitions: number;
  roundTimeoutMs: number;
}

const JOIN_TIMEOUT_MS = 60_000;

function settings(): Settings {
  const rawSites = process.env.BENCH_SITES || '3,10';
  const sites = rawSites.split(',').map((s) => Number(s.trim()));
  if (sites.some((n) => !Number.isInteger(n) || n < 2 || n > 50)) throw new Error(`BENCH_SITES=${rawSites}: comma-separated site counts from 2 to 50`);
  return {
    sites,
    rounds: intEnv('BENCH_ROUNDS', 500, 1, 100_000),
    warmup: intEnv('BENCH_WARMUP', 10, 0, 10_000),
    replicas: intEnv('BENCH_REPLICAS', 2, 1, 49),
    inboxMessages: intEnv('BENCH_INBOX_MESSAGES', 20_000, 0, 1_000_000),
    inboxSenders: intEnv('BENCH_INBOX_SENDERS', 4, 1, 100),
    partitions: intEnv('BENCH_PARTITIONS', 3, 1, 100),
    roundTimeoutMs: intEnv('BENCH_ROUND_TIMEOUT_MS', 15_000, 1000, 600_000),
  };
}

/** The protocol message each raw message stands for (its size is taken from it). */
const STANDS_FOR: Record<RawType, MessageType> = {
  cfp: 'CallForProposals', offer: 'Offer', award: 'Award', reject: 'Reject', confirm: 'ContractConfirm', probe: 'Heartbeat',
};

interface LatencyRow {
  sites: number;
  replicas: number;
  legs: number;
  sizes: string;
  protocol: number[];
  raw: number[];
  /** CPU time of this process per measured round (user + system, ms): every site's work, and kafkajs's. */
  cpu: { protocol: number[]; raw: number[] };
  failures: string[];
}

async function rounds(path: string, count: number, run: () => Promise<RoundResult>, into: number[], failures: string[], cpu: number[] = []): Promise<void> {
  for (let i = 0; i < count; i += 1) {
    const before = process.cpuUsage();
    const r = await run();
    const used = process.cpuUsage(before);
    if (r.ok) {
      into.push(r.ms);
      cpu.push((used.user + used.system) / 1000);
    } else failures.push(`${path}: ${r.why}`);
  }
}

async function latency(s: Settings, n: number, run: string, cleanup: Cleanup): Promise<LatencyRow> {
  const replicas = Math.min(s.replicas, n - 1);
  const admin = benchAdmin(TEST_KAFKA_BROKER_LIST, `bench-${run}-admin-n${n}`);
  await admin.connect();
  const schema = new AjvMessageValidator();
  const proto = new ProtocolFederation({ prefix: `${run}-n${n}`, sites: n, replicas, brokers: TEST_KAFKA_BROKER_LIST, partitions: s.partitions, schema });
  const dropProto = cleanup.add(`protocol federation of ${n} sites`, async () => {
    await proto.close();
    await dropTopicsAndGroups(admin, proto.owned.topics, proto.owned.groups);
  });
  let raw: RawFederation | undefined;
  const dropRaw = cleanup.add(`raw federation of ${n} sites`, async () => {
    await raw?.close();
    if (raw) await dropTopicsAndGroups(admin, raw.owned.topics, raw.owned.groups);
  });
  const dropAdmin = cleanup.add('kafka admin', () => admin.disconnect());
  try {
    const t0 = performance.now();
    await proto.start();
    await proto.waitUntilJoined(JOIN_TIMEOUT_MS);
    const failures: string[] = [];
    // Warm-up: JIT, connections, and the message sizes the raw baseline copies.
    await rounds('protocol warm-up', Math.max(1, s.warmup), () => proto.round(s.roundTimeoutMs), [], failures);
    const sizeOf = (t: RawType): number => proto.sizes.get(STANDS_FOR[t]) ?? 400;
    raw = new RawFederation({
      prefix: `bench-raw.${run}-n${n}`, sites: n, replicas, brokers: TEST_KAFKA_BROKER_LIST,
      inboxPartitions: s.partitions, broadcastPartitions: await partitionsOf(admin, RSRS_BROADCAST_TOPIC), sizeOf,
    });
    await raw.start(admin);
    await raw.waitUntilJoined(JOIN_TIMEOUT_MS);
    const rawRun = raw;
    await rounds('raw warm-up', Math.max(1, s.warmup), () => rawRun.round(s.roundTimeoutMs), [], failures);
    const setupS = (performance.now() - t0) / 1000;
    const row: LatencyRow = {
      sites: n, replicas, legs: proto.legs, protocol: [], raw: [], cpu: { protocol: [], raw: [] }, failures,
      sizes: (['cfp', 'offer', 'award', 'reject', 'confirm'] as RawType[]).filter((t) => t !== 'reject' || replicas < n - 1).map((t) => `${STANDS_FOR[t]} ${sizeOf(t)}`).join(', '),
    };
    const t1 = performance.now();
    for (let i = 0; i < s.rounds; i += 1) {
      // Interleaved, the order swapped each time, so drift (GC, page cache, other load) hits both alike.
      const pair = [
        () => rounds('protocol', 1, () => proto.round(s.roundTimeoutMs), row.protocol, failures, row.cpu.protocol),
        () => rounds('raw', 1, () => rawRun.round(s.roundTimeoutMs), row.raw, failures, row.cpu.raw),
      ];
      if (i % 2 === 1) pair.reverse();
      for (const step of pair) await step();
    }
    console.log(`  ${n} sites: set-up + joins + ${s.warmup} warm-up rounds each ${setupS.toFixed(1)} s, ${s.rounds} + ${s.rounds} rounds ${((performance.now() - t1) / 1000).toFixed(1)} s`);
    for (const [reason, count] of proto.refusals) console.log(`  ${n} sites: ${count} message(s) refused by the gates: ${reason} (e.g. other users' messages on the shared ${RSRS_BROADCAST_TOPIC})`);
    for (const line of proto.notes.slice(0, 5)) console.log(`  ${n} sites: log: ${line}`);
    if (proto.notes.length > 5) console.log(`  ${n} sites: … ${proto.notes.length - 5} more log lines`);
    return row;
  } finally {
    dropRaw();
    dropProto();
    await raw?.close();
    await proto.close();
    await dropTopicsAndGroups(admin, [...proto.owned.topics, ...(raw?.owned.topics ?? [])], [...proto.owned.groups, ...(raw?.owned.groups ?? [])]).catch((err: unknown) => {
      console.error(`could not remove the topics of the ${n}-site run: ${String(err)}`);
    });
    dropAdmin();
    await admin.disconnect();
  }
}

async function inbox(s: Settings, run: string, cleanup: Cleanup): Promise<InboxRow[]> {
  const admin = benchAdmin(TEST_KAFKA_BROKER_LIST, `bench-${run}-admin-inbox`);
  await admin.connect();
  const bench = new InboxBench({
    prefix: `${run}-in`, senders: s.inboxSenders, messages: s.inboxMessages, brokers: TEST_KAFKA_BROKER_LIST, partitions: s.partitions,
    schema: new AjvMessageValidator(), admin, drainTimeoutMs: 180_000,
  });
  const drop = async (): Promise<void> => {
    await bench.close();
    await dropTopicsAndGroups(admin, [bench.inbox, bench.rawTopic], bench.groups);
    await admin.disconnect();
  };
  const undo = cleanup.add('inbox benchmark', drop);
  try {
    await bench.start();
    return [await bench.measure('Heartbeat'), await bench.measure('Offer')];
  } finally {
    undo();
    await drop();
  }
}

/** Order statistics of ascending `xs`. */
const stat = (xs: number[]) => ({ p50: percentile(xs, 50), p99: percentile(xs, 99), mean: xs.reduce((a, b) => a + b, 0) / xs.length, min: xs[0] ?? Number.NaN });

function printLatency(rows: LatencyRow[]): void {
  const table: string[][] = [];
  for (const r of rows) {
    const p = sorted(r.protocol);
    const w = sorted(r.raw);
    const ps = stat(p);
    const ws = stat(w);
    const pc = stat(r.cpu.protocol).mean;
    const wc = stat(r.cpu.raw).mean;
    const label = `${r.sites} sites, ${r.replicas} awarded`;
    table.push([label, 'RS-RS protocol', String(r.legs), String(p.length), fmtMs(ps.p50), fmtMs(ps.p99), fmtMs(ps.mean), fmtMs(ps.min), fmtMs(ps.p50 / r.legs), fmtMs(pc)]);
    table.push([label, 'raw kafkajs', String(r.legs), String(w.length), fmtMs(ws.p50), fmtMs(ws.p99), fmtMs(ws.mean), fmtMs(ws.min), fmtMs(ws.p50 / r.legs), fmtMs(wc)]);
    table.push([label, 'overhead protocol / raw', '', '', fmtRatio(ps.p50, ws.p50), fmtRatio(ps.p99, ws.p99), fmtRatio(ps.mean, ws.mean), fmtRatio(ps.min, ws.min), '', fmtRatio(pc, wc)]);
  }
  printTable(['federation', 'path', 'legs', 'rounds', 'p50 ms', 'p99 ms', 'mean ms', 'min ms', 'p50/leg', 'CPU ms'], table, 2);
  console.log('  (CPU ms = this process\'s CPU time per round, mean: all sites share one Node thread here, so work real sites would');
  console.log('   do at once on their own machines is done one after the other; the protocol\'s ratio is an upper bound of its overhead)');
  for (const r of rows) {
    const extra = (stat(r.cpu.protocol).mean - stat(r.cpu.raw).mean);
    console.log(`  ${r.sites} sites: protocol CPU over raw ${fmtMs(extra)} ms per round = ${(extra / r.legs).toFixed(2)} ms per leg (seal+sign, gate checks, provider/negotiator, stores)`);
    console.log(`  ${r.sites} sites: message bytes (raw padded to the same): ${r.sizes}`);
    if (r.failures.length > 0) console.log(`  ${r.sites} sites: ${r.failures.length} round(s) failed (not in the figures), first: ${r.failures[0]}`);
  }
}

function printInbox(rows: InboxRow[], s: Settings): void {
  const rate = (n: number) => Math.round(n).toLocaleString('en-US');
  printTable(
    ['message', 'bytes', 'count', 'gate msg/s', 'raw msg/s', 'overhead raw / gate', 'gate drain s', 'raw drain s', 'gate alone msg/s'],
    rows.map((r) => [
      r.type, r.bytes.toFixed(0), String(r.messages), rate(r.gate.perSecond), rate(r.raw.perSecond), fmtRatio(r.raw.perSecond, r.gate.perSecond),
      r.gate.seconds.toFixed(2), r.raw.seconds.toFixed(2), rate(r.gateAlone),
    ]),
  );
  for (const r of rows) if (r.gate.refused > 0) console.log(`  ${r.type}: ${r.gate.refused} refused by the gate (dead-lettered), ${r.gate.accepted} accepted`);
  console.log(`  ${s.inboxSenders} senders, inbox of ${s.partitions} partitions; every message accepted by the gate unless said above`);
}

function printHeader(s: Settings, cpus: number): void {
  console.log(`negotiation benchmark, Node ${process.version}, ${cpus} CPUs, Kafka ${TEST_KAFKA_BROKERS}, ${new Date().toISOString()}`);
  console.log(
    [
      'Part 1: one CFP -> offers -> award/reject -> ContractConfirm round, site 0 the primary, the others providers, all in this',
      '  process (one Kafka client each: producer + inbox and broadcast consumers). Legs: CFP x (N-1) readers + N-1 Offers +',
      '  N-1 Awards/Rejects + one ContractConfirm per award. Latency = CFP about to be sent -> last ContractConfirm handled.',
      '  RS-RS: the real OutboundMessages (sign, schema), InboundGate (schema, Ed25519, clock window, replay in memory),',
      '  CapacityProvider (ledger of 4 hosts, reservation, contract store) and ReplicaNegotiator (rank, award); the primary',
      '  closes the round as soon as all offers are in (deadline 30 s ahead); no ReplicaShip. Raw: plain kafkajs, unsigned',
      '  JSON of the same sizes, same topics pattern and sends (awards then rejects, one send after the other).',
      `  ${s.rounds} measured rounds per path after ${s.warmup} warm-up rounds, protocol and raw alternating; contract stores emptied between rounds.`,
      `Part 2: one site's inbox fed by ${s.inboxSenders} senders: a backlog of ${s.inboxMessages} signed messages drained by the full gate vs. by`,
      '  a raw kafkajs consumer (JSON.parse) of the same records; "gate alone" = the same gate without Kafka (CPU only).',
    ].join('\n'),
  );
}

async function main(cleanup: Cleanup): Promise<void> {
  const started = performance.now();
  const s = settings();
  printHeader(s, availableParallelism());
  if (!(await kafkaAvailable())) {
    console.log(`negotiation benchmark: Kafka is not reachable at ${TEST_KAFKA_BROKERS} (start it with npm run services:up, or set RESERVOIR_TEST_KAFKA_BROKERS)`);
    process.exitCode = 1;
    return;
  }
  const run = `b${Date.now().toString(36)}`;
  try {
    const rows: LatencyRow[] = [];
    for (const n of s.sites) rows.push(await latency(s, n, run, cleanup));
    console.log('\n== 1. negotiation round latency over Kafka ==');
    printLatency(rows);
    if (s.inboxMessages > 0) {
      const inboxRows = await inbox(s, run, cleanup);
      console.log('\n== 2. inbox throughput over Kafka ==');
      printInbox(inboxRows, s);
    }
  } finally {
    await finishCleanup(cleanup);
  }
  console.log(`\ntotal ${((performance.now() - started) / 1000).toFixed(1)} s`);
}

runBenchmark(main);
