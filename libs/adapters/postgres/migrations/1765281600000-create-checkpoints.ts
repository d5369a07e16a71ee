import { type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * Checkpoint records (issue 5) and the group cuts their parts belong to. A part (`group_id` set) points at its cut
 * row; a VEE-only checkpoint has no group. Size, digest and completion time are null while a checkpoint is in
 * progress and always set once it is complete;
 * a part of a cut always has size and digest (its file was written before the cut is stored). Group ids are text: the broker names groups, not a uuid column.
 */
export class CreateCheckpoints1765281600000 implements MigrationInterface {
  name = 'CreateCheckpoints1765281600000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE group_cuts (
        group_id text NOT NULL,
        epoch integer NOT NULL CHECK (epoch >= 1),
        service_id uuid NOT NULL,
        created_at timestamptz NOT NULL,
        completed_at timestamptz NULL,
        complete boolean NOT NULL,
        PRIMARY KEY (group_id, epoch),
        CHECK (NOT complete OR completed_at IS NOT NULL)
      )`);
    await q.query(`
      CREATE TABLE checkpoints (
        id text PRIMARY KEY,
        vee_id uuid NOT NULL,
        service_id uuid NOT NULL,
        group_id text NULL,
        epoch integer NOT NULL CHECK (epoch >= 1),
        created_at timestamptz NOT NULL,
        completed_at timestamptz NULL,
        size_bytes bigint NULL CHECK (size_bytes >= 0),
        sha256 text NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
        locations jsonb NOT NULL,
        complete boolean NOT NULL,
        FOREIGN KEY (group_id, epoch) REFERENCES group_cuts (group_id, epoch),
        CHECK (NOT complete OR (size_bytes IS NOT NULL AND sha256 IS NOT NULL AND completed_at IS NOT NULL)),
        CHECK (group_id IS NULL OR (size_bytes IS NOT NULL AND sha256 IS NOT NULL))
      )`);
    await q.query(`CREATE INDEX checkpoints_vee ON checkpoints (vee_id, epoch)`);
    await q.query(`CREATE INDEX checkpoints_group ON checkpoints (group_id, epoch) WHERE group_id IS NOT NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE checkpoints`);
    await q.query(`DROP TABLE group_cuts`);
  }
}
