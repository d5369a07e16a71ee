import { type MigrationInterface, type QueryRunner } from 'typeorm';

/** What each host can do beyond running domains (today: whether it enforces bandwidth), probed at registration. */
export class AddHostFeatures1764849600000 implements MigrationInterface {
  name = 'AddHostFeatures1764849600000';

  async up(q: QueryRunner): Promise<void> {
    // Hosts registered before this column existed were never probed: say so rather than claim enforcement.
    const unknown = JSON.stringify({ bandwidthQoS: { enforced: false, reason: 'not probed: registered before host features were recorded' } });
    await q.query(`ALTER TABLE hosts ADD COLUMN features jsonb NOT NULL DEFAULT '${unknown}'::jsonb`);
    await q.query(`ALTER TABLE hosts ALTER COLUMN features DROP DEFAULT`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE hosts DROP COLUMN features`);
  }
}
