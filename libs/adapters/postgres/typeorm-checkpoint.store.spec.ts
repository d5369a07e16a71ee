import { rmSync } from 'node:fs';
import { Client } from 'pg';
import { type DataSource } from 'typeorm';
import { checkpointStoreContract, type CheckpointStoreTarget } from '@reservoir/testing/checkpoint-store-contract';
import { FakeCheckpointStore } from '@reservoir/testing/fakes-protection';
import { describeWithPostgres, TEST_DATABASE_URL } from '@reservoir/testing/real-services';
import { resetTestDatabase, tempDataDir } from '@reservoir/testing/broker-harness';
import { openDataSource, type StoreLocation } from './data-source';
import { TypeormCheckpointStore } from './typeorm-checkpoint.store';

/**
 * The shared CheckpointStore suite (libs/testing/checkpoint-store-contract.ts) on the PostgreSQL server, on embedded
 * PGlite and on the in-memory fake. The server runs in a database of its own, so this file never races the e2e
 * tests (or another run) that reset the shared test database.
 */
jest.setTimeout(60000);

const OWN_DATABASE = 'reservoir_test_checkpoint_store';

function ownDatabaseUrl(): string {
  const url = new URL(TEST_DATABASE_URL);
  url.pathname = `/${OWN_DATABASE}`;
  return url.toString();
}

async function ensureOwnDatabase(): Promise<void> {
  const client = new Client({ connectionString: TEST_DATABASE_URL });
  await client.connect();
  try {
    await client.query(`CREATE DATABASE ${OWN_DATABASE}`);
  } catch (err) {
    // 42P04: it exists; 23505: another run created it at the same moment.
    const code = (err as { code?: string }).code;
    if (code !== '42P04' && code !== '23505') throw err;
  } finally {
    await client.end();
  }
}

/** Opens one migrated DataSource for the whole suite; each test gets the tables emptied. */
function typeormTarget(open: () => Promise<StoreLocation>, close: () => void = () => undefined): CheckpointStoreTarget {
  let ds: DataSource | undefined;
  return {
    setup: async () => {
      ds = await openDataSource(await open());
    },
    makeStore: async () => {
      if (!ds) throw new Error('setup did not open the data source');
      await ds.query('TRUNCATE checkpoints, group_cuts');
      return new TypeormCheckpointStore(ds);
    },
    teardown: async () => {
      await ds?.destroy();
      close();
    },
  };
}

describeWithPostgres('on the PostgreSQL server', () => {
  checkpointStoreContract(
    'TypeormCheckpointStore',
    typeormTarget(async () => {
      await ensureOwnDatabase();
      await resetTestDatabase(ownDatabaseUrl());
      return { kind: 'server', url: ownDatabaseUrl() };
    }),
  );
});

describe('on embedded PGlite', () => {
  let dataDir = '';
  checkpointStoreContract(
    'TypeormCheckpointStore',
    typeormTarget(
      async () => {
        dataDir = tempDataDir('reservoir-checkpoints-');
        return { kind: 'embedded', dataDir };
      },
      () => rmSync(dataDir, { recursive: true, force: true }),
    ),
  );
});

checkpointStoreContract('FakeCheckpointStore', { makeStore: async () => new FakeCheckpointStore() });

describe('checkpoints table on embedded PGlite', () => {
  let dataDir = '';
  let ds: DataSource | undefined;
  beforeAll(async () => {
    dataDir = tempDataDir('reservoir-checkpoints-check-');
    ds = await openDataSource({ kind: 'embedded', dataDir });
  });
  afterAll(async () => {
    await ds?.destroy();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('refuses by itself what the store refuses first: a malformed digest, a complete row without one, a part without its cut', async () => {
    const insert = (id: string, sha256: string | null, complete: boolean, groupId: string | null = null) =>
      ds?.query(
        `INSERT INTO checkpoints (id, vee_id, service_id, group_id, epoch, created_at, completed_at, size_bytes, sha256, locations, complete)
         VALUES ($1, gen_random_uuid(), gen_random_uuid(), $2, 1, now(), now(), 1, $3, '[]', $4)`,
        [id, groupId, sha256, complete],
      );
    await expect(insert('upper', 'A'.repeat(64), false)).rejects.toThrow(/check constraint/i);
    await expect(insert('short', 'a'.repeat(63), false)).rejects.toThrow(/check constraint/i);
    await expect(insert('no-digest', null, true)).rejects.toThrow(/check constraint/i);
    await expect(insert('orphan-part', 'a'.repeat(64), false, 'g-none')).rejects.toThrow(/foreign key/i);
    await insert('fine', 'a'.repeat(64), true);
    expect(await ds?.query(`SELECT id FROM checkpoints`)).toEqual([{ id: 'fine' }]);
  });
});
