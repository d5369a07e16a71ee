/**
 * Looking up the records a request names: an id that is not a UUID, unknown, or (for a VEE) deleted is `not-found`
 * — the store is not even asked for a malformed id. Hosts may also be named.
 */
import { type HostRecord } from '@reservoir/domain/hosts/host-record';
import { type HostStore } from '@reservoir/domain/ports/host-store.port';
import { type ServiceStore } from '@reservoir/domain/ports/service-store.port';
import { type VeeStore } from '@reservoir/domain/ports/vee-store.port';
import { type ServiceRecord } from '@reservoir/domain/service/service-record';
import { DomainError } from '@reservoir/domain/shared/domain-error';
import { type VeeRecord } from '@reservoir/domain/vee/vee-record';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** True for an RFC 4122 text UUID (any case): the form of every record id. */
export function isUuid(value: string): boolean {
  return UUID.test(value);
}

/** The VEE, unless malformed, unknown or deleted (`not-found`). */
export async function requireVee(vees: Pick<VeeStore, 'get'>, id: string): Promise<VeeRecord> {
  const vee = isUuid(id) ? await vees.get(id) : undefined;
  if (!vee || vee.phase === 'deleted') throw DomainError.notFound('VEE', id);
  return vee;
}

/** The service, unless malformed or unknown (`not-found`). */
export async function requireService(services: Pick<ServiceStore, 'get'>, id: string): Promise<ServiceRecord> {
  const service = isUuid(id) ? await services.get(id) : undefined;
  if (!service) throw DomainError.notFound('service', id);
  return service;
}

/** The host with this id, or else this name (`not-found` when none). */
export async function requireHost(hosts: Pick<HostStore, 'get' | 'list'>, idOrName: string): Promise<HostRecord> {
  const host = isUuid(idOrName) ? await hosts.get(idOrName) : (await hosts.list()).find((h) => h.name === idOrName);
  if (!host) throw DomainError.notFound('host', idOrName);
  return host;
}
