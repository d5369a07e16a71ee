import { DomainError } from '@reservoir/domain/shared/domain-error';
import { type VeeRecord } from '@reservoir/domain/vee/vee-record';
import { describeError, removeDomain } from './domain-operations';
import { type DeployDeps, serviceKey } from './deploy-deps';

type Deps = Pick<DeployDeps, 'services' | 'hosts' | 'vees' | 'connections' | 'servicePhases' | 'veePhases' | 'locks' | 'log'>;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Deletes a service: cancels its deployment if one is under way, moves it to `deleting`, removes every VEE's
 * domain and disks (newest first) and marks the VEE deleted, then `deleted`, and the service row goes (GET
 * answers 404 afterwards). When a host does not answer, the service stays `deleting` with its remaining VEEs and
 * the caller is told to retry (503); a second DELETE carries on from there.
 */
export class DeleteService {
  constructor(
    private readonly d: Deps,
    private readonly cancelDeployment: (serviceId: string, reason: string) => Promise<void> = async () => undefined,
    /** Called for each VEE once its domain is gone (its checkpoints go with it). */
    private readonly forgetVee: (vee: VeeRecord) => Promise<void> = async () => undefined,
  ) {}

  async execute(id: string): Promise<void> {
    if (!UUID.test(id) || !(await this.d.services.get(id))) throw DomainError.notFound('service', id);
    await this.cancelDeployment(id, 'delete requested');
    await this.d.locks.run(serviceKey(id), () => this.teardown(id));
  }

  private async teardown(id: string): Promise<void> {
    let service = await this.d.services.get(id);
    if (!service) throw DomainError.notFound('service', id);
    if (service.phase !== 'deleting') {
      const moved = await this.d.servicePhases.move(service, { type: 'delete-requested' }, 'api');
      if (!moved) throw new DomainError('conflict', `service '${service.name}' cannot be deleted while ${service.phase}`);
      service = moved;
    }
    const failures: string[] = [];
    const vees = (await this.d.vees.listByService(id)).filter((v) => v.phase !== 'deleted').reverse();
    for (const vee of vees) {
      try {
        const host = await this.d.hosts.get(vee.hostId);
        if (host) await removeDomain(await this.d.connections.get(host), vee.domain);
        await this.forgetVee(vee);
        await this.d.veePhases.move(vee, { type: 'removed', reason: 'service deleted' }, 'api');
      } catch (err) {
        failures.push(`${vee.domain} on host ${vee.hostName}: ${describeError(err)}`);
      }
    }
    if (failures.length > 0) {
      this.d.log(`delete of service ${service.name} incomplete: ${failures.join('; ')}`);
      throw new DomainError(
        'unavailable',
        `service '${service.name}' stays deleting: ${failures.length} VEE(s) could not be removed; retry the DELETE`,
        failures.map((message) => ({ path: '/', message })),
        true,
      );
    }
    await this.d.servicePhases.move(service, { type: 'torn-down' }, 'api');
    await this.d.services.remove(id);
  }
}
