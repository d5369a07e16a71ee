import { rmSync } from 'node:fs';
import { type DataSource } from 'typeorm';
import { checkpointStoreContract } from '@reservoir/testing/checkpoint-store-contract';
import { onServerAndPglite } from '@reservoir/testing/store-suite-targets';
import { FakeCheckpointStore } from '@reservoir/testing/fakes-protection';
import { tempDataDir } from '@reservoir/testing/broker-harness';
import { openDataSource } from './data-source';
import { TypeormCheckpointStore } from './typeorm-checkpoint.store';

/**
 * The shared CheckpointStore suite (libs/testing/checkpoint-store-contract.ts) on the PostgreSQL server, on embedded
 * PGlite and on the in-memory fake. The server runs in a database of its own, so this file never races the e2e
 * tests (or another run) that reset the shared test database.
 */
jest.setTimeout(60000);

onServerAndPglite('TypeormCheckpointStore', 'checkpoints, group_cuts', (ds) => new TypeormCheckpointStore(ds), checkpointStoreContract);

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
