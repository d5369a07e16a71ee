import { storedAsRecord } from '@reservoir/domain/ports/checkpoint-store.port';
import { isHypervisorError } from '@reservoir/domain/ports/hypervisor.port';
import { DomainError } from '@reservoir/domain/shared/domain-error';
import { type VeeRecord } from '@reservoir/domain/vee/vee-record';
import { describeError } from '../deploy/domain-operations';
import { asDomainError, type CheckpointDeps } from './checkpoint-deps';
import { type CheckpointBundles } from './checkpoint-bundles';
import { type CheckpointRecoveryResult } from './checkpoint-recovery';
import { CheckpointRestoreElsewhere } from './checkpoint-restore-elsewhere';
import { type GroupRollback } from './checkpoint-rollback';

export type RecoveryWhere = { kind: 'in-place' } | { kind: 'elsewhere'; avoidHostId: string };

/**
 * `CheckpointRecovery.restoreNewest`, with the caller (the failover supervisor) holding the service's lock and
 * owning the failed VEE's phase:
 * 1. when the VEE's group has a complete cut usable for every member to roll back (`GroupRollback.plan`), the
 *    failed member's tier and its dependents go back to it together, the others keep running;
 * 2. otherwise the VEE alone goes back to its newest complete checkpoint that passes its digest check (VEE-only,
 *    or its part of a cut), trying older ones in turn and logging why each newer one was passed over.
 * `elsewhere` restores the VEE alone from a verified copy on another host and moves it there
 * (`CheckpointRestoreElsewhere`).
 */
export class CheckpointRestorer {
  private readonly elsewhere: CheckpointRestoreElsewhere;

  constructor(
    private readonly d: CheckpointDeps,
    private readonly bundles: CheckpointBundles,
    private readonly rollback: GroupRollback,
  ) {
    this.elsewhere = new CheckpointRestoreElsewhere(d, bundles);
  }

  async restoreNewest(vee: VeeRecord, where: RecoveryWhere): Promise<CheckpointRecoveryResult> {
    if (where.kind === 'elsewhere') return this.elsewhere.restore(vee, where.avoidHostId);
    const service = await this.d.services.get(vee.serviceId);
    if (service) {
      const plan = await this.rollback.plan(service, vee.id);
      if (plan.found) {
        const done = await this.rollback.apply(plan, { ownsFailedPhase: false, by: 'reconcile' });
        const mine = done.rolledBack.find((r) => r.veeId === vee.id);
        if (mine) return { hostId: vee.hostId, checkpointId: mine.checkpointId };
      } else if (plan.skipped.length > 0) {
        const why = plan.skipped.map((s) => `cut ${s.epoch}: ${s.reason}`).join('; ');
        this.d.log(`VEE ${vee.domain}: no usable group cut (${why}); restoring the VEE alone from its own newest checkpoint`);
      }
    }
    return this.restoreOwn(vee);
  }

  /** The VEE's newest complete checkpoint that passes its digest check, restored running. */
  private async restoreOwn(vee: VeeRecord): Promise<CheckpointRecoveryResult> {
    const reasons: string[] = [];
    for (const stored of await this.d.checkpoints.listByVee(vee.id)) {
      const record = storedAsRecord(stored);
      if (!stored.complete || !record) continue;
      const check = await this.bundles.verify(record, vee.hostId);
      if (!check.ok) {
        reasons.push(check.reason);
        this.d.log(`VEE ${vee.domain}: skipping checkpoint ${stored.id}: ${check.reason}`);
        continue;
      }
      try {
        await this.bundles.restore(vee, check, false);
      } catch (err) {
        if (!isHypervisorError(err, 'invalid-argument')) throw asDomainError(`restore of VEE ${vee.domain} from checkpoint ${stored.id} failed`, err);
        reasons.push(`checkpoint ${stored.id} changed before it could be restored: ${describeError(err)}`);
        this.d.log(`VEE ${vee.domain}: skipping checkpoint ${stored.id}: ${describeError(err)}`);
        continue;
      }
      this.d.log(`VEE ${vee.domain}: restored from checkpoint ${stored.id} (captured ${stored.createdAt.toISOString()}) on host ${vee.hostName}`);
      return { hostId: vee.hostId, checkpointId: stored.id };
    }
    const why = reasons.length > 0 ? `: ${reasons.join('; ')}` : ': it has no complete checkpoint';
    throw new DomainError('not-found', `VEE ${vee.domain} has no restorable checkpoint${why}`);
  }
}
