import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * Row of `seen_messages`: an RS-RS message this site accepted (the replay guard). TypeormSeenMessages works on
 * the table with plain SQL, for the atomic INSERT ... ON CONFLICT DO NOTHING; this entity describes the table
 * for TypeORM (and for reading it).
 */
@Entity({ name: 'seen_messages' })
export class SeenMessageEntity {
  @PrimaryColumn({ type: 'text' })
  sender!: string;

  @PrimaryColumn({ type: 'text' })
  id!: string;

  @Column({ name: 'sent_at', type: 'timestamptz' })
  sentAt!: Date;

  @Column({ name: 'received_at', type: 'timestamptz' })
  receivedAt!: Date;
}
