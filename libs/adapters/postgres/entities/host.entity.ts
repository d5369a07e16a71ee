import { Column, Entity, PrimaryColumn } from 'typeorm';
import { type HostFeatures } from '@reservoir/domain/ports/hypervisor.port';

/** Row of `hosts`. Mapped to the domain HostRecord by host.mapper.ts. */
@Entity({ name: 'hosts' })
export class HostEntity {
  @PrimaryColumn({ type: 'uuid' })
  id!: string;

  @Column({ type: 'text' })
  name!: string;

  @Column({ type: 'text' })
  uri!: string;

  @Column({ name: 'failure_domain', type: 'text' })
  failureDomain!: string;

  @Column({ type: 'jsonb' })
  labels!: Record<string, string>;

  @Column({ name: 'overcommit_cpu', type: 'double precision' })
  overcommitCpu!: number;

  @Column({ name: 'overcommit_memory', type: 'double precision' })
  overcommitMemory!: number;

  @Column({ type: 'integer' })
  vcpu!: number;

  @Column({ name: 'memory_mib', type: 'bigint' })
  memoryMiB!: string;

  @Column({ name: 'disk_gib', type: 'bigint' })
  diskGiB!: string;

  @Column({ type: 'jsonb' })
  features!: HostFeatures;

  @Column({ type: 'text' })
  health!: string;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @Column({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
