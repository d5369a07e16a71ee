import { Column, Entity, PrimaryColumn } from 'typeorm';

/** Row of `checkpoints`. Mapped to the domain StoredCheckpoint by checkpoint.mapper.ts; never leaves the adapter. */
@Entity({ name: 'checkpoints' })
export class CheckpointEntity {
  @PrimaryColumn({ type: 'text' })
  id!: string;

  @Column({ name: 'vee_id', type: 'uuid' })
  veeId!: string;

  @Column({ name: 'service_id', type: 'uuid' })
  serviceId!: string;

  @Column({ name: 'group_id', type: 'text', nullable: true })
  groupId!: string | null;

  @Column({ type: 'integer' })
  epoch!: number;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @Column({ name: 'completed_at', type: 'timestamptz', nullable: true })
  completedAt!: Date | null;

  /** bigint: the driver hands it back as a string. */
  @Column({ name: 'size_bytes', type: 'bigint', nullable: true })
  sizeBytes!: string | number | null;

  @Column({ type: 'text', nullable: true })
  sha256!: string | null;

  /** CheckpointLocation[]. */
  @Column({ type: 'jsonb' })
  locations!: object[];

  @Column({ type: 'boolean' })
  complete!: boolean;

  /** Why it was taken (CheckpointTrigger); null on rows written before triggers were kept. */
  @Column({ type: 'text', nullable: true })
  trigger!: string | null;
}
