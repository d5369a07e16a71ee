import { type MigrationInterface, type QueryRunner } from 'typeorm';

const PHASES = `'proposed', 'offered', 'awarded', 'active', 'released', 'expired', 'broken'`;

/**
 * Federation contracts as this site keeps them (one row per contract, seen from its side) and their history.
 * Contract and service ids are text, not uuid: they come from peers, and the RS-RS schema admits any `entityId`
 * (UUIDs in practice). `local_service_id` names a service of this site, so it is a uuid.
 */
export class CreateContracts1765022400000 implements MigrationInterface {
  name = 'CreateContracts1765022400000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE contracts (
        id text PRIMARY KEY,
        service_id text NOT NULL,
        role text NOT NULL CHECK (role IN ('consumer', 'provider')),
        peer text NOT NULL,
        tiers jsonb NOT NULL,
        price_per_hour double precision NOT NULL CHECK (price_per_hour >= 0),
        currency text NOT NULL,
        phase text NOT NULL CHECK (phase IN (${PHASES})),
        expires_at timestamptz NOT NULL,
        correlation_id text NULL,
        local_service_id uuid NULL,
        replica jsonb NULL,
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL
      )`);
    await q.query(`CREATE INDEX contracts_service ON contracts (service_id, created_at)`);
    await q.query(`CREATE INDEX contracts_phase ON contracts (phase)`);
    await q.query(`
      CREATE TABLE contract_history (
        seq bigserial PRIMARY KEY,
        contract_id text NOT NULL REFERENCES contracts (id) ON DELETE CASCADE,
        service_id text NOT NULL,
        from_phase text NULL CHECK (from_phase IN (${PHASES})),
        to_phase text NOT NULL CHECK (to_phase IN (${PHASES})),
        reason text NOT NULL,
        actor text NOT NULL,
        at timestamptz NOT NULL,
        expires_at timestamptz NOT NULL
      )`);
    await q.query(`CREATE INDEX contract_history_contract ON contract_history (contract_id, seq)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE contract_history`);
    await q.query(`DROP TABLE contracts`);
  }
}
