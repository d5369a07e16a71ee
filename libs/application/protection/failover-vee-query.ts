import { type ProtectionLevel } from '@reservoir/domain/manifest/service-definition';
import { type ServiceStore } from '@reservoir/domain/ports/service-store.port';
import { type VeeStore } from '@reservoir/domain/ports/vee-store.port';
import { DomainError } from '@reservoir/domain/shared/domain-error';
import { type VeeRecord } from '@reservoir/domain/vee/vee-record';
import { type FailoverStatus } from './failover-supervisor';
import { isUuid } from '../lookups/require-records';


/** One VEE with its tier's protection level and, while the supervisor watches it, its failover status. */
export interface VeeWithFailover {
  vee: VeeRecord;
  protection?: ProtectionLevel;
  failover?: FailoverStatus;
}

/** Read side of `GET /v1/vees/:id`. Unknown or malformed ids are `not-found`, never a store error. */
export class FailoverVeeQuery {
  constructor(
    private readonly vees: Pick<VeeStore, 'get'>,
    private readonly services: Pick<ServiceStore, 'get'>,
    private readonly supervisor: { status(veeId: string): FailoverStatus | undefined },
  ) {}

  async get(id: string): Promise<VeeWithFailover> {
    const vee = isUuid(id) ? await this.vees.get(id) : undefined;
    if (!vee) throw DomainError.notFound('VEE', id);
    const protection = (await this.services.get(vee.serviceId))?.definition.tiers.find((t) => t.name === vee.tier)?.qos.protection;
    const failover = this.supervisor.status(vee.id);
    return { vee, ...(protection === undefined ? {} : { protection }), ...(failover === undefined ? {} : { failover }) };
  }
}
