import { type MigrationInterface, type QueryRunner } from 'typeorm';

/** A service deployed here as another site's replica says whose (site, service, contract). */
export class AddServiceReplicaOf1765108800000 implements MigrationInterface {
  name = 'AddServiceReplicaOf1765108800000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE services ADD COLUMN replica_of jsonb NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE services DROP COLUMN replica_of`);
  }
}
