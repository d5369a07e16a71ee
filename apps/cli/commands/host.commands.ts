import { type ParsedArgs, UsageError, optionString, rejectUnknown } from '../args';
import { type Output } from '../output';
import { client, reportFailure } from './service.commands';

interface HostJson {
  id: string;
  name: string;
  uri: string;
  failureDomain: string;
  health: string;
  capacity: { vcpu: number; memoryMiB: number; diskGiB: number };
  labels: Record<string, string>;
}

const USAGE = `usage: reservoir hosts [--broker URL] [--json]
       reservoir hosts add NAME URI [--failure-domain D] [--labels k=v,k=v] [--overcommit-cpu N] [--overcommit-memory N] [--broker URL]
       reservoir hosts rm ID [--broker URL]`;

/** `reservoir hosts …`: list, add and remove the site's hypervisor hosts. */
export async function hostsCommand(args: ParsedArgs, out: Output, env: Record<string, string | undefined>): Promise<number> {
  const [sub, ...rest] = args.positionals;
  if (sub === undefined) return listHosts(args, out, env);
  if (sub === 'add') return addHost({ ...args, positionals: rest }, out, env);
  if (sub === 'rm') return removeHost({ ...args, positionals: rest }, out, env);
  throw new UsageError(USAGE);
}

async function listHosts(args: ParsedArgs, out: Output, env: Record<string, string | undefined>): Promise<number> {
  rejectUnknown(args, ['broker', 'json']);
  const answer = await client(args, env).request('GET', '/v1/hosts');
  if (answer.status !== 200) return reportFailure(answer, out);
  const page = answer.body as { items: HostJson[]; total: number };
  if (args.options.has('json')) {
    out.log(JSON.stringify(page, null, 2));
    return 0;
  }
  out.log(['ID'.padEnd(36), 'NAME'.padEnd(16), 'DOMAIN'.padEnd(10), 'HEALTH', 'VCPU', 'MEM-MIB'.padStart(8), 'DISK-GIB', 'URI'].join('  '));
  for (const h of page.items) {
    const c = h.capacity;
    out.log([h.id, h.name.padEnd(16), h.failureDomain.padEnd(10), h.health.padEnd(6), String(c.vcpu).padStart(4), String(c.memoryMiB).padStart(8), String(c.diskGiB).padStart(8), h.uri].join('  '));
  }
  out.log(`${page.total} host(s)`);
  return 0;
}

async function addHost(args: ParsedArgs, out: Output, env: Record<string, string | undefined>): Promise<number> {
  rejectUnknown(args, ['broker', 'failure-domain', 'labels', 'overcommit-cpu', 'overcommit-memory']);
  const [name, uri, ...extra] = args.positionals;
  if (!name || !uri || extra.length > 0) throw new UsageError(USAGE);
  const body: Record<string, unknown> = { name, uri };
  const failureDomain = optionString(args, 'failure-domain');
  if (failureDomain !== undefined) body.failureDomain = failureDomain;
  const labels = optionString(args, 'labels');
  if (labels !== undefined) body.labels = parseLabels(labels);
  const overcommit: Record<string, number> = {};
  for (const kind of ['cpu', 'memory'] as const) {
    const raw = optionString(args, `overcommit-${kind}`);
    if (raw === undefined) continue;
    if (!/^\d+(\.\d+)?$/.test(raw)) throw new UsageError(`--overcommit-${kind} must be a number`);
    overcommit[kind] = Number(raw);
  }
  if (Object.keys(overcommit).length > 0) body.overcommit = overcommit;
  const answer = await client(args, env).request('POST', '/v1/hosts', new TextEncoder().encode(JSON.stringify(body)), 'application/json');
  if (answer.status !== 201) return reportFailure(answer, out);
  out.log(JSON.stringify(answer.body));
  return 0;
}

async function removeHost(args: ParsedArgs, out: Output, env: Record<string, string | undefined>): Promise<number> {
  rejectUnknown(args, ['broker']);
  const [id, ...extra] = args.positionals;
  if (!id || extra.length > 0) throw new UsageError(USAGE);
  const answer = await client(args, env).request('DELETE', `/v1/hosts/${encodeURIComponent(id)}`);
  if (answer.status !== 204) return reportFailure(answer, out);
  out.log(`removed host ${id}`);
  return 0;
}

function parseLabels(raw: string): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const pair of raw.split(',').filter((p) => p !== '')) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new UsageError(`--labels: '${pair}' is not key=value`);
    labels[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return labels;
}
