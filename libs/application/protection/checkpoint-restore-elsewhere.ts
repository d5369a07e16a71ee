import { type CheckpointRecord } from '@reservoir/domain/protection/checkpoints/checkpoint-record';
import { storedAsRecord } from '@reservoir/domain/ports/checkpoint-store.port';
import { DomainError } from '@reservoir/domain/shared/domain-error';
import { type ServiceRecord } from '@reservoir/domain/service/service-record';
import { type VeeRecord } from '@reservoir/domain/vee/vee-record';
import { PLACEMENT_KEY } from '../deploy/deploy-deps';
import { describeError, removeDomain } from '../deploy/domain-operations';
import { type CheckpointBundles } from './checkpoint-bundles';
import { type CheckpointDeps, connectionTo } from './checkpoint-deps';
import { type CheckpointRecoveryResult } from './checkpoint-recovery';
import { localStandbyOf } from './live-standby-records';
import { checkHostFits, stopIfAnswering } from './recovery-executor-moves';

/**
 * `restoreNewest(vee, {kind: 'elsewhere', avoidHostId})`: the VEE alone, from its newest complete checkpoint with
 * a copy on a host other than `avoidHostId` and its own (copies: checkpoint-copies.ts), under the site's placement
 * lock (after the service's, held by the caller), trying each copy newest first until one works:
 *   1. the target must fit the VEE as placement sees it (capacity, health, spreading; a live standby of the VEE on
 *      that host is left out, as the VEE replaces it), and the copy must pass its digest check there;
 *   2. fence: if the old host answers, hard-stop the old domain first, so the VEE never runs twice;
 *   3. release a live standby of the VEE on the target (its record goes; its domain is the VEE's and is restored
 *      over), define the domain there if missing, restore the copy running; on failure remove it there (undo);
 *   4. record the move (`moveHost`), then undefine the old domain if its host answered; otherwise the reconcile
 *      loop fences the stale copy once the host is back (the VEE lives elsewhere now).
 */
export class CheckpointRestoreElsewhere {
  constructor(
    private readonly d: CheckpointDeps,
    private readonly bundles: CheckpointBundles,
  ) {}

  async restore(vee: VeeRecord, avoidHostId: string): Promise<CheckpointRecoveryResult> {
    const service = await this.d.services.get(vee.serviceId);
    if (!service) throw DomainError.notFound('service', vee.serviceId);
    const reasons: string[] = [];
    for (const stored of await this.d.checkpoints.listByVee(vee.id)) {
      const record = storedAsRecord(stored);
      if (!stored.complete || !record) continue;
      const hosts = this.copyHosts(record, [avoidHostId, vee.hostId]);
      if (hosts.length === 0) reasons.push(`checkpoint ${stored.id} has no copy off host ${vee.hostName}`);
      for (const hostId of hosts) {
        try {
          return await this.d.locks.run(PLACEMENT_KEY, async () => this.restoreOn(vee, service, record, hostId));
        } catch (err) {
          reasons.push(`checkpoint ${stored.id} on host ${hostId}: ${describeError(err)}`);
          this.d.log(`VEE ${vee.domain}: not restored elsewhere from checkpoint ${stored.id} on host ${hostId}: ${describeError(err)}`);
        }
      }
    }
    const why = reasons.length > 0 ? reasons.join('; ') : 'it has no complete checkpoint';
    throw new DomainError('unavailable', `VEE ${vee.domain}: no copy of a checkpoint on another host could be restored: ${why}`);
  }

  /** This site's hosts holding a copy of the bundle, but not the avoided ones. */
  private copyHosts(record: CheckpointRecord, avoid: readonly string[]): string[] {
    const ids = record.locations.flatMap((l) => (l.kind === 'local' && l.siteId === this.d.settings.siteId && l.hostId !== undefined ? [l.hostId] : []));
    return [...new Set(ids)].filter((id) => !avoid.includes(id));
  }

  private async restoreOn(vee: VeeRecord, service: ServiceRecord, record: CheckpointRecord, hostId: string): Promise<CheckpointRecoveryResult> {
    const standby = await localStandbyOf(this.d.vees, vee);
    const replaced = standby?.hostId === hostId ? standby : undefined;
    const target = await checkHostFits(this.d, vee, service, hostId, new Set([vee.id, ...(replaced ? [replaced.id] : [])]));
    const bundle = await this.bundles.verify(record, hostId);
    if (!bundle.ok) throw new Error(bundle.reason);
    const old = await this.d.hosts.get(vee.hostId);
    const oldConn = old ? await stopIfAnswering(this.d, old, vee.domain) : undefined;
    const conn = await connectionTo(this.d, hostId);
    if (replaced) await this.d.veePhases.move(replaced, { type: 'removed', reason: `VEE ${vee.id} restored over its live standby` }, 'reconcile');
    try {
      await this.bundles.restore({ ...vee, hostId: target.id, hostName: target.name }, bundle, false);
    } catch (err) {
      await removeDomain(conn, vee.domain).catch((undo: unknown) => this.d.log(`VEE ${vee.domain}: cannot undo on host ${target.name}: ${describeError(undo)}`));
      throw err;
    }
    await this.d.vees.moveHost(vee.id, { hostId: target.id, hostName: target.name, spec: vee.spec }, this.d.clock.now());
    this.d.log(`VEE ${vee.domain}: restored from the copy of checkpoint ${record.id} on host ${target.name} (moved off host ${vee.hostName})`);
    if (oldConn) {
      await removeDomain(oldConn, vee.domain).catch((err: unknown) => this.d.log(`VEE ${vee.domain} left on host ${vee.hostName} (${describeError(err)}); the reconcile loop fences it`));
    } else {
      this.d.log(`VEE ${vee.domain}: host ${vee.hostName} does not answer; its stale copy is destroyed once it is back (fencing)`);
    }
    return { hostId: target.id, checkpointId: record.id };
  }
}
