import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { findShippedFile, loadConfig } from '@reservoir/config';
import { startBroker } from '../../site-broker/bootstrap';
import { type ParsedArgs, UsageError, rejectUnknown } from '../args';
import { type Output } from '../output';
import { BrokerClient } from './broker-client';

const EXAMPLES = ['web-shop.xml', 'minimal.xml'];
/** Three simulated hosts in three racks: the demo site's hardware until real libvirt hosts are added. */
const DEMO_HOSTS = [1, 2, 3].map((n) => ({ name: `sim-${n}`, uri: `sim://sim-${n}?vcpu=16&memory-mib=32768&disk-gib=500&failure-domain=rack${n}` }));

/**
 * `reservoir demo [--exit]`: starts a site broker on the embedded store and in-process bus (unless RESERVOIR_*
 * variables say otherwise), submits the example manifests through its HTTP API and shows what it stored.
 * Keeps serving until Ctrl-C, or stops at once with --exit.
 */
export async function demoCommand(args: ParsedArgs, out: Output, env: Record<string, string | undefined>): Promise<number> {
  rejectUnknown(args, ['exit']);
  if (args.positionals.length > 0) throw new UsageError('usage: reservoir demo [--exit]');
  const config = loadConfig({ RESERVOIR_SITE_ID: 'demo', RESERVOIR_HTTP_HOST: '127.0.0.1', ...env });
  const broker = await startBroker(config, { logger: ['error', 'warn'] });
  const where = config.store.kind === 'embedded' ? `embedded PostgreSQL (PGlite) in ${config.store.dataDir}` : 'PostgreSQL server';
  out.log(`site broker '${config.siteId}' up at ${broker.url} — store: ${where}; bus: ${config.bus.kind}`);
  const api = new BrokerClient(broker.url);
  for (const host of DEMO_HOSTS) {
    const answer = await api.request('POST', '/v1/hosts', new TextEncoder().encode(JSON.stringify(host)), 'application/json');
    out.log(`host ${host.name}: ${answer.status === 201 ? 'registered' : answer.status === 409 ? 'already registered' : `${answer.status} ${answer.text}`}`);
  }
  const examples = findShippedFile('schemas/examples');
  for (const name of EXAMPLES) {
    const answer = await api.request('POST', '/v1/services', new Uint8Array(await readFile(join(examples, name))), 'application/xml');
    const body = answer.body as { id?: string; name?: string; errors?: { message: string }[] };
    if (answer.status === 201) out.log(`submitted ${name}: ${answer.status} ${JSON.stringify(body)}`);
    else out.log(`submitted ${name}: ${answer.status} ${body.errors?.map((e) => e.message).join('; ') ?? answer.text}`);
  }
  const list = await api.request('GET', '/v1/services');
  const page = list.body as { items: { id: string }[]; total: number };
  out.log(`\n${page.total} service(s) on site '${config.siteId}':`);
  for (const { id } of page.items) {
    const s = await settled(api, id);
    out.log(`  ${s.id}  ${s.name.padEnd(12)} ${s.phase.padEnd(9)} tiers: ${s.tiers.map((t) => t.name).join(', ')}`);
    for (const v of s.vees) out.log(`      ${v.domain.padEnd(44)} ${v.phase.padEnd(9)} on ${v.host}`);
  }
  out.log(`\ntry: curl ${broker.url}/v1/services   ·   npx reservoir hosts --broker ${broker.url}   ·   API docs: ${broker.url}/docs   ·   npx reservoir list --broker ${broker.url}`);
  if (args.options.has('exit')) {
    await broker.close();
    return 0;
  }
  out.log('broker running; Ctrl-C stops it');
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await broker.close();
  return 0;
}

interface ServiceJson {
  id: string;
  name: string;
  phase: string;
  tiers: { name: string }[];
  vees: { domain: string; phase: string; host: string }[];
}

const IN_PROGRESS = ['accepted', 'placing', 'deploying'];

/** The service once its deployment has settled (running, failed, ...), or as it stands after 20 s. */
async function settled(api: BrokerClient, id: string): Promise<ServiceJson> {
  for (let waited = 0; ; waited += 100) {
    const service = (await api.request('GET', `/v1/services/${id}`)).body as ServiceJson;
    if (!IN_PROGRESS.includes(service.phase) || waited >= 20000) return service;
    await new Promise((r) => setTimeout(r, 100));
  }
}
