import { type ReconcileAction } from '@reservoir/domain/deploy';
import { type HostRecord } from '@reservoir/domain/hosts/host-record';
import { isHypervisorError } from '@reservoir/domain/ports/hypervisor.port';
import { type VeeRecord } from '@reservoir/domain/vee/vee-record';
import { type DeployDeps, serviceKey } from '../deploy/deploy-deps';
import { describeError, startAndWait } from '../deploy/domain-operations';

type Deps = Pick<DeployDeps, 'services' | 'vees' | 'connections' | 'servicePhases' | 'veePhases' | 'locks' | 'clock' | 'start'>;
type VeeAction = Exclude<ReconcileAction, { type: 'report-orphan' }>;

/**
 * Carries out the reconcile loop's actions on one VEE, under its service's lock, after re-reading the VEE and its
 * service (a pass may be stale by then: a delete or another pass may have acted). Records every move: the VEE
 * running → failed → recovering → running (or failed again, with backoff, until the loop gives up: lost), and
 * the service running → degraded → running.
 */
export class VeeRepair {
  private readonly restarts = new Map<string, { attempts: number; notBefore: Date }>();

  constructor(
    private readonly d: Deps,
    private readonly backoffMs: number,
  ) {}

  /** What the loop remembers of the VEE's failed restarts, as `DesiredVee` fields. */
  restartsOf(veeId: string): { restarts?: { attempts: number; notBefore: Date } } {
    const r = this.restarts.get(veeId);
    return r ? { restarts: r } : {};
  }

  async apply(action: VeeAction, seen: VeeRecord, host: HostRecord): Promise<void> {
    await this.d.locks.run(serviceKey(seen.serviceId), async () => {
      const vee = await this.d.vees.get(seen.id);
      const service = await this.d.services.get(seen.serviceId);
      if (!vee || vee.phase !== seen.phase || !service || (service.phase !== 'running' && service.phase !== 'degraded')) return;
      switch (action.type) {
        case 'mark-running':
          await this.recovered(vee, action.reason);
          return;
        case 'give-up':
          await this.d.veePhases.move(vee, { type: 'gave-up', reason: action.reason }, 'reconcile');
          this.restarts.delete(vee.id);
          return;
        case 'restart':
        case 'recreate':
          await this.restart(vee, host, action);
          return;
        default: {
          const unreachable: never = action;
          return unreachable;
        }
      }
    });
  }

  private async restart(vee: VeeRecord, host: HostRecord, action: Extract<VeeAction, { type: 'restart' | 'recreate' }>): Promise<void> {
    let current: VeeRecord | undefined = vee;
    if (current.phase === 'running') {
      current = await this.d.veePhases.move(current, { type: 'crashed', reason: action.reason }, 'reconcile');
      const service = await this.d.services.get(vee.serviceId);
      if (service) await this.d.servicePhases.move(service, { type: 'member-failed', reason: `VEE ${vee.domain}: ${action.reason}` }, 'reconcile');
    }
    if (current?.phase === 'failed') {
      const attempt = (this.restarts.get(vee.id)?.attempts ?? 0) + 1;
      const how = action.type === 'recreate' ? 'recreating and starting' : 'restarting';
      current = await this.d.veePhases.move(current, { type: 'recovery-started', reason: `${how} (attempt ${attempt})` }, 'reconcile');
    }
    if (current?.phase !== 'recovering') return;
    try {
      const conn = await this.d.connections.get(host);
      if (action.type === 'recreate') await conn.define(current.spec).catch((err: unknown) => {
        if (!isHypervisorError(err, 'already-exists')) throw err;
      });
      await startAndWait(conn, current.domain, this.d.start);
    } catch (err) {
      const attempts = (this.restarts.get(vee.id)?.attempts ?? 0) + 1;
      const notBefore = new Date(this.d.clock.now().getTime() + this.backoffMs * 2 ** Math.min(attempts - 1, 6));
      this.restarts.set(vee.id, { attempts, notBefore });
      await this.d.veePhases.move(current, { type: 'recovery-failed', reason: `restart failed: ${describeError(err)}` }, 'reconcile');
      return;
    }
    await this.recovered(current, `${action.type === 'recreate' ? 'recreated' : 'restarted'} after: ${action.reason}`);
  }

  /** Records the VEE running; the service is running again once all its VEEs are. */
  private async recovered(vee: VeeRecord, reason: string): Promise<void> {
    const running = await this.d.veePhases.move(vee, { type: 'started', reason }, 'reconcile');
    if (!running) return;
    this.restarts.delete(vee.id);
    const service = await this.d.services.get(vee.serviceId);
    if (service?.phase !== 'degraded') return;
    const all = (await this.d.vees.listByService(vee.serviceId)).filter((v) => v.phase !== 'deleted' && v.role === 'active');
    if (all.every((v) => v.phase === 'running')) await this.d.servicePhases.move(service, { type: 'all-running' }, 'reconcile');
  }
}
