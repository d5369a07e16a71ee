import { DomainError } from '@reservoir/domain/shared/domain-error';
import { type HostRecord, validateHostRegistration } from '@reservoir/domain/hosts/host-record';
import { type HostStore } from '@reservoir/domain/ports/host-store.port';
import { type HypervisorFactory, HypervisorError } from '@reservoir/domain/ports/hypervisor.port';
import { type Clock, type IdGenerator } from '@reservoir/domain/ports/clock.port';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Answers how many VEEs run on a host; deployment provides it (until then no host runs any). */
export type VeeCounter = (hostId: string) => Promise<number>;

/**
 * Registers, lists and removes the site's hosts. A host is stored only after its hypervisor answered and
 * reported its capacity, so a URI that does not answer changes nothing.
 */
export class HostRegistry {
  constructor(
    private readonly store: HostStore,
    private readonly hypervisors: HypervisorFactory,
    private readonly clock: Clock,
    private readonly ids: IdGenerator,
    private readonly veesOnHost: VeeCounter = async () => 0,
  ) {}

  async register(body: unknown): Promise<HostRecord> {
    const checked = validateHostRegistration(body);
    if (!checked.ok) throw new DomainError('invalid-input', 'host registration rejected', checked.errors);
    const { name, uri, labels, overcommit, failureDomain } = checked.value;
    const { capacity, features } = await this.probe(uri);
    const now = this.clock.now();
    const host: HostRecord = {
      id: this.ids.next(),
      name,
      uri,
      // The body's failure domain wins over the URI's; a host in no rack is its own failure domain.
      failureDomain: failureDomain ?? uriFailureDomain(uri) ?? name,
      labels,
      overcommit,
      capacity,
      features,
      health: 'up',
      createdAt: now,
      updatedAt: now,
    };
    await this.store.create(host);
    return host;
  }

  list(): Promise<HostRecord[]> {
    return this.store.list();
  }

  async get(id: string): Promise<HostRecord> {
    const host = UUID.test(id) ? await this.store.get(id) : undefined;
    if (!host) throw DomainError.notFound('host', id);
    return host;
  }

  /** Removes a host; refused while VEEs run there. */
  async remove(id: string): Promise<void> {
    const host = await this.get(id);
    const vees = await this.veesOnHost(host.id);
    if (vees > 0) throw new DomainError('conflict', `host '${host.name}' still runs ${vees} VEE(s); evacuate or delete them first`);
    if (!(await this.store.remove(id))) throw DomainError.notFound('host', id);
  }

  private async probe(uri: string): Promise<Pick<HostRecord, 'capacity' | 'features'>> {
    try {
      const conn = await this.hypervisors.connect(uri);
      try {
        const { vcpu, memoryMiB, diskGiB } = await conn.capacity();
        return { capacity: { vcpu, memoryMiB, diskGiB }, features: await conn.features() };
      } finally {
        await conn.close();
      }
    } catch (err) {
      if (!(err instanceof HypervisorError)) throw err;
      const code = err.code === 'invalid-argument' || err.code === 'unsupported' ? 'invalid-input' : 'unavailable';
      throw new DomainError(code, err.message, [{ path: '/uri', message: err.message }], err.retryable);
    }
  }
}

function uriFailureDomain(uri: string): string | undefined {
  const query = uri.split('?')[1];
  return query === undefined ? undefined : (new URLSearchParams(query).get('failure-domain') ?? undefined);
}
