import { type VeeRecord } from '@reservoir/domain/vee/vee-record';
import { type DeployDeps } from '../deploy/deploy-deps';

type Deps = Pick<DeployDeps, 'services' | 'vees' | 'servicePhases' | 'veePhases'>;

/**
 * Records what failover does as VEE and service phases (the way the reconcile loop recorded its restarts): the
 * VEE running → failed (first confirmed failure; the service running → degraded) → recovering (an action) →
 * running (it worked; the service running again once all its active VEEs run) or failed (it did not) → … → lost
 * (the ladder gave up). Every move is a compare-and-set on the current phase: a move someone else made first
 * wins, and the methods return the VEE as it is now (or `undefined` when it is gone).
 */
export class FailoverRecording {
  constructor(private readonly d: Deps) {}

  /** Brings the VEE to `failed`: crashed from a live phase, recovery-failed from an earlier action's recovering. */
  async failed(vee: VeeRecord, why: string): Promise<VeeRecord | undefined> {
    if (vee.phase === 'failed') return vee;
    if (vee.phase === 'recovering') return this.after(vee, await this.d.veePhases.move(vee, { type: 'recovery-failed', reason: why }, 'reconcile'));
    const failed = await this.d.veePhases.move(vee, { type: 'crashed', reason: why }, 'reconcile');
    if (failed) {
      const service = await this.d.services.get(vee.serviceId);
      if (service) await this.d.servicePhases.move(service, { type: 'member-failed', reason: `VEE ${vee.domain}: ${why}` }, 'reconcile');
    }
    return this.after(vee, failed);
  }

  /** The VEE `recovering` for an action: failed first when it was not yet. */
  async recovering(vee: VeeRecord, why: string, action: string): Promise<VeeRecord | undefined> {
    const failed = await this.failed(vee, why);
    if (failed?.phase !== 'failed') return failed;
    return this.after(failed, await this.d.veePhases.move(failed, { type: 'recovery-started', reason: action }, 'reconcile'));
  }

  /** The action failed: back to `failed`. */
  async recoveryFailed(veeId: string, why: string): Promise<void> {
    const vee = await this.d.vees.get(veeId);
    if (vee?.phase === 'recovering') await this.d.veePhases.move(vee, { type: 'recovery-failed', reason: why }, 'reconcile');
  }

  /** The VEE runs again; the service is `running` again once all its active VEEs are. */
  async running(veeId: string, reason: string): Promise<void> {
    const vee = await this.d.vees.get(veeId);
    if (!vee) return;
    const moved = await this.d.veePhases.move(vee, { type: 'started', reason }, 'reconcile');
    if (moved) await this.serviceRunningIfAllAre(vee.serviceId);
  }

  /** The VEE is `lost` with the reason (failed first); the service stays degraded. */
  async lost(vee: VeeRecord, why: string, reason: string): Promise<void> {
    if (vee.phase === 'lost') return;
    const failed = await this.failed(vee, why);
    if (failed?.phase === 'failed') await this.d.veePhases.move(failed, { type: 'gave-up', reason }, 'reconcile');
  }

  async serviceRunningIfAllAre(serviceId: string): Promise<void> {
    const service = await this.d.services.get(serviceId);
    if (service?.phase !== 'degraded') return;
    const active = (await this.d.vees.listByService(serviceId)).filter((v) => v.phase !== 'deleted' && v.role === 'active');
    if (active.every((v) => v.phase === 'running')) await this.d.servicePhases.move(service, { type: 'all-running' }, 'reconcile');
  }

  /** The moved VEE, or the VEE as stored now when someone else moved it first. */
  private async after(vee: VeeRecord, moved: VeeRecord | undefined): Promise<VeeRecord | undefined> {
    return moved ?? this.d.vees.get(vee.id);
  }
}
