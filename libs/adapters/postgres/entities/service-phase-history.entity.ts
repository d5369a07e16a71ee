import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

/** Row of `service_phase_history`: one logged lifecycle transition. */
@Entity({ name: 'service_phase_history' })
export class ServicePhaseHistoryEntity {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  seq!: string;

  @Column({ name: 'service_id', type: 'uuid' })
  serviceId!: string;

  @Column({ name: 'from_phase', type: 'text', nullable: true })
  fromPhase!: string | null;

  @Column({ name: 'to_phase', type: 'text' })
  toPhase!: string;

  @Column({ type: 'text' })
  reason!: string;

  @Column({ name: 'actor', type: 'text', nullable: true })
  by!: string | null;

  @Column({ type: 'timestamptz' })
  at!: Date;
}
