import { rmSync } from 'node:fs';
import { Client } from 'pg';
import { type DataSource } from 'typeorm';
import { contractStoreContract, type ContractStoreTarget } from '@reservoir/testing/contract-store-contract';
import { FakeContractStore } from '@reservoir/testing/fakes-federation';
import { describeWithPostgres, TEST_DATABASE_URL } from '@reservoir/testing/real-services';
import { resetTestDatabase, tempDataDir } from '@reservoir/testing/broker-harness';
import { openDataSource, type StoreLocation } from './data-source';
import { TypeormContractStore } from './typeorm-contract.store';

/**
 * The shared ContractStore suite (libs/testing/contract-store-contract.ts) on the PostgreSQL server, on embedded
 * PGlite and on the in-memory fake. The server runs in a database of its own, so this file never races the e2e
 * tests (or another run) that reset the shared test database.
 */
jest.setTimeout(60000);

const OWN_DATABASE = 'reservoir_test_contract_store';

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
function typeormTarget(open: () => Promise<StoreLocation>, close: () => void = () => undefined): ContractStoreTarget {
  let ds: DataSource | undefined;
  return {
    setup: async () => {
      ds = await openDataSource(await open());
    },
    makeStore: async () => {
      if (!ds) throw new Error('setup did not open the data source');
      await ds.query('TRUNCATE contract_history, contracts RESTART IDENTITY');
      return new TypeormContractStore(ds);
    },
    teardown: async () => {
      await ds?.destroy();
      close();
    },
  };
}

describeWithPostgres('on the PostgreSQL server', () => {
  contractStoreContract(
    'TypeormContractStore',
    typeormTarget(async () => {
      await ensureOwnDatabase();
      await resetTestDatabase(ownDatabaseUrl());
      return { kind: 'server', url: ownDatabaseUrl() };
    }),
  );
});

describe('on embedded PGlite', () => {
  let dataDir = '';
  contractStoreContract(
    'TypeormContractStore',
    typeormTarget(
      async () => {
        dataDir = tempDataDir('reservoir-contracts-');
        return { kind: 'embedded', dataDir };
      },
      () => rmSync(dataDir, { recursive: true, force: true }),
    ),
  );
});

contractStoreContract('FakeContractStore', { makeStore: async () => new FakeContractStore() });
