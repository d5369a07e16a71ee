import { DomainError } from '@reservoir/domain/shared/domain-error';
import { type Clock, type IdGenerator } from '@reservoir/domain/ports/clock.port';
import { type Page, type ServiceChanges, type ServiceStore } from '@reservoir/domain/ports/service-store.port';
import { type PhaseHistoryEntry, type ServiceRecord } from '@reservoir/domain/service/service-record';

/** A clock that only moves when told to. */
export class FakeClock implements Clock {
  constructor(private current = new Date('2026-01-01T00:00:00.000Z')) {}
  now(): Date {
    return new Date(this.current);
  }
  advance(ms: number): void {
    this.current = new Date(this.current.getTime() + ms);
  }
}

/** Deterministic UUID-shaped ids: 00000000-0000-4000-8000-000000000001, ...0002, ... */
export class SequentialIds implements IdGenerator {
  private n = 0;
  next(): string {
    this.n += 1;
    return `00000000-0000-4000-8000-${String(this.n).padStart(12, '0')}`;
  }
}

/** ServiceStore in memory, with the same contract as the PostgreSQL one (unique names, history, paging). */
export class InMemoryServiceStore implements ServiceStore {
  readonly records = new Map<string, ServiceRecord>();
  readonly histories = new Map<string, PhaseHistoryEntry[]>();

  async create(record: ServiceRecord, history: PhaseHistoryEntry): Promise<void> {
    if ([...this.records.values()].some((r) => r.name === record.name)) {
      throw new DomainError('conflict', `a service named '${record.name}' already exists`, [
        { path: '/service/@name', message: `a service named '${record.name}' already exists on this site` },
      ]);
    }
    this.records.set(record.id, structuredClone(record));
    this.histories.set(record.id, [history]);
  }
  async get(id: string): Promise<ServiceRecord | undefined> {
    const r = this.records.get(id);
    return r ? structuredClone(r) : undefined;
  }
  async list(limit: number, offset: number): Promise<Page<ServiceRecord>> {
    const all = [...this.records.values()].sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || a.id.localeCompare(b.id));
    return { items: all.slice(offset, offset + limit).map((r) => structuredClone(r)), total: all.length };
  }
  async history(id: string): Promise<PhaseHistoryEntry[]> {
    return [...(this.histories.get(id) ?? [])];
  }
  async updatePhase(id: string, entry: PhaseHistoryEntry, changes: ServiceChanges = {}): Promise<boolean> {
    const r = this.records.get(id);
    if (!r || r.phase !== entry.from) return false;
    r.phase = entry.to;
    r.updatedAt = entry.at;
    if (changes.placementErrors === null) delete r.placementErrors;
    else if (changes.placementErrors !== undefined) r.placementErrors = structuredClone(changes.placementErrors);
    if (changes.definition !== undefined) r.definition = structuredClone(changes.definition);
    if (changes.revision !== undefined) r.revision = changes.revision;
    this.histories.get(id)?.push({ ...entry });
    return true;
  }
  async remove(id: string): Promise<boolean> {
    this.histories.delete(id);
    return this.records.delete(id);
  }
  async ping(): Promise<void> {}
}
