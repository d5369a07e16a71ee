import { type CheckpointRecord, type GroupMember } from '@reservoir/domain/protection/checkpoints/checkpoint-record';
import { membersInScope, newestCommonCut, rollbackScope, type RollbackScope, type SkippedCut } from '@reservoir/domain/protection/checkpoints/rollback-scope';
import { type ServiceRecord } from '@reservoir/domain/service/service-record';
import { type TransitionActor, type VeeRecord } from '@reservoir/domain/vee/vee-record';
import { type CheckpointDeps } from './checkpoint-deps';
import { type CheckpointBundles, type Verification, type VerifiedBundle } from './checkpoint-bundles';
import { cutMembersOf, serviceGroupId } from './checkpoint-group-cut';
import { RollbackApplier } from './checkpoint-rollback-apply';

/** One member to roll back with its verified part. In restore order (tiers that are needed first). */
export interface RollbackItem {
  vee: VeeRecord;
  part: CheckpointRecord;
  bundle: VerifiedBundle;
}

/** What to roll back when one member failed, and to which cut; `found: false` when no cut can be used. */
export type RollbackPlan = {
  serviceId: string;
  groupId: string;
  failedVeeId: string;
  scope: RollbackScope;
  keepRunning: GroupMember[];
  skipped: SkippedCut[];
} & ({ found: true; epoch: number; cutCreatedAt: Date; items: RollbackItem[] } | { found: false; rollBack: GroupMember[] });

/** What a group rollback did: which VEEs went back to which cut, and which kept running. */
export interface RollbackResult {
  serviceId: string;
  groupId: string;
  failedVeeId: string;
  epoch: number;
  cutCreatedAt: Date;
  scope: { kind: RollbackScope['kind']; tiers: string[]; keepRunningTiers: string[]; reason?: string; detail?: string };
  rolledBack: { veeId: string; tier: string; checkpointId: string }[];
  keptRunning: GroupMember[];
  /** Newer cuts passed over, and why (a part missing or failing its digest, ...). */
  skipped: SkippedCut[];
}

/**
 * Rolling back part of a service's group after one member failed (README "Rollback"): `rollbackScope` gives the
 * failed member's tier and every tier that needs it (the whole group when unclear), `newestCommonCut` the newest
 * complete cut whose parts for those members all pass their digest check now (measured on the members' hosts),
 * and `RollbackApplier` restores them. Members of the other tiers are not touched. The caller holds the lock.
 */
export class GroupRollback {
  constructor(
    private readonly d: CheckpointDeps,
    private readonly bundles: CheckpointBundles,
  ) {}

  async plan(service: ServiceRecord, failedVeeId: string): Promise<RollbackPlan> {
    const vees = cutMembersOf(await this.d.vees.listByService(service.id));
    const byId = new Map(vees.map((v) => [v.id, v]));
    const scope = rollbackScope({
      tiers: service.definition.tiers.map((t) => t.name),
      relations: service.definition.relations,
      failedTier: byId.get(failedVeeId)?.tier,
    });
    const { rollBack, keepRunning } = membersInScope(vees.map((v) => ({ veeId: v.id, tier: v.tier })), scope);
    const groupId = serviceGroupId(service.id);
    const head = { serviceId: service.id, groupId, failedVeeId, scope, keepRunning };
    const ids = rollBack.map((m) => m.veeId);
    const skipped: SkippedCut[] = [];
    // A VEE that is not a member (a standby copy, gone) is no reason to roll the group back.
    if (ids.length === 0 || !byId.has(failedVeeId)) return { ...head, skipped, found: false, rollBack };
    for (const cut of await this.d.checkpoints.listCuts(groupId)) {
      const shape = newestCommonCut([cut], ids, () => true);
      if (!shape.found) {
        skipped.push(...shape.skipped);
        continue;
      }
      const checks = new Map<string, Verification>();
      for (const part of shape.parts) checks.set(part.id, await this.bundles.verify(part, byId.get(part.veeId)?.hostId ?? ''));
      const failures = [...checks.values()].flatMap((c) => (c.ok ? [] : [c.reason]));
      for (const why of failures) this.d.log(`group ${groupId}: cut ${cut.epoch} not usable: ${why}`);
      const chosen = newestCommonCut([cut], ids, (p) => checks.get(p.id)?.ok === true);
      if (!chosen.found) {
        skipped.push(...chosen.skipped.map((s) => (failures.length === 0 ? s : { ...s, reason: `${s.reason}: ${failures.join('; ')}` })));
        continue;
      }
      const items = chosen.parts.map((part): RollbackItem => {
        const vee = byId.get(part.veeId);
        const bundle = checks.get(part.id);
        if (!vee || !bundle?.ok) throw new Error(`invariant: part ${part.id} was verified for a member`);
        return { vee, part, bundle };
      });
      return { ...head, skipped, found: true, epoch: cut.epoch, cutCreatedAt: cut.createdAt, items };
    }
    return { ...head, skipped, found: false, rollBack };
  }

  /**
   * Restores the plan's members (each paused, then all resumed in dependency order). `ownsFailedPhase`: whether
   * this call records the failed VEE's phases too (the API's rollback) or leaves them to its caller (failover).
   */
  async apply(plan: Extract<RollbackPlan, { found: true }>, opts: { ownsFailedPhase: boolean; by: TransitionActor }): Promise<RollbackResult> {
    await new RollbackApplier(this.d, this.bundles).apply(plan, opts);
    const { scope } = plan;
    return {
      serviceId: plan.serviceId,
      groupId: plan.groupId,
      failedVeeId: plan.failedVeeId,
      epoch: plan.epoch,
      cutCreatedAt: plan.cutCreatedAt,
      scope: { kind: scope.kind, tiers: scope.rollBack, keepRunningTiers: scope.keepRunning, ...(scope.kind === 'whole-group' ? { reason: scope.reason, detail: scope.detail } : {}) },
      rolledBack: plan.items.map((i) => ({ veeId: i.vee.id, tier: i.vee.tier, checkpointId: i.part.id })),
      keptRunning: plan.keepRunning,
      skipped: plan.skipped,
    };
  }
}
