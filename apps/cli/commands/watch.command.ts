import { type ParsedArgs, UsageError, optionInt, rejectUnknown } from '../args';
import { type Output } from '../output';
import { type EventJson, type ServiceJson, SubjectNames, formatEvent, formatPlacementErrors, latestReason } from '../service-format';
import { type ApiAnswer, type BrokerClient } from './broker-client';
import { client, reportFailure } from './service.commands';

export const DEFAULT_INTERVAL_MS = 500;
export const DEFAULT_TIMEOUT_MS = 10 * 60 * 1000;

/** Phases a deployment settles in; anything else (accepted, placing, deploying, degraded, ...) is still moving. */
const SETTLED: ReadonlyMap<string, number> = new Map([['running', 0], ['deleted', 0], ['failed', 1]]);

/** What the watch loop needs from outside: the broker, and time (so unit tests run in virtual time). */
export interface WatchDeps {
  api: Pick<BrokerClient, 'request'>;
  now: () => number;
  sleep: (ms: number) => Promise<void>;
}

export interface WatchOptions {
  intervalMs: number;
  /** 0: wait for ever. */
  timeoutMs: number;
}

/** `reservoir watch ID [--broker URL] [--interval-ms N] [--timeout-ms N]` */
export async function watchCommand(args: ParsedArgs, out: Output, env: Record<string, string | undefined>): Promise<number> {
  rejectUnknown(args, ['broker', 'interval-ms', 'timeout-ms']);
  const [id, ...extra] = args.positionals;
  if (!id || extra.length > 0) throw new UsageError('usage: reservoir watch ID [--broker URL] [--interval-ms N] [--timeout-ms N]');
  const intervalMs = optionInt(args, 'interval-ms', DEFAULT_INTERVAL_MS);
  if (intervalMs === 0) throw new UsageError('--interval-ms must be at least 1');
  const timeoutMs = optionInt(args, 'timeout-ms', DEFAULT_TIMEOUT_MS);
  const deps: WatchDeps = { api: client(args, env), now: Date.now, sleep: (ms) => new Promise((r) => setTimeout(r, ms)) };
  return watchService(id, { intervalMs, timeoutMs }, out, deps);
}

/**
 * Polls the service and its transition log until the service settles, printing each transition once, as it
 * appears. The events endpoint has no cursor, so every poll reads the whole log and `EventFeed` drops what was
 * printed already. Exit code: 0 running or deleted, 1 failed, timed out or unknown.
 */
export async function watchService(id: string, opts: WatchOptions, out: Output, deps: WatchDeps): Promise<number> {
  const path = `/v1/services/${encodeURIComponent(id)}`;
  const started = deps.now();
  const feed = new EventFeed();
  const names = new SubjectNames();
  let last: ServiceJson | undefined;
  for (;;) {
    const answer = await deps.api.request('GET', path);
    if (answer.status === 404 && last) return deleted(last, out);
    if (answer.status !== 200) return reportFailure(answer, out);
    const service = answer.body as ServiceJson;
    last = service;
    names.learn(service.vees ?? []);
    const events = await deps.api.request('GET', `${path}/events`);
    if (events.status === 404) return deleted(service, out);
    if (events.status !== 200) return reportFailure(events, out);
    const fresh = feed.fresh((events.body as { items: EventJson[] }).items);
    if (fresh.some((e) => e.subject === 'vee' && !names.knows(e.id))) await learnAgain(deps.api, path, names);
    for (const e of fresh) out.log(formatEvent(e, names));
    const code = SETTLED.get(service.phase);
    if (code !== undefined) return summarize(service, code, out);
    const elapsed = deps.now() - started;
    if (opts.timeoutMs > 0 && elapsed >= opts.timeoutMs) {
      out.err(`timed out after ${seconds(elapsed)}: ${label(service)} is still ${service.phase}`);
      return 1;
    }
    await deps.sleep(opts.timeoutMs > 0 ? Math.min(opts.intervalMs, opts.timeoutMs - elapsed) : opts.intervalMs);
  }
}

/**
 * The transitions not yet returned, in the broker's order. Items have no id, so an item is known by its content;
 * counting each content (rather than remembering it) keeps two identical transitions apart. Position in the log is
 * no key: the log is merged from the service's and the VEEs' histories by time, so a late write can land mid-log.
 */
export class EventFeed {
  private readonly seen = new Map<string, number>();

  fresh(items: readonly EventJson[]): EventJson[] {
    const counts = new Map<string, number>();
    const out: EventJson[] = [];
    for (const e of items) {
      const key = JSON.stringify([e.at, e.subject, e.id, e.from, e.to, e.reason]);
      const n = (counts.get(key) ?? 0) + 1;
      counts.set(key, n);
      if (n > (this.seen.get(key) ?? 0)) {
        this.seen.set(key, n);
        out.push(e);
      }
    }
    return out;
  }
}

/** A VEE can appear in the log before the service view listed it: read the view once more for its name. */
async function learnAgain(api: WatchDeps['api'], path: string, names: SubjectNames): Promise<void> {
  const answer: ApiAnswer = await api.request('GET', path);
  if (answer.status === 200) names.learn((answer.body as ServiceJson).vees ?? []);
}

function summarize(service: ServiceJson, code: number, out: Output): number {
  const reason = latestReason(service);
  if (code === 0) {
    const vees = service.vees ?? [];
    const running = vees.filter((v) => v.phase === 'running').length;
    out.log(`${label(service)} ${service.phase}${service.phase === 'running' ? `: ${running} of ${vees.length} VEE(s) running` : ''}`);
    return 0;
  }
  const placement = service.placementErrors ?? [];
  out.err(`${label(service)} failed: ${placement.length > 0 ? 'it cannot be placed' : (reason ?? 'no reason given')}`);
  if (placement.length > 0) out.err(formatPlacementErrors(placement).join('\n'));
  return code;
}

function deleted(service: ServiceJson, out: Output): number {
  out.log(`${label(service)} deleted`);
  return 0;
}

const label = (s: ServiceJson): string => `service ${s.name} (${s.id})`;
const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;
