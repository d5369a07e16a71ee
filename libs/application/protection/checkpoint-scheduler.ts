import { type CheckpointTrigger } from '@reservoir/domain/protection/checkpoints/checkpoint-record';
import { rpoReport, type RpoReport } from '@reservoir/domain/protection/checkpoints/rpo';
import { type StoredCheckpoint } from '@reservoir/domain/ports/checkpoint-store.port';
import { DomainError } from '@reservoir/domain/shared/domain-error';
import { describeError } from '../deploy/domain-operations';
import { type Scheduler, timerScheduler } from '../reconcile/work-queue';
import { type CheckpointDeps } from './checkpoint-deps';
import { activeWatch, type Watch, type WatchTarget, watchTargets } from './checkpoint-watch';

/** What the scheduler asks of the checkpoint service. */
export interface CheckpointTaker {
  takeVeeCheckpoint(veeId: string, trigger: CheckpointTrigger): Promise<StoredCheckpoint>;
}

/**
 * One condition of a VEE's protection, for its JSON (`conditions: [{type, message}]`). Today: `RpoDegraded` (the
 * achieved RPO is over the configured interval × tolerance) and `CheckpointFailing` (the last periodic checkpoint
 * failed). Copies to a second host will add theirs (e.g. no second host to copy to) through `addConditionSource`.
 */
export interface VeeCondition {
  type: string;
  message: string;
}

/** A source of extra conditions per VEE (registered by later protection features). */
export type ConditionSource = (veeId: string) => VeeCondition[];

/** The VEE's RPO as its JSON shows it. */
export interface RpoView {
  configuredMs: number;
  achievedMs: number;
  degraded: boolean;
  message?: string;
}

/** A checkpoint-protected VEE's protection status; `rpo` is absent for a VEE the scheduler does not watch. */
export interface VeeProtectionStatus {
  rpo?: RpoView;
  report?: RpoReport;
  conditions: VeeCondition[];
}

export interface CheckpointSchedulerOptions {
  /** How often the site's VEEs are looked through for ones to watch, changed and gone (the reconcile period suits). */
  discoverEveryMs: number;
  /** Timers; tests pass virtual ones. Default: real timers. */
  scheduler?: Scheduler;
  /** Degraded when the achieved RPO exceeds interval × tolerance; default 1.5. */
  tolerance?: number;
  /** How many checkpoint timings per VEE the RPO report looks back over (a sliding window); default 100. */
  window?: number;
}

type Deps = Pick<CheckpointDeps, 'services' | 'vees' | 'checkpoints' | 'clock' | 'log'>;

/**
 * Periodic checkpoints: every running active VEE whose tier has protection `checkpoint` or `live-standby` and a
 * `checkpointIntervalMs` gets a checkpoint (trigger `periodic`) every interval, counted from the start of the
 * previous one. Never two at once for a VEE: when one takes longer than the interval, the next starts as soon as
 * it ends. The achieved RPO of each watched VEE (`rpoReport` over its recent checkpoints, periodic or not) is kept
 * for its JSON, with conditions. A VEE leaves the watch when it is deleted or no longer eligible.
 */
export class CheckpointScheduler {
  private readonly watched = new Map<string, Watch>();
  private readonly sources: ConditionSource[] = [];
  private readonly scheduler: Scheduler;
  private stopDiscovery: () => void = () => undefined;
  private stopped = false;

  constructor(
    private readonly d: Deps,
    private readonly taker: CheckpointTaker,
    private readonly options: CheckpointSchedulerOptions,
  ) {
    this.scheduler = options.scheduler ?? timerScheduler;
  }

  start(): void {
    this.stopped = false;
    const tick = (): void => {
      void this.discover().catch((err: unknown) => this.d.log(`checkpoint scheduler: discovery failed: ${describeError(err)}`));
      if (!this.stopped) this.stopDiscovery = this.scheduler(tick, this.options.discoverEveryMs);
    };
    tick();
  }

  /** Cancels every timer and waits for the checkpoints under way. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.stopDiscovery();
    for (const w of this.watched.values()) w.cancel();
    await Promise.all([...this.watched.values()].map((w) => w.running));
  }

  /** One pass over the site's VEEs: watch the newly eligible, update intervals, drop the gone. */
  async discover(): Promise<void> {
    const targets = await watchTargets(this.d, await this.d.vees.listLive());
    for (const [veeId, w] of this.watched) {
      if (targets.has(veeId)) continue;
      w.cancel();
      this.watched.delete(veeId);
    }
    for (const target of targets.values()) {
      const w = this.watched.get(target.vee.id);
      if (w) w.intervalMs = target.intervalMs;
      else await this.watch(target);
    }
  }

  /** The VEEs watched now (tests, metrics). */
  watchedVees(): string[] {
    return [...this.watched.keys()];
  }

  /** Registers a source of extra conditions (see VeeCondition). */
  addConditionSource(source: ConditionSource): void {
    this.sources.push(source);
  }

  /** The VEE's achieved RPO and conditions, from its recent checkpoints (those in the store count too). */
  async status(veeId: string): Promise<VeeProtectionStatus> {
    const extra = this.sources.flatMap((s) => s(veeId));
    const w = this.watched.get(veeId);
    if (!w) return { conditions: extra };
    const timings = new Map(w.timings);
    for (const c of await this.d.checkpoints.listByVee(veeId)) {
      if (c.complete && c.completedAt && c.createdAt >= w.since) timings.set(c.id, { startedAt: c.createdAt, completedAt: c.completedAt });
    }
    const report = rpoReport({ intervalMs: w.intervalMs, checkpoints: [...timings.values()], since: w.since, now: this.d.clock.now(), tolerance: this.options.tolerance });
    const conditions: VeeCondition[] = [];
    if (report.degraded) conditions.push({ type: 'RpoDegraded', message: report.message ?? `achieved RPO ${report.achievedMs} ms` });
    if (w.lastError) conditions.push({ type: 'CheckpointFailing', message: w.lastError });
    const rpo: RpoView = { configuredMs: report.configuredMs, achievedMs: report.achievedMs, degraded: report.degraded, ...(report.message ? { message: report.message } : {}) };
    return { rpo, report, conditions: [...conditions, ...extra] };
  }

  private async watch(target: WatchTarget): Promise<void> {
    const w = await activeWatch(this.d, target);
    this.watched.set(target.vee.id, w);
    this.schedule(w, (w.lastStartedAt ?? Number.NEGATIVE_INFINITY) + w.intervalMs);
  }

  private schedule(w: Watch, dueAt: number): void {
    if (this.stopped || this.watched.get(w.veeId) !== w) return;
    w.cancel();
    w.cancel = this.scheduler(() => this.fire(w), Math.max(0, dueAt - this.d.clock.now().getTime()));
  }

  private fire(w: Watch): void {
    if (this.stopped || w.running !== undefined || this.watched.get(w.veeId) !== w) return;
    const startedAt = this.d.clock.now().getTime();
    w.lastStartedAt = startedAt;
    w.running = this.take(w).finally(() => {
      w.running = undefined;
      this.schedule(w, startedAt + w.intervalMs);
    });
  }

  private async take(w: Watch): Promise<void> {
    try {
      const c = await this.taker.takeVeeCheckpoint(w.veeId, 'periodic');
      w.timings.set(c.id, { startedAt: c.createdAt, completedAt: c.completedAt ?? this.d.clock.now() });
      w.trim(this.options.window ?? 100);
      w.lastError = undefined;
    } catch (err) {
      if (err instanceof DomainError && (err.code === 'conflict' || err.code === 'not-found')) {
        // Not a checkpoint failure: the VEE is not running (failover is on it) or went away.
        w.lastError = undefined;
        this.d.log(`VEE ${w.veeId}: periodic checkpoint skipped: ${err.message}`);
        return;
      }
      w.lastError = `periodic checkpoint failed: ${describeError(err)}`;
      this.d.log(`VEE ${w.veeId}: ${w.lastError}`);
    }
  }
}
