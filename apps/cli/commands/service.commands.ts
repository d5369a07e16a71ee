import { readFile, stat } from 'node:fs/promises';
import { type ParsedArgs, UsageError, optionInt, optionString, rejectUnknown } from '../args';
import { formatErrors, type Output } from '../output';
import { formatService, type ServiceJson } from '../service-format';
import { type ApiAnswer, BrokerClient } from './broker-client';
import { DEFAULT_MAX_BYTES } from './validate.command';

const DEFAULT_BROKER = 'http://127.0.0.1:8080';

export function client(args: ParsedArgs, env: Record<string, string | undefined>): BrokerClient {
  const url = optionString(args, 'broker') ?? env.RESERVOIR_BROKER_URL ?? DEFAULT_BROKER;
  try {
    return new BrokerClient(new URL(url).toString());
  } catch {
    throw new UsageError(`--broker: '${url}' is not a URL`);
  }
}

/** Prints an error answer; returns the exit code 1. */
export function reportFailure(answer: ApiAnswer, out: Output): number {
  const errors = (answer.body as { errors?: { path: string; message: string; line?: number }[] }).errors;
  out.err(`broker answered ${answer.status}`);
  if (Array.isArray(errors)) out.err(formatErrors(errors));
  else out.err(answer.text);
  return 1;
}

/** `reservoir submit FILE [--broker URL]` */
export async function submitCommand(args: ParsedArgs, out: Output, env: Record<string, string | undefined>): Promise<number> {
  rejectUnknown(args, ['broker', 'max-bytes']);
  const [file, ...extra] = args.positionals;
  if (!file || extra.length > 0) throw new UsageError('usage: reservoir submit FILE [--broker URL]');
  const maxBytes = optionInt(args, 'max-bytes', DEFAULT_MAX_BYTES);
  const info = await stat(file).catch(() => undefined);
  if (!info?.isFile()) {
    out.err(`${file}: no such file`);
    return 1;
  }
  if (info.size > maxBytes) {
    out.err(`${file}: ${info.size} bytes is over the manifest size limit of ${maxBytes} bytes`);
    return 1;
  }
  const answer = await client(args, env).request('POST', '/v1/services', new Uint8Array(await readFile(file)), 'application/xml');
  if (answer.status !== 201) return reportFailure(answer, out);
  const created = answer.body as { id: string; name: string; phase: string };
  out.log(JSON.stringify(created));
  return 0;
}

/** `reservoir get ID [--broker URL] [--manifest] [--json]`: a table of the service and its VEEs by default. */
export async function getCommand(args: ParsedArgs, out: Output, env: Record<string, string | undefined>): Promise<number> {
  rejectUnknown(args, ['broker', 'manifest', 'json']);
  const [id, ...extra] = args.positionals;
  if (!id || extra.length > 0) throw new UsageError('usage: reservoir get ID [--broker URL] [--json | --manifest]');
  if (args.options.has('manifest') && args.options.has('json')) throw new UsageError('--json and --manifest exclude each other');
  const suffix = args.options.has('manifest') ? '/manifest' : '';
  const answer = await client(args, env).request('GET', `/v1/services/${encodeURIComponent(id)}${suffix}`);
  if (answer.status !== 200) return reportFailure(answer, out);
  if (suffix) out.log(answer.text);
  else if (args.options.has('json')) out.log(JSON.stringify(answer.body, null, 2));
  else out.log(formatService(answer.body as ServiceJson).join('\n'));
  return 0;
}

/** `reservoir list [--broker URL] [--limit N] [--offset N]` */
export async function listCommand(args: ParsedArgs, out: Output, env: Record<string, string | undefined>): Promise<number> {
  rejectUnknown(args, ['broker', 'limit', 'offset', 'json']);
  if (args.positionals.length > 0) throw new UsageError('usage: reservoir list [--broker URL] [--limit N] [--offset N] [--json]');
  const q = new URLSearchParams({ limit: String(optionInt(args, 'limit', 50)), offset: String(optionInt(args, 'offset', 0)) });
  const answer = await client(args, env).request('GET', `/v1/services?${q.toString()}`);
  if (answer.status !== 200) return reportFailure(answer, out);
  const page = answer.body as { items: { id: string; name: string; phase: string; tiers: unknown[]; createdAt: string }[]; total: number };
  if (args.options.has('json')) {
    out.log(JSON.stringify(page, null, 2));
    return 0;
  }
  out.log(['ID'.padEnd(36), 'NAME'.padEnd(24), 'PHASE'.padEnd(10), 'TIERS', 'CREATED'].join('  '));
  for (const s of page.items) {
    out.log([s.id, s.name.padEnd(24), s.phase.padEnd(10), String(s.tiers.length).padEnd(5), s.createdAt].join('  '));
  }
  out.log(`${page.items.length} of ${page.total} service(s)`);
  return 0;
}

/** `reservoir delete ID [--broker URL]` */
export async function deleteCommand(args: ParsedArgs, out: Output, env: Record<string, string | undefined>): Promise<number> {
  rejectUnknown(args, ['broker']);
  const [id, ...extra] = args.positionals;
  if (!id || extra.length > 0) throw new UsageError('usage: reservoir delete ID [--broker URL]');
  const answer = await client(args, env).request('DELETE', `/v1/services/${encodeURIComponent(id)}`);
  if (answer.status !== 204) return reportFailure(answer, out);
  out.log(`deleted ${id}`);
  return 0;
}
