import { Column, Entity, PrimaryColumn } from 'typeorm';

/** Row of `group_cuts`; its parts are the `checkpoints` rows with its group id and epoch. */
@Entity({ name: 'group_cuts' })
export class GroupCutEntity {
  @PrimaryColumn({ name: 'group_id', type: 'text' })
  groupId!: string;

  @PrimaryColumn({ type: 'integer' })
  epoch!: number;

  @Column({ name: 'service_id', type: 'uuid' })
  serviceId!: string;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @Column({ name: 'completed_at', type: 'timestamptz', nullable: true })
  completedAt!: Date | null;

  @Column({ type: 'boolean' })
  complete!: boolean;
}
