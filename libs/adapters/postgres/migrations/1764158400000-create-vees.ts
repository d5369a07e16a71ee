import { type MigrationInterface, type QueryRunner } from 'typeorm';

/** VEEs and their phase history; placement errors of a service; who made each service transition. */
export class CreateVees1764158400000 implements MigrationInterface {
  name = 'CreateVees1764158400000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE services ADD COLUMN placement_errors jsonb`);
    await q.query(`ALTER TABLE service_phase_history ADD COLUMN actor text`);
    await q.query(`
      CREATE TABLE vees (
        id uuid PRIMARY KEY,
        service_id uuid NOT NULL REFERENCES services (id) ON DELETE CASCADE,
        service_name text NOT NULL,
        tier text NOT NULL,
        idx integer NOT NULL CHECK (idx >= 0),
        host_id uuid NOT NULL,
        host_name text NOT NULL,
        role text NOT NULL,
        phase text NOT NULL,
        domain text NOT NULL,
        console_log text NOT NULL,
        spec jsonb NOT NULL,
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL
      )`);
    await q.query(`CREATE INDEX vees_service ON vees (service_id, created_at)`);
    await q.query(`CREATE INDEX vees_host_live ON vees (host_id) WHERE phase <> 'deleted'`);
    await q.query(`CREATE UNIQUE INDEX vees_domain_live ON vees (host_id, domain) WHERE phase <> 'deleted'`);
    await q.query(`
      CREATE TABLE vee_phase_history (
        seq bigserial PRIMARY KEY,
        vee_id uuid NOT NULL REFERENCES vees (id) ON DELETE CASCADE,
        service_id uuid NOT NULL,
        from_phase text,
        to_phase text NOT NULL,
        reason text NOT NULL,
        actor text NOT NULL,
        at timestamptz NOT NULL
      )`);
    await q.query(`CREATE INDEX vee_phase_history_service ON vee_phase_history (service_id, seq)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE vee_phase_history`);
    await q.query(`DROP TABLE vees`);
    await q.query(`ALTER TABLE service_phase_history DROP COLUMN actor`);
    await q.query(`ALTER TABLE services DROP COLUMN placement_errors`);
  }
}
