import { type StoredCheckpoint } from '@reservoir/domain/ports/checkpoint-store.port';
import { type CheckpointTrigger } from '@reservoir/domain/protection/checkpoints/checkpoint-record';
import { decideRuleCheckpoints, HOST_EVENT_TYPES, type HostEventType, isHostEventType, type RuleCandidate, type RuleDecision } from '@reservoir/domain/protection/monitoring-rules';
import { DomainError } from '@reservoir/domain/shared/domain-error';
import { type DeployDeps } from '../deploy/deploy-deps';
import { describeError } from '../deploy/domain-operations';
import { requireHost } from '../lookups/require-records';

/** What host events ask of the checkpoint service (CheckpointService: it takes the service's lock itself). */
export interface RuleCheckpointTaker {
  takeVeeCheckpoint(veeId: string, trigger: CheckpointTrigger): Promise<StoredCheckpoint>;
}

export interface HostEventOptions {
  /** At most one checkpoint per VEE and rule per this many ms (RESERVOIR_MONITORING_DEBOUNCE_MS); 0: no debounce. */
  debounceMs: number;
}

/** A host event as reported (`POST /v1/hosts/:id/events`, or the `host.events` topic). */
export interface HostEvent {
  type: HostEventType;
  detail?: string;
}

/** What an event led to: one line per VEE of the host whose tier has a rule for it. */
export interface HostEventOutcome {
  host: { id: string; name: string };
  type: HostEventType;
  detail?: string;
  receivedAt: Date;
  vees: (RuleDecision & { domain: string })[];
}

const MAX_DETAIL = 1000;

type Deps = Pick<DeployDeps, 'hosts' | 'services' | 'vees' | 'clock' | 'log'>;

/**
 * Monitoring-rule checkpoints: an event reported for a host checkpoints (trigger `monitoring-rule:<event>`) every
 * running active VEE there whose tier declares `<checkpoint-on event>` for it, debounced per VEE and rule
 * (libs/domain/protection/monitoring-rules.ts). The checkpoints run in the background; the answer says which VEEs
 * get one, which were debounced (and until when) and which were skipped. A firing counts from its start, failed or
 * not, so a storm against a failing host does not retry on every event. Firings are kept in memory: a restarted
 * broker may checkpoint once more per rule.
 */
export class HostEventCheckpoints {
  private readonly fired = new Map<string, Date>();
  private running: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly d: Deps,
    private readonly taker: RuleCheckpointTaker,
    private readonly options: HostEventOptions,
  ) {}

  /** Validates the event (unknown host: `not-found`; bad body: `invalid-input`) and starts the rule checkpoints. */
  async report(hostIdOrName: string, body: unknown): Promise<HostEventOutcome> {
    const host = await requireHost(this.d.hosts, hostIdOrName);
    const event = parseHostEvent(body);
    const now = this.d.clock.now();
    this.forgetOlderThan(now);
    const vees = (await this.d.vees.listLive()).filter((v) => v.hostId === host.id);
    const candidates: (RuleCandidate & { domain: string })[] = [];
    for (const v of vees) {
      const service = await this.d.services.get(v.serviceId);
      const qos = service?.definition.tiers.find((t) => t.name === v.tier)?.qos;
      if (!qos) continue;
      candidates.push({ veeId: v.id, domain: v.domain, role: v.role, phase: v.phase, protection: qos.protection, ...(qos.checkpointOn ? { checkpointOn: qos.checkpointOn } : {}) });
    }
    const decisions = decideRuleCheckpoints({ event: event.type, candidates, lastFired: (id, e) => this.fired.get(key(id, e)), now, debounceMs: this.options.debounceMs });
    const domainOf = new Map(candidates.map((c) => [c.veeId, c.domain]));
    const started = decisions.filter((x) => x.outcome === 'checkpoint');
    for (const x of started) this.fired.set(key(x.veeId, event.type), now);
    this.d.log(`host ${host.name}: event ${event.type}${event.detail ? ` (${event.detail})` : ''}: ${started.length} rule checkpoint(s), ${decisions.length - started.length} debounced or skipped`);
    this.running = Promise.all([this.running, ...started.map(async (x) => this.take(x.veeId, domainOf.get(x.veeId) ?? x.veeId, x.trigger))]);
    return {
      host: { id: host.id, name: host.name },
      type: event.type,
      ...(event.detail === undefined ? {} : { detail: event.detail }),
      receivedAt: now,
      vees: decisions.map((x) => ({ ...x, domain: domainOf.get(x.veeId) ?? x.veeId })),
    };
  }

  /** Resolves once every rule checkpoint started so far has ended (tests, shutdown). */
  async settled(): Promise<void> {
    await this.running;
  }

  private async take(veeId: string, domain: string, trigger: CheckpointTrigger): Promise<void> {
    try {
      const c = await this.taker.takeVeeCheckpoint(veeId, trigger);
      this.d.log(`VEE ${domain}: checkpoint ${c.id} (${trigger}) taken`);
    } catch (err) {
      this.d.log(`VEE ${domain}: checkpoint for ${trigger} failed: ${describeError(err)}`);
    }
  }

  /** Firings older than the window can no longer debounce anything. */
  private forgetOlderThan(now: Date): void {
    for (const [k, at] of this.fired) if (now.getTime() - at.getTime() >= this.options.debounceMs) this.fired.delete(k);
  }
}

const key = (veeId: string, event: HostEventType): string => `${veeId}|${event}`;

/** `{type, detail?}`: every problem at once, each at its JSON path. */
export function parseHostEvent(body: unknown): HostEvent {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new DomainError('invalid-input', 'a host event is a JSON object {type, detail?}', [{ path: '/', message: 'expected an object' }]);
  }
  const { type, detail, ...rest } = body as Record<string, unknown>;
  const errors: { path: string; message: string }[] = [];
  if (!isHostEventType(type)) errors.push({ path: '/type', message: `${type === undefined ? 'required' : `unknown host event ${JSON.stringify(type)}`}; one of ${HOST_EVENT_TYPES.join(', ')}` });
  if (detail !== undefined && (typeof detail !== 'string' || detail.length > MAX_DETAIL)) errors.push({ path: '/detail', message: `a string of at most ${MAX_DETAIL} characters` });
  for (const name of Object.keys(rest)) errors.push({ path: `/${name}`, message: 'unknown field' });
  if (errors.length > 0 || !isHostEventType(type)) throw new DomainError('invalid-input', `host event rejected: ${errors.length} problem(s)`, errors);
  return typeof detail === 'string' ? { type, detail } : { type };
}
