/**
 * TypeormSeenMessages and its migration on both stores: the real PostgreSQL server (TEST_DATABASE_URL) and the
 * embedded PGlite. The server suite works in a schema of its own (search_path), not in `public`, so it never
 * disturbs, and is never disturbed by, e2e suites that reset the test database at the same time.
 */
import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { type DataSource } from 'typeorm';
import { describeWithPostgres, TEST_DATABASE_URL } from '@reservoir/testing/real-services';
import { tempDataDir } from '@reservoir/testing/broker-harness';
import { openDataSource } from './data-source';
import { TypeormSeenMessages } from './typeorm-seen-messages';

jest.setTimeout(60_000);

const at = (s: number) => new Date(Date.UTC(2026, 2, 2, 10, 0, s));

function contract(open: () => Promise<DataSource>): void {
  let ds: DataSource;
  let seen: TypeormSeenMessages;
  beforeAll(async () => {
    ds = await open();
    seen = new TypeormSeenMessages(ds);
  });
  afterAll(async () => {
    await ds?.destroy();
  });

  it('has the table from its migration, keyed by (sender, id) and indexed by sent_at', async () => {
    const columns = (await ds.query(
      `SELECT column_name, data_type FROM information_schema.columns WHERE table_name = 'seen_messages' AND table_schema = current_schema() ORDER BY ordinal_position`,
    )) as { column_name: string; data_type: string }[];
    expect(columns.map((c) => `${c.column_name} ${c.data_type}`)).toEqual([
      'sender text', 'id text', 'sent_at timestamp with time zone', 'received_at timestamp with time zone',
    ]);
    const indexes = (await ds.query(`SELECT indexname FROM pg_indexes WHERE tablename = 'seen_messages' AND schemaname = current_schema() ORDER BY indexname`)) as { indexname: string }[];
    expect(indexes.map((i) => i.indexname)).toEqual(['seen_messages_pkey', 'seen_messages_sent_at']);
  });

  it('remembers (sender, id) once; the same id from another sender is another message', async () => {
    const id = randomUUID();
    await expect(seen.remember(id, 'site-a', at(0))).resolves.toBe(true);
    await expect(seen.remember(id, 'site-a', at(0))).resolves.toBe(false);
    await expect(seen.remember(id, 'site-c', at(0))).resolves.toBe(true);
  });

  it('answers true to exactly one of many concurrent calls for one message', async () => {
    const id = randomUUID();
    const answers = await Promise.all(Array.from({ length: 16 }, () => seen.remember(id, 'site-a', at(1))));
    expect(answers.filter(Boolean)).toHaveLength(1);
  });

  it('forgets one message, and messages sent before an instant', async () => {
    await seen.forgetBefore(at(5)); // what the tests above left
    const early = randomUUID();
    const late = randomUUID();
    await seen.remember(early, 'site-b', at(10));
    await seen.forget(early, 'site-b');
    await expect(seen.remember(early, 'site-b', at(10))).resolves.toBe(true);
    await seen.remember(late, 'site-b', at(20));
    await expect(seen.forgetBefore(at(15))).resolves.toBe(1);
    await expect(seen.remember(late, 'site-b', at(20))).resolves.toBe(false);
    await expect(seen.remember(early, 'site-b', at(10))).resolves.toBe(true);
  });
}

describeWithPostgres('TypeormSeenMessages on the PostgreSQL server', () => {
  const schema = `seen_${process.pid}_${Date.now()}`;
  const admin = async (sql: string) => {
    const client = new Client({ connectionString: TEST_DATABASE_URL });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  };
  afterAll(() => admin(`DROP SCHEMA IF EXISTS ${schema} CASCADE`));
  contract(async () => {
    await admin(`CREATE SCHEMA ${schema}`);
    const url = new URL(TEST_DATABASE_URL);
    url.searchParams.set('options', `-c search_path=${schema}`);
    return openDataSource({ kind: 'server', url: url.toString() });
  });
});

describe('TypeormSeenMessages on the embedded store (PGlite)', () => {
  contract(() => openDataSource({ kind: 'embedded', dataDir: tempDataDir('reservoir-seen-') }));
});
