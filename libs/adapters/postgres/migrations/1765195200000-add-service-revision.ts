import { type MigrationInterface, type QueryRunner } from 'typeorm';

/** How many tier updates (PATCH, or a primary's CooperationUpdate at a replica) a service has had. */
export class AddServiceRevision1765195200000 implements MigrationInterface {
  name = 'AddServiceRevision1765195200000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE services ADD COLUMN revision integer NOT NULL DEFAULT 0 CHECK (revision >= 0)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE services DROP COLUMN revision`);
  }
}
