import { type CutPlan, type MemberResult, type SnapshotResult } from '@reservoir/domain/protection/checkpoints/group-cut';
import { type HypervisorConnection } from '@reservoir/domain/ports/hypervisor.port';
import { type TransitionActor, type VeeRecord } from '@reservoir/domain/vee/vee-record';
import { describeError } from '../deploy/domain-operations';
import { bundleDir, type CheckpointDeps, digestOf, removeBundle } from './checkpoint-deps';

/** One member of a cut with the connection to its host. */
export interface CutMember {
  vee: VeeRecord;
  conn: HypervisorConnection;
}

/** What applying the plan did to one member. */
export interface MemberRun extends CutMember {
  pausedAt?: number;
  pausedMs: number | null;
  /** Why this member did not get to a snapshot. */
  failure?: string;
  snapshot?: SnapshotResult;
  /** Set once its snapshot wave began: the part's id and bundle directory. */
  checkpointId?: string;
  path?: string;
}

export interface AppliedCut {
  /** When every member was paused and the snapshot wave began; undefined when it never did. */
  capturedAt?: Date;
  runs: Map<string, MemberRun>;
  /** One per member, for `settleCut`. */
  results: MemberResult[];
}

/**
 * Carries out a `CutPlan` through the Hypervisor port: pause waves (each member shows `checkpointing` from just
 * before its pause), one snapshot wave (`checkpointWrite` of every member at once, into a new bundle each), resume
 * waves. A failed pause skips the snapshot wave; the resume waves always run, for every member that paused. A
 * snapshot that failed has its bundle directory deleted here; written parts are the caller's to keep or discard.
 * Pause times are measured on the clock, from a member's pause to its resume.
 */
export class CutApplier {
  constructor(
    private readonly d: CheckpointDeps,
    private readonly by: TransitionActor,
  ) {}

  async apply(plan: CutPlan, members: readonly CutMember[]): Promise<AppliedCut> {
    const runs = new Map(members.map((m): [string, MemberRun] => [m.vee.id, { ...m, pausedMs: null }]));
    const of = (ids: readonly string[]): MemberRun[] => ids.flatMap((id) => runs.get(id) ?? []);
    let aborted: string | undefined;
    let capturedAt: Date | undefined;
    for (const step of plan.steps) {
      if (step.action === 'resume') {
        await Promise.all(of(step.veeIds).filter((r) => r.pausedAt !== undefined).map((r) => this.resume(r)));
        continue;
      }
      if (aborted !== undefined) continue;
      if (step.action === 'pause') {
        const failed = (await Promise.all(of(step.veeIds).map(async (r) => ((await this.pause(r)) ? [] : [r])))).flat();
        if (failed.length > 0) aborted = failed.map((r) => `VEE ${r.vee.domain}: ${r.failure ?? 'pause failed'}`).join('; ');
      } else {
        capturedAt = this.d.clock.now();
        await Promise.all(of(step.veeIds).map((r) => this.snapshot(r, plan)));
      }
    }
    const results = [...runs.values()].map((r): MemberResult => ({
      veeId: r.vee.id,
      pausedMs: r.pausedMs,
      snapshot: r.snapshot ?? { ok: false, error: `not taken: ${r.failure ?? `the cut was abandoned (${aborted ?? 'no snapshot wave'})`}` },
    }));
    return { ...(capturedAt ? { capturedAt } : {}), runs, results };
  }

  private async pause(r: MemberRun): Promise<boolean> {
    const moved = await this.d.veePhases.move(r.vee, { type: 'checkpoint-started' }, this.by);
    if (!moved) {
      r.failure = `it left phase ${r.vee.phase} before the cut`;
      return false;
    }
    r.vee = moved;
    try {
      await r.conn.pause(r.vee.domain);
      r.pausedAt = this.d.clock.now().getTime();
      return true;
    } catch (err) {
      r.failure = `pause failed: ${describeError(err)}`;
      r.vee = (await this.d.veePhases.move(r.vee, { type: 'checkpoint-done' }, this.by)) ?? r.vee;
      return false;
    }
  }

  private async snapshot(r: MemberRun, plan: CutPlan): Promise<void> {
    r.checkpointId = this.d.ids.next();
    r.path = bundleDir(this.d.settings.dir, r.vee.domain, r.checkpointId);
    try {
      const bundle = await r.conn.checkpointWrite(r.vee.domain, r.path);
      r.snapshot = { ok: true, ...digestOf(bundle.files) };
    } catch (err) {
      r.snapshot = { ok: false, error: describeError(err) };
      this.d.log(`cut ${plan.epoch} of group ${plan.groupId}: VEE ${r.vee.domain} not written: ${describeError(err)}`);
      await removeBundle(this.d, r.vee.hostId, r.path);
    }
  }

  /** Resumes (one retry); a member that stays paused is recorded failed so recovery takes it over. */
  private async resume(r: MemberRun): Promise<void> {
    let error: unknown;
    for (let attempt = 0; attempt < 2; attempt += 1) {
      try {
        await r.conn.resume(r.vee.domain);
        error = undefined;
        break;
      } catch (err) {
        error = err;
      }
    }
    r.pausedMs = Math.max(0, this.d.clock.now().getTime() - (r.pausedAt ?? 0));
    if (error === undefined) {
      r.vee = (await this.d.veePhases.move(r.vee, { type: 'checkpoint-done' }, this.by)) ?? r.vee;
      return;
    }
    const reason = `could not resume after a checkpoint cut: ${describeError(error)}`;
    this.d.log(`VEE ${r.vee.domain}: ${reason}`);
    r.vee = (await this.d.veePhases.move(r.vee, { type: 'crashed', reason }, this.by)) ?? r.vee;
  }
}
