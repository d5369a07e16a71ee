import { type CheckpointRecord, type CheckpointTrigger } from '@reservoir/domain/protection/checkpoints/checkpoint-record';
import { type CutOrder, type CutOutcome, type CutPart, planCut, settleCut } from '@reservoir/domain/protection/checkpoints/group-cut';
import { DomainError } from '@reservoir/domain/shared/domain-error';
import { type ServiceRecord } from '@reservoir/domain/service/service-record';
import { type VeeRecord } from '@reservoir/domain/vee/vee-record';
import { describeError } from '../deploy/domain-operations';
import { actorOf, type CheckpointDeps, connectionTo, localLocation, removeBundle } from './checkpoint-deps';
import { CutApplier, type MemberRun } from './checkpoint-cut-waves';
import { type CheckpointRetention } from './checkpoint-retention';

/** One member of a cut as the API shows it. */
export interface GroupCutMemberResult {
  veeId: string;
  tier: string;
  /** The member's part (the checkpoint id), when the cut completed. */
  checkpointId?: string;
  /** How long it was paused; null when it never paused. */
  pausedMs: number | null;
  sizeBytes?: number;
  sha256?: string;
  /** Why this member failed the cut. */
  error?: string;
}

/** What `takeGroupCut` did. A discarded cut (`complete: false`) says why and has left no part behind. */
export interface GroupCutResult {
  /** `<groupId>-e<epoch>`. */
  id: string;
  groupId: string;
  serviceId: string;
  epoch: number;
  /** The capture time: when every member was paused. */
  createdAt: Date;
  complete: boolean;
  pauseMsMax: number;
  trigger: CheckpointTrigger;
  order: CutOrder;
  members: GroupCutMemberResult[];
  reason?: string;
}

/** The group of a whole service: every VEE of it, whatever each tier's protection. Named after the service. */
export const serviceGroupId = (serviceId: string): string => serviceId;

/**
 * A consistent cut of every active VEE of a service, with the caller holding the service's lock: `planCut` with
 * the service's relations, the plan carried out by `CutApplier`, `settleCut` to judge it, then the cut and its
 * parts stored (complete only when every member succeeded) or every written part deleted. The epoch of a discarded
 * cut stays used up: its parts are recorded before their bundles go, and the runner remembers the highest epoch.
 */
export class GroupCutRunner {
  private readonly epochs = new Map<string, number>();

  constructor(
    private readonly d: CheckpointDeps,
    private readonly retention: CheckpointRetention,
  ) {}

  async run(service: ServiceRecord, trigger: CheckpointTrigger): Promise<GroupCutResult> {
    if (service.phase !== 'running') throw new DomainError('conflict', `service ${service.id} is ${service.phase}: a group cut needs it running`);
    const vees = cutMembersOf(await this.d.vees.listByService(service.id));
    if (vees.length === 0) throw new DomainError('conflict', `service ${service.id} has no active VEE to checkpoint`);
    const idle = vees.filter((v) => v.phase !== 'running');
    if (idle.length > 0) throw new DomainError('conflict', `a group cut needs every VEE running: ${idle.map((v) => `${v.domain} is ${v.phase}`).join(', ')}`);
    const groupId = serviceGroupId(service.id);
    const stored = Math.max(0, ...(await this.d.checkpoints.listCuts(groupId)).map((c) => c.epoch), this.epochs.get(groupId) ?? 0);
    const plan = planCut({ groupId, members: vees.map((v) => ({ veeId: v.id, tier: v.tier })), relations: service.definition.relations, previousEpoch: stored || undefined });
    this.epochs.set(groupId, plan.epoch);
    const members = await Promise.all(vees.map(async (vee) => ({ vee, conn: await connectionTo(this.d, vee.hostId) })));
    const applied = await new CutApplier(this.d, actorOf(trigger)).apply(plan, members);
    const outcome = settleCut(plan, applied.results);
    const createdAt = applied.capturedAt ?? this.d.clock.now();
    const partOf = (p: CutPart): CheckpointRecord => this.part(applied.runs.get(p.veeId), p, { groupId, epoch: plan.epoch, createdAt, trigger });
    if (outcome.status === 'complete') {
      await this.keep(service.id, { groupId, epoch: plan.epoch, createdAt, parts: outcome.members.map(partOf) });
      for (const v of vees) await this.retention.apply(v.id);
    } else {
      await this.discard(service.id, { groupId, epoch: plan.epoch, createdAt, parts: outcome.discard.map(partOf) }, outcome.reason);
    }
    return this.result(service.id, trigger, plan.order, createdAt, outcome, applied.runs);
  }

  private part(run: MemberRun | undefined, p: CutPart, cut: { groupId: string; epoch: number; createdAt: Date; trigger: CheckpointTrigger }): CheckpointRecord {
    if (!run?.checkpointId || !run.path) throw new Error(`invariant: VEE ${p.veeId} has a written part but no bundle`);
    const { groupId, epoch, createdAt, trigger } = cut;
    return { id: run.checkpointId, veeId: p.veeId, groupId, epoch, createdAt, sizeBytes: p.sizeBytes, sha256: p.sha256, locations: [localLocation(this.d, run.vee, run.path)], complete: false, trigger };
  }

  /** Stored in progress first, then completed: the parts' `completedAt` is when the cut was done (its RPO). */
  private async keep(serviceId: string, cut: { groupId: string; epoch: number; createdAt: Date; parts: CheckpointRecord[] }): Promise<void> {
    try {
      await this.d.checkpoints.createCut({ ...cut, complete: false }, serviceId);
    } catch (err) {
      for (const p of cut.parts) await this.removePartBundle(p);
      throw err;
    }
    await this.d.checkpoints.completeCut(cut.groupId, cut.epoch, this.d.clock.now());
    this.d.log(`group ${cut.groupId}: cut ${cut.epoch} complete (${cut.parts.length} part(s))`);
  }

  /** Records the written parts (the epoch stays used), deletes their bundles, then the records of those gone. */
  private async discard(serviceId: string, cut: { groupId: string; epoch: number; createdAt: Date; parts: CheckpointRecord[] }, reason: string): Promise<void> {
    this.d.log(`group ${cut.groupId}: ${reason}`);
    if (cut.parts.length === 0) return;
    try {
      await this.d.checkpoints.createCut({ ...cut, complete: false }, serviceId);
    } catch (err) {
      this.d.log(`group ${cut.groupId}: discarded cut ${cut.epoch} not recorded: ${describeError(err)}`);
    }
    const gone: string[] = [];
    for (const p of cut.parts) if (await this.removePartBundle(p)) gone.push(p.id);
    await this.d.checkpoints.remove(gone);
  }

  private async removePartBundle(p: CheckpointRecord): Promise<boolean> {
    const local = p.locations.find((l) => l.kind === 'local' && l.hostId !== undefined);
    return local?.hostId === undefined ? true : removeBundle(this.d, local.hostId, local.path);
  }

  private result(serviceId: string, trigger: CheckpointTrigger, order: CutOrder, createdAt: Date, outcome: CutOutcome, runs: Map<string, MemberRun>): GroupCutResult {
    const complete = outcome.status === 'complete';
    const failures = new Map(outcome.status === 'discarded' ? outcome.failures.map((f) => [f.veeId, f.reason]) : []);
    const members = [...runs.values()].map((r): GroupCutMemberResult => {
      const written = r.snapshot?.ok === true ? r.snapshot : undefined;
      const error = failures.get(r.vee.id);
      return {
        veeId: r.vee.id,
        tier: r.vee.tier,
        ...(complete && r.checkpointId ? { checkpointId: r.checkpointId } : {}),
        pausedMs: r.pausedMs,
        ...(written ? { sizeBytes: written.sizeBytes, sha256: written.sha256 } : {}),
        ...(error === undefined ? {} : { error }),
      };
    });
    const { groupId, epoch, pauseMsMax } = outcome;
    return {
      id: `${groupId}-e${epoch}`, groupId, serviceId, epoch, createdAt, complete, pauseMsMax, trigger, order, members,
      ...(outcome.status === 'discarded' ? { reason: outcome.reason } : {}),
    };
  }
}

/** The VEEs of a service a cut takes: every one that is not deleted and is active (standby copies are not). */
export function cutMembersOf(vees: readonly VeeRecord[]): VeeRecord[] {
  return vees.filter((v) => v.phase !== 'deleted' && v.role === 'active');
}
