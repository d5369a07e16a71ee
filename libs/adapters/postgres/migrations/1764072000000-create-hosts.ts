import { type MigrationInterface, type QueryRunner } from 'typeorm';

/** The site's hypervisor hosts. */
export class CreateHosts1764072000000 implements MigrationInterface {
  name = 'CreateHosts1764072000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE hosts (
        id uuid PRIMARY KEY,
        name text NOT NULL,
        uri text NOT NULL,
        failure_domain text NOT NULL,
        labels jsonb NOT NULL,
        overcommit_cpu double precision NOT NULL CHECK (overcommit_cpu >= 1),
        overcommit_memory double precision NOT NULL CHECK (overcommit_memory >= 1),
        vcpu integer NOT NULL CHECK (vcpu > 0),
        memory_mib bigint NOT NULL CHECK (memory_mib > 0),
        disk_gib bigint NOT NULL CHECK (disk_gib >= 0),
        health text NOT NULL,
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL
      )`);
    await q.query(`CREATE UNIQUE INDEX hosts_name ON hosts (name)`);
    await q.query(`CREATE UNIQUE INDEX hosts_uri ON hosts (uri)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE hosts`);
  }
}
