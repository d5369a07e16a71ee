import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

/** Row of `contract_history`: one logged contract move (or renewal), with the expiry it left. */
@Entity({ name: 'contract_history' })
export class ContractHistoryEntity {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  seq!: string;

  @Column({ name: 'contract_id', type: 'text' })
  contractId!: string;

  @Column({ name: 'service_id', type: 'text' })
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

  @Column({ name: 'expires_at', type: 'timestamptz' })
  expiresAt!: Date;
}
