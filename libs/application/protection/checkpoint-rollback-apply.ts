import { type VeeEvent } from '@reservoir/domain/vee/vee-phase';
import { type TransitionActor, type VeeRecord } from '@reservoir/domain/vee/vee-record';
import { describeError } from '../deploy/domain-operations';
import { asDomainError, type CheckpointDeps, connectionTo } from './checkpoint-deps';
import { type CheckpointBundles } from './checkpoint-bundles';
import { type RollbackItem, type RollbackPlan } from './checkpoint-rollback';

type FoundPlan = Extract<RollbackPlan, { found: true }>;

/**
 * Restores the members of a found rollback plan so that all stand at the same cut: each restored **paused**, in
 * restore order (tiers that are needed first), then all resumed in that same dependency order, so no member runs
 * against a peer that is not back yet. Phases: a running member goes `rollback-started` (running → recovering),
 * a failed one `recovery-started`, and each is `started` again once resumed; the failed VEE's phases are left to
 * the caller unless it says this call owns them. When a restore or resume fails, every member is left running
 * where possible (resumed, or untouched) and recorded so; the one that broke goes `recovery-failed`, and the call
 * rejects naming it.
 */
export class RollbackApplier {
  constructor(
    private readonly d: CheckpointDeps,
    private readonly bundles: CheckpointBundles,
  ) {}

  async apply(plan: FoundPlan, opts: { ownsFailedPhase: boolean; by: TransitionActor }): Promise<void> {
    const failed = plan.items.find((i) => i.vee.id === plan.failedVeeId)?.vee.domain ?? plan.failedVeeId;
    const why = `rolled back to cut ${plan.epoch} of group ${plan.groupId} (VEE ${failed} failed)`;
    const ours = (i: RollbackItem) => opts.ownsFailedPhase || i.vee.id !== plan.failedVeeId;
    const current = new Map<string, VeeRecord>();
    for (const i of plan.items) current.set(i.vee.id, ours(i) ? await this.enter(i.vee, why, opts.by) : i.vee);
    let step = 'restore';
    let broken: RollbackItem | undefined;
    try {
      for (const i of plan.items) {
        broken = i;
        await this.bundles.restore(i.vee, i.bundle, true);
      }
      step = 'resume';
      for (const i of plan.items) {
        broken = i;
        await (await connectionTo(this.d, i.vee.hostId)).resume(i.vee.domain);
      }
    } catch (err) {
      const what = `${step} of VEE ${broken?.vee.domain ?? '?'} to cut ${plan.epoch} of group ${plan.groupId} failed`;
      this.d.log(`${what}: ${describeError(err)}`);
      await this.leaveRunning(plan.items.filter(ours), current, broken, `${what}: ${describeError(err)}`, opts.by);
      throw asDomainError(what, err);
    }
    for (const i of plan.items.filter(ours)) await this.move(current.get(i.vee.id) ?? i.vee, { type: 'started', reason: why }, opts.by);
    this.d.log(`group ${plan.groupId}: ${plan.items.map((i) => i.vee.domain).join(', ')} ${why}; kept running: ${plan.keepRunning.map((m) => m.veeId).join(', ') || 'none'}`);
  }

  /** running → recovering (rollback-started), failed → recovering (recovery-started); others as they are. */
  private async enter(seen: VeeRecord, why: string, by: TransitionActor): Promise<VeeRecord> {
    const vee = (await this.d.vees.get(seen.id)) ?? seen;
    if (vee.phase === 'running') return this.move(vee, { type: 'rollback-started', reason: why }, by);
    if (vee.phase === 'failed') return this.move(vee, { type: 'recovery-started', reason: why }, by);
    return vee;
  }

  /** After a failure: each member whose domain runs (or can be resumed) is recorded running; the broken one failed. */
  private async leaveRunning(items: RollbackItem[], current: Map<string, VeeRecord>, broken: RollbackItem | undefined, reason: string, by: TransitionActor): Promise<void> {
    for (const i of items) {
      const vee = current.get(i.vee.id) ?? i.vee;
      const running = i !== broken && (await this.runs(i.vee));
      const event: VeeEvent = running ? { type: 'started', reason: `rollback abandoned (${reason}); running as it was` } : { type: 'recovery-failed', reason };
      await this.move(vee, event, by);
    }
  }

  private async runs(vee: VeeRecord): Promise<boolean> {
    try {
      const conn = await connectionTo(this.d, vee.hostId);
      const { state } = await conn.info(vee.domain);
      if (state === 'paused') await conn.resume(vee.domain);
      return state === 'running' || state === 'blocked' || state === 'paused';
    } catch {
      return false;
    }
  }

  private async move(vee: VeeRecord, event: VeeEvent, by: TransitionActor): Promise<VeeRecord> {
    return (await this.d.veePhases.move(vee, event, by)) ?? vee;
  }
}
