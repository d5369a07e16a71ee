import { SUPERVISED_PHASES, type ReconcileAction } from '@reservoir/domain/deploy';
import { type HostRecord } from '@reservoir/domain/hosts/host-record';
import { type ServicePhase } from '@reservoir/domain/service/service-phase';
import { type DeployDeps, serviceKey } from '../deploy/deploy-deps';
import { removeDomain } from '../deploy/domain-operations';
import { FailoverRecording } from '../protection/failover-recording';

type Deps = Pick<DeployDeps, 'services' | 'vees' | 'connections' | 'servicePhases' | 'veePhases' | 'locks' | 'log'>;
type VeeAction = Exclude<ReconcileAction, { type: 'report-orphan' }>;
const MANAGED: readonly ServicePhase[] = ['running', 'degraded'];

/**
 * Carries out the reconcile loop's own actions on one VEE, under its service's lock, after re-reading the VEE and
 * its service (a pass may be stale by then: a delete, a failover action or another pass may have acted):
 * - `mark-running`: the VEE's domain runs again: record it running (and the service once all its VEEs run);
 * - `fence`: destroy and undefine (with its disks) a stale copy of a VEE that failover moved off a host that did
 *   not answer then, so the VEE never runs twice.
 * Recovering failed VEEs is the failover supervisor's job, not this class's.
 */
export class VeeRepair {
  private readonly recording: FailoverRecording;

  constructor(private readonly d: Deps) {
    this.recording = new FailoverRecording(d);
  }

  async apply(action: VeeAction, serviceId: string, host: HostRecord): Promise<void> {
    await this.d.locks.run(serviceKey(serviceId), async () => {
      const vee = await this.d.vees.get(action.veeId);
      const service = await this.d.services.get(serviceId);
      if (!vee || !service || !MANAGED.includes(service.phase)) return;
      switch (action.type) {
        case 'mark-running':
          if (vee.phase === 'failed' || vee.phase === 'recovering') await this.recording.running(vee.id, action.reason);
          return;
        case 'fence':
          if (vee.hostId === host.id || vee.domain !== action.domain || !(SUPERVISED_PHASES.includes(vee.phase) || vee.phase === 'lost')) return;
          await removeDomain(await this.d.connections.get(host), action.domain);
          this.d.log(`reconcile: fenced ${action.domain} on host ${host.name}: ${action.reason.replace(vee.hostId, vee.hostName)}; destroyed and undefined with its disks`);
          return;
        default: {
          const unreachable: never = action;
          return unreachable;
        }
      }
    });
  }
}
