import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

/** Row of `vee_phase_history`: one logged VEE transition (who, what, when, why). */
@Entity({ name: 'vee_phase_history' })
export class VeePhaseHistoryEntity {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  seq!: string;

  @Column({ name: 'vee_id', type: 'uuid' })
  veeId!: string;

  @Column({ name: 'service_id', type: 'uuid' })
  serviceId!: string;

  @Column({ name: 'from_phase', type: 'text', nullable: true })
  fromPhase!: string | null;

  @Column({ name: 'to_phase', type: 'text' })
  toPhase!: string;

  @Column({ type: 'text' })
  reason!: string;

  @Column({ name: 'actor', type: 'text' })
  by!: string;

  @Column({ type: 'timestamptz' })
  at!: Date;
}
