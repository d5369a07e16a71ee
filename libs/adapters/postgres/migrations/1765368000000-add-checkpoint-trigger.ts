import { type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * Why a checkpoint was taken (periodic, api, before-migration, before-update, monitoring-rule:<name>): checked in
 * full by the domain before it is stored; the column only bounds its length. Null on rows written before.
 */
export class AddCheckpointTrigger1765368000000 implements MigrationInterface {
  name = 'AddCheckpointTrigger1765368000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE checkpoints ADD COLUMN trigger text NULL CHECK (trigger IS NULL OR char_length(trigger) BETWEEN 1 AND 120)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE checkpoints DROP COLUMN trigger`);
  }
}
