import { performance } from 'node:perf_hooks';
import { storedAsRecord } from '@reservoir/domain/ports/checkpoint-store.port';
import { type VeeRecord } from '@reservoir/domain/vee/vee-record';
import { PLACEMENT_KEY, serviceKey } from '../deploy/deploy-deps';
import { describeError, removeDomain } from '../deploy/domain-operations';
import { type CheckpointBundles, type VerifiedBundle } from './checkpoint-bundles';
import { type CheckpointCopy } from './checkpoint-copies';
import { type CheckpointDeps, connectionTo } from './checkpoint-deps';
import { type VeeCondition } from './checkpoint-scheduler';
import { localStandbyOf } from './live-standby-records';
import { checkHostFits, stopIfAnswering } from './recovery-executor-moves';
import { LogOnChange } from '../logging/log-on-change';

/** The `standby` part of a live-standby VEE's JSON. */
export interface StandbyView {
  /** Where the paused standby is; absent when the VEE has none right now (e.g. just after a switch-over). */
  hostId?: string;
  hostName?: string;
  /** When it was last restored from a checkpoint copy, and from which (unknown after a broker restart). */
  refreshedAt?: string;
  checkpointId?: string;
  /** How long its last refresh (a paused restore) took. */
  lastRefreshMs?: number;
  /** How long the VEE's last switch-over to a standby took (from the decision to the VEE recorded on the new host). */
  lastSwitchOverMs?: number;
}

export interface LiveStandbyOptions {
  /** Refresh a standby at most this often; a copy landing sooner is skipped (0: after every copy). */
  minRefreshMs?: number;
  /** Monotonic milliseconds for measuring refreshes and switch-overs; default `performance.now`. */
  now?: () => number;
}

interface Refresh {
  hostId: string;
  refreshedAt: Date;
  checkpointId: string;
  ms: number;
}

/**
 * Live standbys of `live-standby` VEEs at their own site: a paused domain of the VEE (same name, UUID and spec) on
 * another host, restored from the newest verified copy of its checkpoint there, ready to be resumed in its place.
 * Stored as a `standby` VEE record on that host (live-standby-records.ts: placement counts its memory, the
 * reconcile loop does not fence it). Driven by copies (`onCopy`, a CheckpointCopies listener), under the VEE's
 * service lock: the first copy on a host creates the standby there (if the host fits it), later ones refresh it
 * (`checkpointRestore` paused, measured), a copy on another host moves it. `switchOver` (the failover ladder's
 * switch-to-standby, caller holding the service lock) resumes it as the VEE: the old domain is hard-stopped when
 * its host answers (fenced by the reconcile loop once back otherwise), the standby record goes and the VEE moves.
 */
export class LiveStandbys {
  private readonly refreshes = new Map<string, Refresh>();
  private readonly switchOvers = new Map<string, number>();
  private readonly problems = new Map<string, VeeCondition>();
  /** Refreshes are logged when the standby's host changes, not on every checkpoint. */
  private readonly outcomes = new LogOnChange((line) => this.d.log(line));
  private readonly now: () => number;

  constructor(
    private readonly d: CheckpointDeps,
    private readonly bundles: CheckpointBundles,
    private readonly options: LiveStandbyOptions = {},
  ) {
    this.now = options.now ?? (() => performance.now());
  }

  /** The host of the VEE's standby: where its checkpoint copies should go (CheckpointCopies.preferHostOf). */
  async hostOf(veeId: string): Promise<string | undefined> {
    const vee = await this.d.vees.get(veeId);
    return vee ? (await localStandbyOf(this.d.vees, vee))?.hostId : undefined;
  }

  /** A copy landed: create, refresh or move the VEE's standby, or drop it when the tier is not live-standby any more. */
  async onCopy(copy: CheckpointCopy): Promise<void> {
    const seen = await this.d.vees.get(copy.veeId);
    if (!seen) return;
    await this.d.locks.run(serviceKey(seen.serviceId), async () => {
      const vee = await this.d.vees.get(copy.veeId);
      if (!vee || vee.role !== 'active' || vee.phase !== 'running') return;
      const standby = await localStandbyOf(this.d.vees, vee);
      if (!(await this.isLiveStandby(vee))) {
        if (standby) await this.drop(vee, standby, 'its tier is no longer live-standby');
        this.problems.delete(vee.id);
        return;
      }
      const last = this.refreshes.get(vee.id);
      const due = !last || this.d.clock.now().getTime() - last.refreshedAt.getTime() >= (this.options.minRefreshMs ?? 0);
      if (standby?.hostId === copy.hostId && !due) return;
      try {
        await this.bring(vee, standby?.hostId === copy.hostId ? standby : undefined, copy);
        if (standby && standby.hostId !== copy.hostId) await this.drop(vee, standby, `moved to host ${copy.hostId}`);
        this.problems.delete(vee.id);
      } catch (err) {
        const message = `live standby of VEE ${vee.domain} on host ${copy.hostId} not ready: ${describeError(err)}`;
        this.problems.set(vee.id, { type: 'StandbyFailing', message });
        this.d.log(message);
      }
    });
  }

  /** The VEE's standby conditions (a ConditionSource of the checkpoint scheduler). */
  conditions(veeId: string): VeeCondition[] {
    const c = this.problems.get(veeId);
    return c ? [c] : [];
  }

  /** The VEE's `standby` JSON, or undefined when it has no standby and never switched over. */
  async status(veeId: string): Promise<StandbyView | undefined> {
    const vee = await this.d.vees.get(veeId);
    const standby = vee ? await localStandbyOf(this.d.vees, vee) : undefined;
    const switched = this.switchOvers.get(veeId);
    if (!standby && switched === undefined) return undefined;
    const r = this.refreshes.get(veeId);
    const fresh = r && standby && r.hostId === standby.hostId ? r : undefined;
    return {
      ...(standby ? { hostId: standby.hostId, hostName: standby.hostName } : {}),
      ...(fresh ? { refreshedAt: fresh.refreshedAt.toISOString(), checkpointId: fresh.checkpointId, lastRefreshMs: fresh.ms } : {}),
      ...(switched === undefined ? {} : { lastSwitchOverMs: switched }),
    };
  }

  /** switch-to-standby, the caller holding the VEE's service lock: resolves with the VEE's new host. */
  async switchOver(vee: VeeRecord): Promise<{ hostId: string }> {
    const started = this.now();
    const standby = await localStandbyOf(this.d.vees, vee);
    if (!standby) throw new Error(`VEE ${vee.domain} has no live standby at this site`);
    const conn = await connectionTo(this.d, standby.hostId);
    const { state } = await conn.info(vee.domain);
    if (state !== 'paused') throw new Error(`the standby of ${vee.domain} on host ${standby.hostName} is ${state}, not paused`);
    const old = await this.d.hosts.get(vee.hostId);
    const oldConn = old ? await stopIfAnswering(this.d, old, vee.domain) : undefined;
    await conn.resume(vee.domain);
    await this.d.veePhases.move(standby, { type: 'removed', reason: `took over as VEE ${vee.id}` }, 'reconcile');
    await this.d.vees.moveHost(vee.id, { hostId: standby.hostId, hostName: standby.hostName, spec: vee.spec }, this.d.clock.now());
    const ms = Math.round(this.now() - started);
    const from = this.refreshes.get(vee.id)?.checkpointId ?? 'unknown';
    this.switchOvers.set(vee.id, ms);
    this.refreshes.delete(vee.id);
    this.d.log(`VEE ${vee.domain}: switched over to its live standby on host ${standby.hostName} in ${ms} ms (state of checkpoint ${from})`);
    if (oldConn) {
      await removeDomain(oldConn, vee.domain).catch((err: unknown) => this.d.log(`VEE ${vee.domain} left on host ${vee.hostName} (${describeError(err)}); the reconcile loop fences it`));
    } else {
      this.d.log(`VEE ${vee.domain}: host ${vee.hostName} does not answer; its stale copy is destroyed once it is back (fencing)`);
    }
    return { hostId: standby.hostId };
  }

  /** Restores the copy paused into the standby on the copy's host, creating the standby there first when needed. */
  private async bring(vee: VeeRecord, existing: VeeRecord | undefined, copy: CheckpointCopy): Promise<void> {
    const stored = await this.d.checkpoints.get(copy.checkpointId);
    const record = stored && storedAsRecord(stored);
    if (!record) return; // pruned meanwhile: the next copy refreshes
    const bundle = await this.bundles.verify(record, copy.hostId);
    if (!bundle.ok) throw new Error(bundle.reason);
    const standby = existing ?? (await this.create(vee, copy.hostId));
    const started = this.now();
    try {
      await this.bundles.restore({ ...vee, hostId: standby.hostId, hostName: standby.hostName }, bundle, true);
    } catch (err) {
      if (!existing) await this.drop(vee, standby, 'its first restore failed');
      throw err;
    }
    await this.ready(standby);
    this.record(vee, standby, bundle, Math.round(this.now() - started));
  }

  /** Books the standby on the host (a `standby` record, under the placement lock) once placement says it fits. */
  private async create(vee: VeeRecord, hostId: string): Promise<VeeRecord> {
    const service = await this.d.services.get(vee.serviceId);
    if (!service) throw new Error(`service ${vee.serviceId} is gone`);
    return this.d.locks.run(PLACEMENT_KEY, async () => {
      const host = await checkHostFits(this.d, vee, service, hostId, new Set());
      const { phase: _p, createdAt: _c, updatedAt: _u, ...fields } = vee;
      return this.d.veePhases.create({ ...fields, id: this.d.ids.next(), role: 'standby', hostId: host.id, hostName: host.name }, 'reconcile');
    });
  }

  /** defined → starting → standby, once its domain is paused at the checkpoint (no-op for one in `standby`). */
  private async ready(standby: VeeRecord): Promise<void> {
    if (standby.phase !== 'defined') return;
    const starting = await this.d.veePhases.move(standby, { type: 'start-requested' }, 'reconcile');
    if (starting) await this.d.veePhases.move(starting, { type: 'standby-ready', reason: 'live standby restored paused from a checkpoint copy' }, 'reconcile');
  }

  private record(vee: VeeRecord, standby: VeeRecord, bundle: VerifiedBundle, ms: number): void {
    const first = this.refreshes.get(vee.id)?.hostId !== standby.hostId;
    this.refreshes.set(vee.id, { hostId: standby.hostId, refreshedAt: this.d.clock.now(), checkpointId: bundle.checkpointId, ms });
    const what = first ? 'ready' : 'refreshed';
    this.outcomes.report(vee.id, `on ${standby.hostId}`, `VEE ${vee.domain}: live standby ${what} on host ${standby.hostName} from checkpoint ${bundle.checkpointId} in ${ms} ms`);
  }

  /** Removes a standby: its domain when its host answers (else the reconcile loop fences it when back), then its record. */
  private async drop(vee: VeeRecord, standby: VeeRecord, why: string): Promise<void> {
    try {
      await removeDomain(await connectionTo(this.d, standby.hostId), vee.domain);
    } catch (err) {
      this.d.log(`VEE ${vee.domain}: standby on host ${standby.hostName} not removed (${describeError(err)}); fenced once the host is back`);
    }
    await this.d.veePhases.move(standby, { type: 'removed', reason: `live standby dropped: ${why}` }, 'reconcile');
    if (this.refreshes.get(vee.id)?.hostId === standby.hostId) this.refreshes.delete(vee.id);
  }

  private async isLiveStandby(vee: VeeRecord): Promise<boolean> {
    const service = await this.d.services.get(vee.serviceId);
    return service?.definition.tiers.find((t) => t.name === vee.tier)?.qos.protection === 'live-standby';
  }
}
