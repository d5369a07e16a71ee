import { type DataSource } from 'typeorm';
import { DomainError } from '@reservoir/domain/shared/domain-error';
import { type HostHealth, type HostRecord } from '@reservoir/domain/hosts/host-record';
import { type HostStore } from '@reservoir/domain/ports/host-store.port';
import { HostEntity } from './entities/host.entity';
import { isUniqueViolation } from './unique-violation';

/** HostStore on PostgreSQL (server or embedded) through TypeORM. */
export class TypeormHostStore implements HostStore {
  constructor(private readonly ds: DataSource) {}

  async create(host: HostRecord): Promise<void> {
    try {
      await this.ds.getRepository(HostEntity).insert(toEntity(host));
    } catch (err) {
      if (!isUniqueViolation(err)) throw err;
      throw new DomainError('conflict', `host '${host.name}' or its URI is already registered`, [
        { path: '/name', message: `a host named '${host.name}' or with URI '${host.uri}' is already registered` },
      ]);
    }
  }

  async get(id: string): Promise<HostRecord | undefined> {
    const e = await this.ds.getRepository(HostEntity).findOneBy({ id });
    return e ? toRecord(e) : undefined;
  }

  async list(): Promise<HostRecord[]> {
    return (await this.ds.getRepository(HostEntity).find({ order: { name: 'ASC' } })).map(toRecord);
  }

  async remove(id: string): Promise<boolean> {
    return ((await this.ds.getRepository(HostEntity).delete({ id })).affected ?? 0) > 0;
  }
}

function toEntity(h: HostRecord): HostEntity {
  const e = new HostEntity();
  e.id = h.id;
  e.name = h.name;
  e.uri = h.uri;
  e.failureDomain = h.failureDomain;
  e.labels = h.labels;
  e.overcommitCpu = h.overcommit.cpu;
  e.overcommitMemory = h.overcommit.memory;
  e.vcpu = h.capacity.vcpu;
  e.memoryMiB = String(h.capacity.memoryMiB);
  e.diskGiB = String(h.capacity.diskGiB);
  e.features = h.features;
  e.health = h.health;
  e.createdAt = h.createdAt;
  e.updatedAt = h.updatedAt;
  return e;
}

function toRecord(e: HostEntity): HostRecord {
  return {
    id: e.id,
    name: e.name,
    uri: e.uri,
    failureDomain: e.failureDomain,
    labels: e.labels,
    overcommit: { cpu: Number(e.overcommitCpu), memory: Number(e.overcommitMemory) },
    capacity: { vcpu: Number(e.vcpu), memoryMiB: Number(e.memoryMiB), diskGiB: Number(e.diskGiB) },
    features: e.features,
    health: e.health as HostHealth,
    createdAt: new Date(e.createdAt),
    updatedAt: new Date(e.updatedAt),
  };
}
