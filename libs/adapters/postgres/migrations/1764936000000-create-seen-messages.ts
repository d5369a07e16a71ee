import { type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * The RS-RS replay guard: one row per accepted message (sender, id). The primary key makes recording atomic
 * (INSERT ... ON CONFLICT DO NOTHING); rows go once their sentAt falls out of the clock window (index on sent_at).
 */
export class CreateSeenMessages1764936000000 implements MigrationInterface {
  name = 'CreateSeenMessages1764936000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE seen_messages (
        sender text NOT NULL,
        id text NOT NULL,
        sent_at timestamptz NOT NULL,
        received_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (sender, id)
      )`);
    await q.query(`CREATE INDEX seen_messages_sent_at ON seen_messages (sent_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE seen_messages`);
  }
}
