import { DomainError } from '@reservoir/domain/shared/domain-error';
import { type ServiceRecord, type PhaseHistoryEntry } from '@reservoir/domain/service/service-record';
import { type Page, type ServiceStore } from '@reservoir/domain/ports/service-store.port';
import { type VeeStore } from '@reservoir/domain/ports/vee-store.port';
import { type VeeRecord } from '@reservoir/domain/vee/vee-record';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Paging bounds of `GET /v1/services`. */
export const MAX_PAGE_SIZE = 500;

/** One line of `GET /v1/services/:id/events`: a service or VEE transition. */
export interface TransitionEvent {
  at: Date;
  subject: 'service' | 'vee';
  /** The service's or the VEE's id. */
  id: string;
  from: string | null;
  to: string;
  reason: string;
  by?: string;
}

/** Read side of services and their VEEs. Unknown or malformed ids are `not-found`, never a store error. */
export class ServiceQueries {
  constructor(
    private readonly store: ServiceStore,
    private readonly veeStore: Pick<VeeStore, 'listByService' | 'history'>,
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

  /** The service's VEEs, deleted ones included (their history explains them), oldest first. */
  async vees(id: string): Promise<VeeRecord[]> {
    await this.get(id);
    return this.veeStore.listByService(id);
  }

  /** Service and VEE transitions merged in time order (stable: each history keeps its own order on ties). */
  async events(id: string): Promise<TransitionEvent[]> {
    await this.get(id);
    const [service, vees] = await Promise.all([this.store.history(id), this.veeStore.history(id)]);
    const a: TransitionEvent[] = service.map((h) => ({ at: h.at, subject: 'service', id, from: h.from, to: h.to, reason: h.reason, ...(h.by ? { by: h.by } : {}) }));
    const b: TransitionEvent[] = vees.map((h) => ({ at: h.at, subject: 'vee', id: h.veeId, from: h.from, to: h.to, reason: h.reason, by: h.by }));
    const merged: TransitionEvent[] = [];
    let i = 0;
    let j = 0;
    while (i < a.length || j < b.length) {
      const takeA = j >= b.length || (i < a.length && (a[i] as TransitionEvent).at.getTime() <= (b[j] as TransitionEvent).at.getTime());
      merged.push((takeA ? a[i++] : b[j++]) as TransitionEvent);
    }
    return merged;
  }

  list(limit: number, offset: number): Promise<Page<ServiceRecord>> {
    return this.store.list(limit, offset);
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
