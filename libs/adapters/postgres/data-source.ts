import { mkdirSync } from 'node:fs';
import { DataSource } from 'typeorm';
import { ServiceEntity } from './entities/service.entity';
import { ServicePhaseHistoryEntity } from './entities/service-phase-history.entity';
import { HostEntity } from './entities/host.entity';
import { VeeEntity } from './entities/vee.entity';
import { VeePhaseHistoryEntity } from './entities/vee-phase-history.entity';
import { ContractEntity } from './entities/contract.entity';
import { ContractHistoryEntity } from './entities/contract-history.entity';
import { CheckpointEntity } from './entities/checkpoint.entity';
import { GroupCutEntity } from './entities/group-cut.entity';
import { MIGRATIONS } from './migrations';
import { createPgliteDriver } from './embedded/pglite-pool';

/** Where the broker keeps its data: a PostgreSQL server, or the embedded PGlite store in a directory. */
export type StoreLocation = { kind: 'server'; url: string } | { kind: 'embedded'; dataDir: string };

export const ENTITIES = [ServiceEntity, ServicePhaseHistoryEntity, HostEntity, VeeEntity, VeePhaseHistoryEntity, ContractEntity, ContractHistoryEntity, CheckpointEntity, GroupCutEntity];

/**
 * Opens the store and brings its schema up to date by running pending migrations (never `synchronize`).
 * Both kinds speak the same SQL dialect and share one set of migrations.
 */
export async function openDataSource(location: StoreLocation): Promise<DataSource> {
  const common = {
    type: 'postgres' as const,
    entities: ENTITIES,
    migrations: MIGRATIONS,
    migrationsRun: false,
    synchronize: false,
    logging: false,
  };
  let ds: DataSource;
  if (location.kind === 'server') {
    ds = new DataSource({ ...common, url: location.url, poolSize: 10, connectTimeoutMS: 5000 });
  } else {
    mkdirSync(location.dataDir, { recursive: true });
    ds = new DataSource({ ...common, driver: createPgliteDriver(location.dataDir), poolSize: 1 });
  }
  await ds.initialize();
  try {
    await ds.runMigrations({ transaction: 'each' });
  } catch (err) {
    await ds.destroy();
    throw err;
  }
  return ds;
}
