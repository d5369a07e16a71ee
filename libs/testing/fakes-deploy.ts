/** In-memory stores for the deploy and reconcile use cases, with the same contracts as the PostgreSQL ones. */
import { type HostRecord } from '@reservoir/domain/hosts/host-record';
import { type HostStore } from '@reservoir/domain/ports/host-store.port';
import { type VeeMove, type VeeStore } from '@reservoir/domain/ports/vee-store.port';
import { type VeeHistoryEntry, type VeeRecord } from '@reservoir/domain/vee/vee-record';

export class InMemoryHostStore implements HostStore {
  readonly hosts = new Map<string, HostRecord>();
  async create(h: HostRecord): Promise<void> {
    this.hosts.set(h.id, structuredClone(h));
  }
  async get(id: string): Promise<HostRecord | undefined> {
    const h = this.hosts.get(id);
    return h ? structuredClone(h) : undefined;
  }
  async list(): Promise<HostRecord[]> {
    return [...this.hosts.values()].sort((a, b) => a.name.localeCompare(b.name)).map((h) => structuredClone(h));
  }
  async remove(id: string): Promise<boolean> {
    return this.hosts.delete(id);
  }
}

export class InMemoryVeeStore implements VeeStore {
  readonly vees = new Map<string, VeeRecord>();
  readonly histories: VeeHistoryEntry[] = [];

  async create(vee: VeeRecord, history: VeeHistoryEntry): Promise<void> {
    if (this.vees.has(vee.id)) throw new Error(`duplicate VEE id ${vee.id}`);
    this.vees.set(vee.id, structuredClone(vee));
    this.histories.push({ ...history });
  }
  async get(id: string): Promise<VeeRecord | undefined> {
    const v = this.vees.get(id);
    return v ? structuredClone(v) : undefined;
  }
  async transition(entry: VeeHistoryEntry): Promise<boolean> {
    const v = this.vees.get(entry.veeId);
    if (!v || v.phase !== entry.from) return false;
    v.phase = entry.to;
    v.updatedAt = entry.at;
    this.histories.push({ ...entry });
    return true;
  }
  async updateSpec(id: string, spec: VeeRecord['spec'], at: Date): Promise<boolean> {
    const v = this.vees.get(id);
    if (!v) return false;
    v.spec = structuredClone(spec);
    v.updatedAt = at;
    return true;
  }
  async moveHost(id: string, to: VeeMove, at: Date): Promise<boolean> {
    const v = this.vees.get(id);
    if (!v) return false;
    Object.assign(v, { hostId: to.hostId, hostName: to.hostName, spec: structuredClone(to.spec), updatedAt: at });
    return true;
  }
  async listByService(serviceId: string): Promise<VeeRecord[]> {
    return [...this.vees.values()].filter((v) => v.serviceId === serviceId).map((v) => structuredClone(v));
  }
  async listLive(): Promise<VeeRecord[]> {
    return [...this.vees.values()].filter((v) => v.phase !== 'deleted').map((v) => structuredClone(v));
  }
  async countOnHost(hostId: string): Promise<number> {
    return [...this.vees.values()].filter((v) => v.hostId === hostId && v.phase !== 'deleted').length;
  }
  async history(serviceId: string): Promise<VeeHistoryEntry[]> {
    return this.histories.filter((h) => h.serviceId === serviceId).map((h) => ({ ...h }));
  }
  /** Drops a service's VEEs, as the database's cascade does when the service row goes. */
  dropService(serviceId: string): void {
    for (const [id, v] of this.vees) if (v.serviceId === serviceId) this.vees.delete(id);
  }
}
