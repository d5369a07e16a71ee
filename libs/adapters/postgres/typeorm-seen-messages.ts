import { type DataSource } from 'typeorm';
import { type SeenMessages } from '@reservoir/domain/ports/federation-security.port';

/**
 * SeenMessages on PostgreSQL (server or embedded PGlite). `remember` is one INSERT ... ON CONFLICT DO NOTHING on
 * the (sender, id) primary key: of any number of concurrent calls for one message, exactly one inserts the row
 * and answers true, on any number of broker processes sharing the database.
 */
export class TypeormSeenMessages implements SeenMessages {
  constructor(private readonly ds: DataSource) {}

  async remember(id: string, from: string, sentAt: Date): Promise<boolean> {
    const rows = (await this.ds.query(
      `INSERT INTO seen_messages (sender, id, sent_at) VALUES ($1, $2, $3::timestamptz)
       ON CONFLICT (sender, id) DO NOTHING RETURNING id`,
      [from, id, sentAt.toISOString()],
    )) as unknown[];
    return rows.length === 1;
  }

  async forget(id: string, from: string): Promise<void> {
    await this.ds.query(`DELETE FROM seen_messages WHERE sender = $1 AND id = $2`, [from, id]);
  }

  async forgetBefore(instant: Date): Promise<number> {
    const result = (await this.ds.query(`DELETE FROM seen_messages WHERE sent_at < $1::timestamptz`, [instant.toISOString()])) as [unknown[], number];
    return result[1];
  }
}
