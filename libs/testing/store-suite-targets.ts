import { rmSync } from 'node:fs';
import { type DataSource } from 'typeorm';
import { openDataSource, type StoreLocation } from '../adapters/postgres/data-source';
import { tempDataDir } from './broker-harness';
import { describeWithPostgres } from './real-services';
import { freshSiteDatabase } from './site-process';

/** What a store behaviour suite needs of its target (the shape of ContractStoreTarget, CheckpointStoreTarget, …). */
export interface StoreSuiteTarget<S> {
  setup?: () => Promise<void>;
  makeStore: () => Promise<S>;
  teardown?: () => Promise<void>;
}

/**
 * Runs a TypeORM store's behaviour suite on the PostgreSQL server — in a database of its own (`<test db>_<name>`),
 * so it never races the e2e tests that reset the shared one — and on embedded PGlite: one migrated DataSource per
 * target, `tables` truncated before each test.
 */
export function onServerAndPglite<S>(
  name: string,
  tables: string,
  build: (ds: DataSource) => S,
  suite: (label: string, target: StoreSuiteTarget<S>) => void,
): void {
  const target = (open: () => Promise<StoreLocation>, close: () => void = () => undefined): StoreSuiteTarget<S> => {
    let ds: DataSource | undefined;
    return {
      setup: async () => {
        ds = await openDataSource(await open());
      },
      makeStore: async () => {
        if (!ds) throw new Error('setup did not open the data source');
        await ds.query(`TRUNCATE ${tables} RESTART IDENTITY`);
        return build(ds);
      },
      teardown: async () => {
        await ds?.destroy();
        close();
      },
    };
  };
  describeWithPostgres('on the PostgreSQL server', () => {
    suite(name, target(async () => ({ kind: 'server', url: await freshSiteDatabase(name.toLowerCase()) })));
  });
  describe('on embedded PGlite', () => {
    let dataDir = '';
    suite(
      name,
      target(
        async () => {
          dataDir = tempDataDir(`reservoir-${name.toLowerCase()}-`);
          return { kind: 'embedded', dataDir };
        },
        () => rmSync(dataDir, { recursive: true, force: true }),
      ),
    );
  });
}
