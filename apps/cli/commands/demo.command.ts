import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type BrokerConfig, findShippedFile, loadConfig } from '@reservoir/config';
import { writeSiteKeyPair } from '@reservoir/adapters/federation/key-files';
import { MemoryEventBus } from '@reservoir/adapters/bus/memory-event-bus';
import { type RunningBroker, startBroker } from '../../site-broker/bootstrap';
import { type ParsedArgs, UsageError, rejectUnknown } from '../args';
import { type Output } from '../output';
import { BrokerClient } from './broker-client';

const EXAMPLES = ['web-shop.xml', 'minimal.xml'];
/** The demo federation: site A (primary of the examples) and two replica sites. */
const SITES = ['demo-a', 'demo-b', 'demo-c'] as const;
/** Three simulated hosts in three racks per site: its hardware until real libvirt hosts are added. */
const hostsOf = (site: string) =>
  [1, 2, 3].map((n) => ({ name: `sim-${n}`, uri: `sim://${site}-sim-${n}?vcpu=16&memory-mib=32768&disk-gib=500&failure-domain=rack${n}` }));
/** Quick enough to watch: a beat every 250 ms, dead after 2.5 s, offers collected for 0.5 s. */
const DEMO_TIMING = { RESERVOIR_HEARTBEAT_MS: '250', RESERVOIR_DEAD_AFTER_MS: '2500', RESERVOIR_CFP_WINDOW_MS: '500' };

/**
 * `reservoir demo [--exit]`: a three-site federation on this machine — three site brokers on the embedded store
 * and one in-process bus (unless RESERVOIR_* variables say otherwise: RESERVOIR_BUS=kafka puts each on Kafka),
 * each with three simulated hosts and its own Ed25519 key. The examples are submitted to site A; web-shop asks
 * for two replica sites, which A negotiates with B and C. Keeps serving until Ctrl-C, or stops at once with --exit.
 */
export async function demoCommand(args: ParsedArgs, out: Output, env: Record<string, string | undefined>): Promise<number> {
  rejectUnknown(args, ['exit']);
  if (args.positionals.length > 0) throw new UsageError('usage: reservoir demo [--exit]');
  const base = env.RESERVOIR_DATA_DIR ?? '.data/demo';
  const port = Number(env.RESERVOIR_HTTP_PORT ?? 8080);
  const federationFile = demoFederation(base, port);
  const configs = SITES.map((site, i) => loadConfig({
    RESERVOIR_HTTP_HOST: '127.0.0.1', ...DEMO_TIMING, ...env,
    RESERVOIR_SITE_ID: site,
    RESERVOIR_DATA_DIR: join(base, site),
    RESERVOIR_HTTP_PORT: String(port === 0 ? 0 : port + i),
    RESERVOIR_SITE_KEY_FILE: join(base, 'keys', site, 'site.key'),
    RESERVOIR_FEDERATION_FILE: federationFile,
  }));
  // The simulated hosts live in memory and start empty at every run: a store left by an earlier run would hold VEEs
  // whose domains are gone (and the failover machine would spend a minute recovering them). Embedded stores start
  // afresh; the keys stay. A PostgreSQL server's database is never touched.
  for (const config of configs) {
    if (config.store.kind === 'embedded' && existsSync(config.store.dataDir)) {
      rmSync(join(base, config.siteId), { recursive: true, force: true });
      out.log(`site ${config.siteId}: earlier demo state removed (its simulated hosts start empty)`);
    }
  }
  const shared = configs[0]?.bus.kind === 'memory' ? new MemoryEventBus() : undefined;
  const brokers: RunningBroker[] = [];
  const logs: string[] = [];
  for (const config of configs) {
    brokers.push(await startBroker(config, { logger: ['error', 'warn'], ...(shared ? { bus: shared } : {}), log: (line) => logs.push(line) }));
    out.log(`site ${config.siteId} up at ${brokers.at(-1)?.url} — store: ${describeStore(config)}; bus: ${config.bus.kind}`);
  }
  const [a, ...replicaSites] = brokers.map((b) => new BrokerClient(b.url));
  if (!a) return 1;
  for (const [i, api] of [a, ...replicaSites].entries()) {
    for (const host of hostsOf(SITES[i] as string)) {
      const answer = await api.request('POST', '/v1/hosts', json(host), 'application/json');
      out.log(`site ${SITES[i]}: host ${host.name}: ${answer.status === 201 ? 'registered' : answer.status === 409 ? 'already registered' : `${answer.status} ${answer.text}`}`);
    }
  }
  const examples = findShippedFile('schemas/examples');
  for (const name of EXAMPLES) {
    const answer = await a.request('POST', '/v1/services', new Uint8Array(await readFile(join(examples, name))), 'application/xml');
    const body = answer.body as { id?: string; name?: string; errors?: { message: string }[] };
    if (answer.status === 201) out.log(`submitted ${name} to ${SITES[0]}: ${answer.status} ${JSON.stringify(body)}`);
    else out.log(`submitted ${name} to ${SITES[0]}: ${answer.status} ${body.errors?.map((e) => e.message).join('; ') ?? answer.text}`);
  }
  const page = (await a.request('GET', '/v1/services')).body as { items: { id: string }[]; total: number };
  out.log(`\n${page.total} service(s) on site '${SITES[0]}':`);
  for (const { id } of page.items) {
    const s = await settled(a, id);
    out.log(`  ${s.id}  ${s.name.padEnd(12)} ${s.phase.padEnd(9)} tiers: ${s.tiers.map((t) => t.name).join(', ')}`);
    for (const v of s.vees) out.log(`      ${v.domain.padEnd(44)} ${v.phase.padEnd(9)} on ${v.host}`);
    for (const r of s.replicas) out.log(`      replica at ${r.site.padEnd(8)} ${r.phase.padEnd(9)} contract ${r.contract.phase} until ${r.contract.expiresAt}`);
    if (s.loadBalancing) out.log(`      load balancing: ${Object.entries(s.loadBalancing).map(([site, w]) => `${site} ${w}`).join(', ')}`);
  }
  for (const [i, api] of replicaSites.entries()) {
    const replicas = (await api.request('GET', '/v1/services')).body as { items: { name: string; phase: string; replicaOf?: { site: string } }[] };
    for (const r of replicas.items) out.log(`site ${SITES[i + 1]}: ${r.name} ${r.phase}${r.replicaOf ? ` (replica of ${r.replicaOf.site})` : ''}`);
  }
  const sites = (await a.request('GET', '/v1/sites')).body as { id: string; state: string }[];
  out.log(`site ${SITES[0]} sees: ${sites.map((s) => `${s.id} ${s.state}`).join(', ')}`);
  out.log(`\ntry: curl ${brokers[0]?.url}/v1/sites   ·   npx reservoir get <id> --broker ${brokers[0]?.url}   ·   API docs: ${brokers[0]?.url}/docs`);
  const stopAll = async () => {
    for (const b of brokers.reverse()) await b.close();
    await shared?.close();
  };
  if (args.options.has('exit')) {
    await stopAll();
    return 0;
  }
  out.log('federation running (log lines follow); Ctrl-C stops it');
  for (const line of logs.splice(0)) out.log(line);
  const follow = setInterval(() => logs.splice(0).forEach((line) => out.log(line)), 500);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  clearInterval(follow);
  await stopAll();
  return 0;
}

/**
 * A key per demo site under BASE/keys (made once) and BASE/federation.json listing all three, each with its HTTP
 * endpoint (checkpoints are shipped to replica sites there) when the ports are fixed (not 0: chosen at start).
 */
function demoFederation(base: string, port: number): string {
  const sites = SITES.map((id, i) => {
    const dir = join(base, 'keys', id);
    if (!existsSync(join(dir, 'site.key'))) writeSiteKeyPair(dir);
    const endpoint = port === 0 ? {} : { endpoint: `http://127.0.0.1:${port + i}` };
    return { id, publicKey: readFileSync(join(dir, 'site.pub'), 'utf8').trim(), ...endpoint };
  });
  const file = join(base, 'federation.json');
  writeFileSync(file, `${JSON.stringify({ sites }, null, 2)}\n`);
  return file;
}

function describeStore(config: BrokerConfig): string {
  return config.store.kind === 'embedded' ? `embedded PostgreSQL (PGlite) in ${config.store.dataDir}` : 'PostgreSQL server';
}

function json(value: unknown): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(value));
}

interface ServiceJson {
  id: string;
  name: string;
  phase: string;
  tiers: { name: string }[];
  vees: { domain: string; phase: string; host: string }[];
  qos: { replicas: number };
  replicas: { site: string; phase: string; contract: { phase: string; expiresAt: string } }[];
  loadBalancing?: Record<string, number>;
}

const IN_PROGRESS = ['accepted', 'placing', 'deploying'];

/** The service once deployed and (when it asks for replicas) replicated, or as it stands after 20 s. */
async function settled(api: BrokerClient, id: string): Promise<ServiceJson> {
  for (let waited = 0; ; waited += 100) {
    const s = (await api.request('GET', `/v1/services/${id}`)).body as ServiceJson;
    const replicated = s.replicas.length >= s.qos.replicas && s.replicas.every((r) => r.phase === 'running' || r.phase === 'standby');
    if ((!IN_PROGRESS.includes(s.phase) && (s.phase !== 'running' || replicated)) || waited >= 20000) return s;
    await new Promise((r) => setTimeout(r, 100));
  }
}
