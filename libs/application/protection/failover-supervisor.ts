import { SUPERVISED_PHASES, type VeeCheck } from '@reservoir/domain/deploy';
import { type ProtectionLevel } from '@reservoir/domain/manifest/service-definition';
import {
  type DeclareLost, type FailoverInput, type FailoverSettings, type FailoverState, type RecoveryAction, stepFailover, watchVee,
} from '@reservoir/domain/protection/failover';
import { type ServicePhase } from '@reservoir/domain/service/service-phase';
import { type ServiceRecord } from '@reservoir/domain/service/service-record';
import { type VeeRecord } from '@reservoir/domain/vee/vee-record';
import { type DeployDeps, serviceKey } from '../deploy/deploy-deps';
import { describeError } from '../deploy/domain-operations';
import { type Scheduler, timerScheduler } from '../reconcile/work-queue';
import { FailoverRecording } from './failover-recording';
import { type RecoveryExecutor } from './recovery-executor';

/** One health check of a VEE from a reconcile pass, with what the supervisor needs to watch it. */
export interface VeeHealth extends VeeCheck {
  serviceId: string;
  /** The VEE's tier protection level (`tiers[].qos.protection`). */
  protection: ProtectionLevel;
}

/** Where the reconcile loop sends its checks (the supervisor; a narrow port so the loop needs nothing else). */
export interface VeeHealthSink {
  report(checks: readonly VeeHealth[]): void;
}

/** What the broker knows of one watched VEE's failover, for the API. */
export interface FailoverStatus {
  state: FailoverState;
  /** When the last recovery action was issued. */
  lastActionAt?: Date;
}

export interface FailoverSupervisorOptions {
  settings: FailoverSettings;
  /** How often the machines get a clock tick (times out actions, issues those whose back-off is over); default 250 ms. */
  tickMs?: number;
  /** How often watched VEEs that are gone or no longer managed are forgotten; default 30 s. */
  pruneMs?: number;
  scheduler?: Scheduler;
}

type Deps = Pick<DeployDeps, 'services' | 'hosts' | 'vees' | 'connections' | 'servicePhases' | 'veePhases' | 'locks' | 'clock' | 'log'>;
const MANAGED: readonly ServicePhase[] = ['running', 'degraded'];

interface Watched {
  state: FailoverState;
  serviceId: string;
  lastActionAt?: Date;
  /** The last failed check's detail: the reason recorded when the VEE is first marked failed. */
  lastFailure: string;
}

/**
 * Keeps one failover machine (`libs/domain/protection/failover`) per active VEE of a managed service (running or
 * degraded), fed by the reconcile passes' checks and a clock tick, and carries out what the machines decide: each
 * recovery action asynchronously, under the service's lock, through the RecoveryExecutor, answered with its result;
 * `declare-lost` as the VEE lost. Records VEE and service phases (FailoverRecording) and logs every transition.
 *
 * In memory: after a broker restart every VEE is watched afresh (`watchVee`, healthy) from its next check, so a
 * chain under way starts over from the first step, and a VEE already `lost` stays lost (it gets no checks).
 */
export class FailoverSupervisor implements VeeHealthSink {
  private readonly watched = new Map<string, Watched>();
  private readonly pending = new Set<Promise<void>>();
  private readonly recording: FailoverRecording;
  private stopTimer: () => void = () => undefined;
  private stopped = false;

  constructor(
    private readonly d: Deps,
    private readonly executor: Pick<RecoveryExecutor, 'execute'>,
    private readonly options: FailoverSupervisorOptions,
  ) {
    this.recording = new FailoverRecording(d);
  }

  /** Ticks the machines every `tickMs` and prunes every `pruneMs`. */
  start(): void {
    const scheduler = this.options.scheduler ?? timerScheduler;
    const pruneMs = this.options.pruneMs ?? 30_000;
    let lastPrune = this.d.clock.now().getTime();
    const loop = (): void => {
      if (this.stopped) return;
      this.tick();
      if (this.d.clock.now().getTime() - lastPrune >= pruneMs) {
        lastPrune = this.d.clock.now().getTime();
        this.track(this.prune());
      }
      this.stopTimer = scheduler(loop, this.options.tickMs ?? 250);
    };
    this.stopTimer = scheduler(loop, this.options.tickMs ?? 250);
  }

  /** Stops ticking and taking checks; waits for the actions under way. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.stopTimer();
    await this.idle();
  }

  report(checks: readonly VeeHealth[]): void {
    if (this.stopped) return;
    for (const c of checks) {
      let w = this.watched.get(c.veeId);
      const fresh = w === undefined || (w.state.phase === 'healthy' && w.state.outstanding === null && (w.state.hostId !== c.hostId || w.state.protection !== c.protection));
      if (fresh) {
        // A new VEE, or one moved (or re-protected) by someone else while healthy: watch it afresh.
        w = { state: watchVee(c.veeId, c.hostId, c.protection, this.d.clock.now()), serviceId: c.serviceId, lastFailure: '' };
        this.watched.set(c.veeId, w);
      }
      if (w === undefined || c.hostId !== w.state.hostId) continue; // taken on a host the VEE left, or not reached yet
      if (!c.ok) w.lastFailure = c.detail;
      this.apply(w, { type: 'check', at: this.d.clock.now(), ok: c.ok, hostUp: c.hostUp, detail: c.detail });
    }
  }

  /** One clock tick for every machine that is recovering (the only phase in which time alone matters). */
  tick(): void {
    for (const w of this.watched.values()) if (w.state.phase === 'recovering') this.apply(w, { type: 'tick', at: this.d.clock.now() });
  }

  status(veeId: string): FailoverStatus | undefined {
    const w = this.watched.get(veeId);
    if (!w) return undefined;
    return w.lastActionAt ? { state: w.state, lastActionAt: w.lastActionAt } : { state: w.state };
  }

  /** Resolves once no action (or recording) is under way; tests use it. */
  async idle(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }

  /** Forgets VEEs that are gone, deleted, or whose service a use case took over (deploying, deleting, …). */
  async prune(): Promise<void> {
    for (const [id, w] of [...this.watched]) {
      const vee = await this.d.vees.get(id);
      const service = vee ? await this.d.services.get(vee.serviceId) : undefined;
      if (!vee || vee.phase === 'deleted' || !service || !MANAGED.includes(service.phase)) this.forget(id, w);
    }
  }

  private apply(w: Watched, input: FailoverInput): void {
    const step = stepFailover(w.state, input, this.options.settings);
    w.state = step.state;
    for (const t of step.transitions) {
      this.d.log(`failover: ${JSON.stringify({ veeId: t.veeId, from: t.from, to: t.to, at: t.at.toISOString(), reason: t.reason })}`);
    }
    for (const action of step.actions) {
      if (action.type !== 'declare-lost') w.lastActionAt = this.d.clock.now();
      const work = action.type === 'declare-lost' ? () => this.declareLost(w, action) : () => this.recover(w, action);
      this.track(this.d.locks.run(serviceKey(w.serviceId), work));
    }
  }

  /** Under the service's lock: record the VEE recovering, carry the action out, record and answer the outcome. */
  private async recover(w: Watched, action: RecoveryAction): Promise<void> {
    if (this.watched.get(action.veeId) !== w || w.state.outstanding?.seq !== action.seq) return; // timed out while waiting for the lock
    const current = await this.managed(action.veeId, w);
    if (!current) return;
    if (w.state.goodChecks > 0 || (await this.runsNow(current.vee))) {
      // Back since the action was issued (a check passed, or another holder of the lock, e.g. a checkpoint
      // rollback, brought it back): nothing to do; probation will tell.
      this.apply(w, { type: 'action-result', at: this.d.clock.now(), seq: action.seq, ok: true, hostId: current.vee.hostId });
      return;
    }
    const vee = await this.recording.recovering(current.vee, w.lastFailure || action.reason, `${action.type}: ${action.reason}`);
    if (vee?.phase !== 'recovering') {
      this.forget(action.veeId, w);
      return;
    }
    let answer: FailoverInput;
    try {
      const outcome = await this.executor.execute(action, vee, current.service);
      const moved = outcome.hostId !== vee.hostId ? ` (now on host ${outcome.hostId})` : '';
      await this.recording.running(vee.id, `${action.step} attempt ${action.attempt} succeeded${moved}`);
      answer = { type: 'action-result', at: this.d.clock.now(), seq: action.seq, ok: true, hostId: outcome.hostId };
    } catch (err) {
      const error = describeError(err);
      await this.recording.recoveryFailed(vee.id, `${action.step} attempt ${action.attempt} failed: ${error}`);
      answer = { type: 'action-result', at: this.d.clock.now(), seq: action.seq, ok: false, error };
    }
    if (this.watched.get(action.veeId) === w) this.apply(w, answer);
  }

  private async declareLost(w: Watched, action: DeclareLost): Promise<void> {
    const current = await this.managed(action.veeId, w);
    if (current) await this.recording.lost(current.vee, w.lastFailure || action.reason, action.reason);
  }

  /** The VEE and its service re-read under the lock, or `undefined` (and forgotten) when failover is no longer in charge. */
  private async managed(veeId: string, w: Watched): Promise<{ vee: VeeRecord; service: ServiceRecord } | undefined> {
    const vee = await this.d.vees.get(veeId);
    const service = vee ? await this.d.services.get(vee.serviceId) : undefined;
    if (!vee || !service || !MANAGED.includes(service.phase) || vee.role !== 'active' || !SUPERVISED_PHASES.includes(vee.phase)) {
      this.forget(veeId, w);
      return undefined;
    }
    return { vee, service };
  }

  /** Whether the VEE's domain runs now on its host (false when the host does not answer or does not know it). */
  private async runsNow(vee: VeeRecord): Promise<boolean> {
    const host = await this.d.hosts.get(vee.hostId);
    if (!host) return false;
    try {
      const { state } = await (await this.d.connections.get(host)).info(vee.domain);
      return state === 'running' || state === 'blocked';
    } catch {
      return false;
    }
  }

  private forget(veeId: string, w: Watched): void {
    if (this.watched.get(veeId) === w) this.watched.delete(veeId);
  }

  private track(work: Promise<void>): void {
    const p = work.catch((err: unknown) => this.d.log(`failover: ${describeError(err)}`)).finally(() => this.pending.delete(p));
    this.pending.add(p);
  }
}
