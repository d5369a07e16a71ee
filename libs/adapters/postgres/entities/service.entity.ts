import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/** Row of `services`. Mapped to the domain ServiceRecord by service.mapper.ts; never leaves the adapter. */
@Entity({ name: 'services' })
@Index('services_name_live', ['name'], { unique: true })
export class ServiceEntity {
  @PrimaryColumn({ type: 'uuid' })
  id!: string;

  @Column({ name: 'site_id', type: 'text' })
  siteId!: string;

  @Column({ type: 'text' })
  name!: string;

  @Column({ type: 'text' })
  phase!: string;

  @Column({ type: 'jsonb' })
  definition!: object;

  @Column({ name: 'manifest_xml', type: 'bytea' })
  manifestXml!: Buffer;

  @Column({ name: 'placement_errors', type: 'jsonb', nullable: true })
  placementErrors!: object[] | null;

  @Column({ type: 'integer', default: 0 })
  revision!: number;

  @Column({ name: 'replica_of', type: 'jsonb', nullable: true })
  replicaOf!: { site: string; serviceId: string; contractId: string } | null;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @Column({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
