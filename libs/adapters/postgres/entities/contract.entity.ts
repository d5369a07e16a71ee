import { Column, Entity, PrimaryColumn } from 'typeorm';

/** Row of `contracts`. Mapped to the domain StoredContract by contract.mapper.ts; never leaves the adapter. */
@Entity({ name: 'contracts' })
export class ContractEntity {
  @PrimaryColumn({ type: 'text' })
  id!: string;

  @Column({ name: 'service_id', type: 'text' })
  serviceId!: string;

  @Column({ type: 'text' })
  role!: string;

  @Column({ type: 'text' })
  peer!: string;

  @Column({ type: 'jsonb' })
  tiers!: object[];

  @Column({ name: 'price_per_hour', type: 'double precision' })
  pricePerHour!: number;

  @Column({ type: 'text' })
  currency!: string;

  @Column({ type: 'text' })
  phase!: string;

  @Column({ name: 'expires_at', type: 'timestamptz' })
  expiresAt!: Date;

  @Column({ name: 'correlation_id', type: 'text', nullable: true })
  correlationId!: string | null;

  @Column({ name: 'local_service_id', type: 'uuid', nullable: true })
  localServiceId!: string | null;

  /** The last ReplicaReport, `at` as an ISO string. */
  @Column({ type: 'jsonb', nullable: true })
  replica!: object | null;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @Column({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
