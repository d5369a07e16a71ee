/**
 * The federation as it runs for real: three site brokers as separate OS processes (the compiled broker, dist/),
 * each with its own PostgreSQL database and simulated hosts, talking signed RS-RS over the real Kafka.
 * A replicas="2" service submitted at A is deployed at A and replicated to B and C under contracts; killing C's
 * process makes A and B mark it dead within the configured time; restarting it brings it back to alive after m
 * good beats; a forged, a tampered and a replayed message sent to A's inbox are rejected onto rsrs.dead-letter.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Consumer, type Producer } from 'kafkajs';
import { TestFederation } from '@reservoir/adapters/federation/test-federation';
import { type DeadLetter } from '@reservoir/domain/federation/protocol/dead-letter';
import { PROTOCOL_VERSION, type UnsignedEnvelope } from '@reservoir/domain/federation/protocol/envelope';
import { inboxTopic, RSRS_DEAD_LETTER_TOPIC } from '@reservoir/domain/federation/protocol/topics';
import { createTestKafka, describeWithKafka, TEST_KAFKA_BROKERS, watchTopic } from '../libs/testing/real-services';
import { eventually } from '../libs/testing/eventually';
import { freePort, freshSiteDatabase, SiteProcess } from '../libs/testing/site-process';

process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';
jest.setTimeout(120_000);

const TIMING = { heartbeatMs: 250, suspectAfterBeats: 3, deadAfterMs: 2500, aliveAfterBeats: 3 };

describeWithKafka('a three-site federation over Kafka, one process per site', () => {
  const run = Date.now().toString(36).slice(-5);
  const ids = { a: `k${run}-a`, b: `k${run}-b`, c: `k${run}-c` };
  const dir = mkdtempSync(join(tmpdir(), 'reservoir-fedk-'));
  const fed = new TestFederation(Object.values(ids));
  const files = fed.writeFiles(dir);
  const sites = new Map<string, SiteProcess>();
  const kafka = createTestKafka(`fedk-${run}`);
  let producer: Producer | undefined;
  let watcher: Consumer | undefined;
  const letters: DeadLetter[] = [];

  const site = (id: string) => sites.get(id) as SiteProcess;
  const get = async (id: string, path: string) => {
    const res = await fetch(`${site(id).url}${path}`);
    return { status: res.status, body: (await res.json()) as unknown };
  };
  const until = <T>(what: string, probe: () => Promise<T | undefined>, ms = 60_000): Promise<T> =>
    eventually(what, () => probe().catch(() => undefined), { ms, everyMs: 100, context: () => [...sites.values()].map((s) => s.log.slice(-3000)).join('\n---\n') });
  const stateOf = async (observer: string, peer: string) =>
    ((await get(observer, '/v1/sites')).body as { id: string; state: string }[]).find((s) => s.id === peer)?.state;

  beforeAll(async () => {
    for (const id of Object.values(ids)) {
      const url = await freshSiteDatabase(id.replace(/-/g, '_'));
      sites.set(id, new SiteProcess({
        siteId: id,
        port: await freePort(),
        env: {
          RESERVOIR_DATABASE_URL: url, RESERVOIR_BUS: 'kafka', RESERVOIR_KAFKA_BROKERS: TEST_KAFKA_BROKERS, RESERVOIR_KAFKA_PARTITIONS: '1',
          RESERVOIR_SITE_KEY_FILE: files.keyFiles[id] as string, RESERVOIR_FEDERATION_FILE: files.federationFile,
          RESERVOIR_HEARTBEAT_MS: String(TIMING.heartbeatMs), RESERVOIR_SUSPECT_AFTER_BEATS: String(TIMING.suspectAfterBeats),
          RESERVOIR_DEAD_AFTER_MS: String(TIMING.deadAfterMs), RESERVOIR_ALIVE_AFTER_BEATS: String(TIMING.aliveAfterBeats),
          RESERVOIR_CFP_WINDOW_MS: '1500', RESERVOIR_RECONCILE_PERIOD_MS: '1000',
          RESERVOIR_DATA_DIR: join(dir, id),
        },
      }));
    }
    await Promise.all([...sites.values()].map((s) => s.start()));
    for (const [id, s] of sites) {
      for (const rack of [1, 2, 3]) {
        const res = await fetch(`${s.url}/v1/hosts`, {
          method: 'POST', headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ name: `h${rack}`, uri: `sim://${id}-h${rack}?vcpu=16&memory-mib=16384&disk-gib=500&failure-domain=rack${rack}` }),
        });
        expect(res.status).toBe(201);
      }
    }
    producer = kafka.producer();
    await producer.connect();
    watcher = await watchTopic(kafka, RSRS_DEAD_LETTER_TOPIC, `fedk-watch-${run}`, (value) => {
      const letter = JSON.parse(value) as DeadLetter;
      if (letter.topic === inboxTopic(ids.a)) letters.push(letter);
    });
  }, 120_000);

  afterAll(async () => {
    await Promise.all([...sites.values()].map((s) => s.stop()));
    await watcher?.disconnect();
    await producer?.disconnect();
    rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it('has every site see the two others alive', async () => {
    for (const observer of Object.values(ids)) {
      for (const peer of Object.values(ids).filter((p) => p !== observer)) {
        await until(`${observer} to see ${peer} alive`, async () => ((await stateOf(observer, peer)) === 'alive' ? true : undefined));
      }
    }
  });

  it('deploys a replicas="2" service at A and replicates it to B and C under contracts', async () => {
    const manifest = (await import('node:fs')).readFileSync(join(__dirname, '../schemas/examples/web-shop.xml'));
    const created = await fetch(`${site(ids.a).url}/v1/services`, { method: 'POST', headers: { 'content-type': 'application/xml' }, body: manifest });
    expect(created.status).toBe(201);
    const { id } = (await created.json()) as { id: string };
    type Replica = { site: string; phase: string; contract: { phase: string } };
    const service = await until('both replicas running', async () => {
      const s = (await get(ids.a, `/v1/services/${id}`)).body as { phase: string; replicas: Replica[]; loadBalancing: Record<string, number> };
      return s.phase === 'running' && s.replicas.length === 2 && s.replicas.every((r) => r.phase === 'running') ? s : undefined;
    });
    expect(service.replicas.map((r) => r.site)).toEqual([ids.b, ids.c]);
    expect(service.replicas.every((r) => r.contract.phase === 'active')).toBe(true);
    for (const replicaSite of [ids.b, ids.c]) {
      const list = (await get(replicaSite, '/v1/services')).body as { items: { id: string }[] };
      expect(list.items).toHaveLength(1);
      const replica = (await get(replicaSite, `/v1/services/${list.items[0]?.id}`)).body as { replicaOf: { site: string; serviceId: string }; vees: unknown[] };
      expect(replica.replicaOf).toMatchObject({ site: ids.a, serviceId: id });
      expect(replica.vees).toHaveLength(5);
    }
  });

  it('marks C dead at A and B within the configured time after its process is killed, and alive again after it restarts', async () => {
    await site(ids.c).kill();
    const killedAt = Date.now();
    for (const observer of [ids.a, ids.b]) {
      await until(`${observer} to see ${ids.c} dead`, async () => ((await stateOf(observer, ids.c)) === 'dead' ? true : undefined), 30_000);
    }
    const detection = Date.now() - killedAt;
    // dead after deadAfterMs of silence, checked once per beat (plus the polling of this test).
    expect(detection).toBeGreaterThanOrEqual(TIMING.deadAfterMs - TIMING.heartbeatMs);
    expect(detection).toBeLessThan(TIMING.deadAfterMs + 4 * TIMING.heartbeatMs + 1000);
    await site(ids.c).start();
    const restartedAt = Date.now();
    for (const observer of [ids.a, ids.b]) {
      await until(`${observer} to see ${ids.c} alive again`, async () => ((await stateOf(observer, ids.c)) === 'alive' ? true : undefined), 60_000);
    }
    // Not before m good beats.
    expect(Date.now() - restartedAt).toBeGreaterThanOrEqual((TIMING.aliveAfterBeats - 1) * TIMING.heartbeatMs);
  });

  it('dead-letters a forged, a tampered and a replayed message sent to A, acting on none', async () => {
    const unsigned = (seq: number): UnsignedEnvelope<'Heartbeat'> => {
      const id = randomUUID();
      return { v: PROTOCOL_VERSION, type: 'Heartbeat', id, from: ids.b, to: ids.a, sentAt: new Date().toISOString(), correlationId: id, body: { seq, incarnation: `probe-${run}` } };
    };
    const beat = (seq: number) => fed.sign(unsigned(seq));
    // Claims to be B, signed with a key the federation does not know.
    const forgedBeat = fed.sign(unsigned(1_000_001), TestFederation.signerFor('intruder'));
    const tampered = { ...beat(1_000_002), body: { seq: 1_000_099, incarnation: `probe-${run}` } };
    const genuine = beat(1_000_003);
    const send = (e: unknown) => (producer as Producer).send({ topic: inboxTopic(ids.a), messages: [{ key: ids.b, value: JSON.stringify(e) }] });
    await send(forgedBeat);
    await send(tampered);
    await send(genuine);
    await send(genuine); // the replay
    const ours = () => letters.filter((l) => [forgedBeat.id, tampered.id, genuine.id].some((x) => l.raw.includes(x)));
    await until('three dead letters', async () => (ours().length >= 3 ? true : undefined), 30_000);
    expect(ours().map((l) => l.reason).sort()).toEqual(['bad-signature', 'bad-signature', 'replay']);
    expect(ours().find((l) => l.reason === 'replay')?.raw).toBe(JSON.stringify(genuine));
    // A still sees B alive: the odd heartbeats changed nothing it acts on.
    expect(await stateOf(ids.a, ids.b)).toBe('alive');
  });
});
