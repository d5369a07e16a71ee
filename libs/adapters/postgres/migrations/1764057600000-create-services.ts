import { type MigrationInterface, type QueryRunner } from 'typeorm';

/** Services and their phase history. */
export class CreateServices1764057600000 implements MigrationInterface {
  name = 'CreateServices1764057600000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE services (
        id uuid PRIMARY KEY,
        site_id text NOT NULL,
        name text NOT NULL,
        phase text NOT NULL,
        definition jsonb NOT NULL,
        manifest_xml bytea NOT NULL,
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL
      )`);
    await q.query(`CREATE UNIQUE INDEX services_name_live ON services (name)`);
    await q.query(`CREATE INDEX services_created_at ON services (created_at DESC, id)`);
    await q.query(`
      CREATE TABLE service_phase_history (
        seq bigserial PRIMARY KEY,
        service_id uuid NOT NULL REFERENCES services (id) ON DELETE CASCADE,
        from_phase text,
        to_phase text NOT NULL,
        reason text NOT NULL,
        at timestamptz NOT NULL
      )`);
    await q.query(`CREATE INDEX service_phase_history_service ON service_phase_history (service_id, seq)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE service_phase_history`);
    await q.query(`DROP TABLE services`);
  }
}
