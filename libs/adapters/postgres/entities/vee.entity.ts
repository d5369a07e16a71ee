import { Column, Entity, PrimaryColumn } from 'typeorm';

/** Row of `vees`. Mapped to the domain VeeRecord by vee.mapper.ts; never leaves the adapter. */
@Entity({ name: 'vees' })
export class VeeEntity {
  @PrimaryColumn({ type: 'uuid' })
  id!: string;

  @Column({ name: 'service_id', type: 'uuid' })
  serviceId!: string;

  @Column({ name: 'service_name', type: 'text' })
  serviceName!: string;

  @Column({ type: 'text' })
  tier!: string;

  @Column({ name: 'idx', type: 'integer' })
  index!: number;

  @Column({ name: 'host_id', type: 'uuid' })
  hostId!: string;

  @Column({ name: 'host_name', type: 'text' })
  hostName!: string;

  @Column({ type: 'text' })
  role!: string;

  @Column({ type: 'text' })
  phase!: string;

  @Column({ type: 'text' })
  domain!: string;

  @Column({ name: 'console_log', type: 'text' })
  consoleLog!: string;

  @Column({ type: 'jsonb' })
  spec!: object;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @Column({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
