import { type CheckpointTrigger, isCheckpointTrigger } from '@reservoir/domain/protection/checkpoints/checkpoint-record';
import { type StoredCheckpoint } from '@reservoir/domain/ports/checkpoint-store.port';
import { DomainError } from '@reservoir/domain/shared/domain-error';
import { type ServiceRecord } from '@reservoir/domain/service/service-record';
import { type VeeRecord } from '@reservoir/domain/vee/vee-record';
import { serviceKey } from '../deploy/deploy-deps';
import { type CheckpointDeps } from './checkpoint-deps';
import { CheckpointBundles } from './checkpoint-bundles';
import { GroupCutRunner, type GroupCutResult } from './checkpoint-group-cut';
import { type CheckpointRecovery, type CheckpointRecoveryResult } from './checkpoint-recovery';
import { CheckpointRestorer, type RecoveryWhere } from './checkpoint-restorer';
import { CheckpointRetention } from './checkpoint-retention';
import { GroupRollback, type RollbackResult } from './checkpoint-rollback';
import { CheckpointWriter } from './checkpoint-writer';
import { requireService, requireVee } from '../lookups/require-records';

/** Told of each checkpoint once it is complete (a VEE-only one, or each part of a complete cut); must not throw. */
export type CompletedListener = (checkpoint: StoredCheckpoint) => void;


/** Service phases in which its VEEs may be checkpointed or rolled back (a deploy, delete or evacuation is in charge otherwise). */
const SERVING = new Set<ServiceRecord['phase']>(['running', 'degraded']);

/**
 * Checkpoints of VEEs and consistent group cuts of services (libs/domain/protection/checkpoints/README.md), for the
 * API, the checkpoint scheduler and the failover supervisor (as its `CheckpointRecovery`). Every public method but
 * `restoreNewest` and `takeVeeCheckpointLocked` takes the service's lock itself; those two are for callers that
 * already hold it. Unknown ids are `not-found`; a VEE or service not running is a `conflict`.
 */
export class CheckpointService implements CheckpointRecovery {
  private readonly writer: CheckpointWriter;
  private readonly retention: CheckpointRetention;
  private readonly cuts: GroupCutRunner;
  private readonly rollback: GroupRollback;
  private readonly restorer: CheckpointRestorer;
  private readonly completed: CompletedListener[] = [];

  constructor(private readonly d: CheckpointDeps) {
    const bundles = new CheckpointBundles(d);
    this.writer = new CheckpointWriter(d);
    this.retention = new CheckpointRetention(d);
    this.cuts = new GroupCutRunner(d, this.retention);
    this.rollback = new GroupRollback(d, bundles);
    this.restorer = new CheckpointRestorer(d, bundles, this.rollback);
  }

  /** Removes every checkpoint of a VEE whose service is being deleted (its bundles on every host, then the records). */
  async forgetVee(vee: Pick<VeeRecord, 'id' | 'domain'>): Promise<void> {
    const { kept } = await this.retention.removeAll(vee.id);
    if (kept.length > 0) this.d.log(`VEE ${vee.domain}: ${kept.length} checkpoint(s) kept: a host did not delete their bundles`);
  }

  /** Registers a listener told of every checkpoint that completes (copies to a second host, shipping to replica sites). */
  onCompleted(listener: CompletedListener): void {
    this.completed.push(listener);
  }

  /** A VEE-only checkpoint of a running VEE, then retention for the VEE. */
  async takeVeeCheckpoint(veeId: string, trigger: CheckpointTrigger): Promise<StoredCheckpoint> {
    checkTrigger(trigger);
    const seen = await this.requireVee(veeId);
    return this.d.locks.run(serviceKey(seen.serviceId), async () => this.takeVeeCheckpointLocked(await this.requireVee(veeId), trigger));
  }

  /** `takeVeeCheckpoint` for a caller holding the VEE's service lock (e.g. a migration checkpointing first). */
  async takeVeeCheckpointLocked(vee: VeeRecord, trigger: CheckpointTrigger): Promise<StoredCheckpoint> {
    checkTrigger(trigger);
    await this.requireServing(vee.serviceId);
    return this.writeLocked(vee, trigger);
  }

  /**
   * The `before-update` checkpoint of a VEE about to be re-created by a tier update (UpdateTier's
   * `BeforeUpdateCheckpoint`): like `takeVeeCheckpointLocked`, but the service is `deploying` while the update
   * rolls, under the lock the update holds.
   */
  takeBeforeUpdateLocked(vee: VeeRecord): Promise<StoredCheckpoint> {
    return this.writeLocked(vee, 'before-update');
  }

  private async writeLocked(vee: VeeRecord, trigger: CheckpointTrigger): Promise<StoredCheckpoint> {
    const checkpoint = await this.writer.write(vee, trigger);
    await this.retention.apply(vee.id);
    this.tellCompleted([checkpoint]);
    return checkpoint;
  }

  /** A consistent cut of every active VEE of a running service. */
  async takeGroupCut(serviceId: string, trigger: CheckpointTrigger): Promise<GroupCutResult> {
    checkTrigger(trigger);
    await this.requireService(serviceId);
    return this.d.locks.run(serviceKey(serviceId), async () => {
      const cut = await this.cuts.run(await this.requireService(serviceId), trigger);
      if (cut.complete) {
        const parts = await Promise.all(cut.members.map(async (m) => (m.checkpointId === undefined ? undefined : this.d.checkpoints.get(m.checkpointId))));
        this.tellCompleted(parts.filter((p): p is StoredCheckpoint => p?.complete === true));
      }
      return cut;
    });
  }

  /** CheckpointRecovery: see CheckpointRestorer. The caller holds the service's lock and owns the VEE's phase. */
  restoreNewest(vee: VeeRecord, where: RecoveryWhere): Promise<CheckpointRecoveryResult> {
    return this.restorer.restoreNewest(vee, where);
  }

  /**
   * Rolls `failedVeeId`'s tier and every tier depending on it back to the newest usable common cut, recording every
   * rolled-back VEE's phases (the failed one's too). `conflict` when no cut can be used, saying why of each.
   */
  async rollbackGroup(serviceId: string, failedVeeId: string): Promise<RollbackResult> {
    await this.requireService(serviceId);
    return this.d.locks.run(serviceKey(serviceId), async () => {
      const service = await this.requireServing(serviceId);
      const failed = await this.requireVee(failedVeeId);
      if (failed.serviceId !== serviceId) {
        throw new DomainError('invalid-input', `VEE ${failedVeeId} is not a VEE of service ${serviceId}`, [{ path: '/failedVee', message: `VEE ${failedVeeId} belongs to another service` }]);
      }
      if (failed.role !== 'active') throw new DomainError('conflict', `VEE ${failed.domain} is a ${failed.role} copy: only active VEEs belong to the service's cuts`);
      const plan = await this.rollback.plan(service, failed.id);
      if (!plan.found) {
        const why = plan.skipped.map((s) => `cut ${s.epoch}: ${s.reason}`).join('; ') || 'the service has no complete cut';
        throw new DomainError('conflict', `no cut of service ${serviceId} can be used to roll back ${plan.rollBack.map((m) => m.veeId).join(', ') || failed.domain}: ${why}`);
      }
      return this.rollback.apply(plan, { ownsFailedPhase: true, by: 'api' });
    });
  }

  /** The VEE's checkpoints (VEE-only and parts of cuts, complete or in progress), newest first. */
  async listVeeCheckpoints(veeId: string): Promise<StoredCheckpoint[]> {
    const vee = await this.requireVee(veeId);
    return this.d.checkpoints.listByVee(vee.id);
  }

  /** The VEE, unless unknown or deleted (`not-found`). */
  requireVee(veeId: string): Promise<VeeRecord> {
    return requireVee(this.d.vees, veeId);
  }

  private tellCompleted(checkpoints: readonly StoredCheckpoint[]): void {
    for (const c of checkpoints) {
      for (const listener of this.completed) {
        try {
          listener(c);
        } catch (err) {
          this.d.log(`checkpoint ${c.id}: a completion listener failed: ${err instanceof Error ? err.message : String(err)}`);
        }
      }
    }
  }

  private requireService(serviceId: string): Promise<ServiceRecord> {
    return requireService(this.d.services, serviceId);
  }

  private async requireServing(serviceId: string): Promise<ServiceRecord> {
    const service = await this.requireService(serviceId);
    if (!SERVING.has(service.phase)) throw new DomainError('conflict', `service ${serviceId} is ${service.phase}: its VEEs are not in service`);
    return service;
  }
}

function checkTrigger(trigger: string): void {
  if (!isCheckpointTrigger(trigger)) {
    throw new DomainError('invalid-input', `unknown checkpoint trigger ${JSON.stringify(trigger)}`, [{ path: '/trigger', message: 'periodic, api, before-migration, before-update or monitoring-rule:<name>' }]);
  }
}
