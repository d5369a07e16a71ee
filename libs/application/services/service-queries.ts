import { DomainError } from '@reservoir/domain/shared/domain-error';
import { type ServiceRecord, type PhaseHistoryEntry } from '@reservoir/domain/service/service-record';
import { type Page, type ServiceStore } from '@reservoir/domain/ports/service-store.port';
import { type Clock } from '@reservoir/domain/ports/clock.port';
import { type EventBus } from '@reservoir/domain/ports/event-bus.port';
import { SERVICE_EVENTS_TOPIC, type ServiceLifecycleEvent } from './service-events';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Paging bounds of `GET /v1/services`. */
export const MAX_PAGE_SIZE = 500;

/** Read side of services plus deletion. Unknown or malformed ids are `not-found`, never a store error. */
export class ServiceQueries {
  constructor(
    private readonly store: ServiceStore,
    private readonly bus: EventBus,
    private readonly clock: Clock,
  ) {}

  async get(id: string): Promise<ServiceRecord> {
    const record = UUID.test(id) ? await this.store.get(id) : undefined;
    if (!record) throw DomainError.notFound('service', id);
    return record;
  }

  async history(id: string): Promise<PhaseHistoryEntry[]> {
    await this.get(id);
    return this.store.history(id);
  }

  list(limit: number, offset: number): Promise<Page<ServiceRecord>> {
    return this.store.list(limit, offset);
  }

  /** Deletes a service. With no VEEs deployed yet (deployment lands with placement) this is immediate. */
  async remove(id: string): Promise<void> {
    const record = await this.get(id);
    if (!(await this.store.remove(id))) throw DomainError.notFound('service', id);
    const event: ServiceLifecycleEvent = {
      type: 'ServicePhaseChanged',
      serviceId: id,
      name: record.name,
      siteId: record.siteId,
      from: record.phase,
      to: 'deleted',
      reason: 'delete requested',
      at: this.clock.now().toISOString(),
    };
    await this.bus.publish({ topic: SERVICE_EVENTS_TOPIC, key: id, value: JSON.stringify(event) });
  }
}

/** Parses `limit`/`offset` query values; errors name the parameter. */
export function parsePaging(limit: unknown, offset: unknown): { limit: number; offset: number } {
  const details: DomainError['details'] = [];
  const parse = (name: string, raw: unknown, fallback: number, max: number): number => {
    if (raw === undefined || raw === '') return fallback;
    const n = typeof raw === 'string' && /^\d+$/.test(raw) ? Number(raw) : NaN;
    if (!Number.isSafeInteger(n) || n > max) {
      details.push({ path: `/?${name}`, message: `${name} must be an integer between 0 and ${max}` });
      return fallback;
    }
    return n;
  };
  const result = { limit: parse('limit', limit, 50, MAX_PAGE_SIZE), offset: parse('offset', offset, 0, Number.MAX_SAFE_INTEGER) };
  if (details.length > 0) throw new DomainError('invalid-input', 'bad paging parameters', details);
  return result;
}
