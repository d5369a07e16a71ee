import { type CheckpointLocation, type CheckpointRecord, type GroupCutRecord } from '@reservoir/domain/protection/checkpoints/checkpoint-record';
import { planRetention } from '@reservoir/domain/protection/checkpoints/retention';
import { type CheckpointStore, type NewCheckpoint, type StoredCheckpoint } from '@reservoir/domain/ports/checkpoint-store.port';
import { type DomainErrorCode } from '@reservoir/domain/shared/domain-error';

/**
 * The CheckpointStore port's contract (libs/domain/ports/checkpoint-store.port.ts) as one jest suite that every
 * implementation runs: TypeORM on the PostgreSQL server, TypeORM on embedded PGlite, and FakeCheckpointStore.
 * `makeStore` hands each test an empty store; `setup`/`teardown` open and close what the stores share.
 */
export interface CheckpointStoreTarget {
  setup?(): Promise<void>;
  makeStore(): Promise<CheckpointStore>;
  teardown?(): Promise<void>;
}

const T0 = new Date('2026-03-01T10:00:00.000Z');
const at = (minutes: number): Date => new Date(T0.getTime() + minutes * 60_000);
/** Beyond 2^31 and 2^32: a bigint column read back as a string must still come back as this number. */
const BIG = 6 * 1024 ** 3 + 7;
const SERVICE = '50000000-0000-4000-8000-000000000001';
const vee = (n: number): string => `e0000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
const sha = (c: string): string => c.repeat(64);
const local = (n: number): CheckpointLocation => ({ kind: 'local', siteId: 'site-a', path: `/var/lib/reservoir/ckpt/${n}.img` });
const shipped = (n: number): CheckpointLocation => ({ kind: 'shipped', siteId: 'site-b', path: `dc://site-b/ckpt/${n}` });

/** A VEE-only checkpoint of VEE `v`, captured at `at(minute)`, in progress. */
function started(id: string, v: number, epoch: number, minute: number, fields: Partial<NewCheckpoint> = {}): NewCheckpoint {
  return { id, veeId: vee(v), serviceId: SERVICE, epoch, createdAt: at(minute), locations: [local(epoch)], ...fields };
}

/** A cut of `group` at `epoch` with one part per VEE number, each named `<group>-e<epoch>-v<n>`. */
function cutOf(group: string, epoch: number, minute: number, vees: number[], complete = false): GroupCutRecord {
  const parts: CheckpointRecord[] = vees.map((v, i) => ({
    id: `${group}-e${epoch}-v${v}`, veeId: vee(v), groupId: group, epoch, createdAt: at(minute), sizeBytes: BIG + i,
    sha256: sha('abcdef0123456789'[(epoch + i) % 16] ?? 'a'), locations: [local(v)], complete,
  }));
  return { groupId: group, epoch, createdAt: at(minute), complete, parts };
}

async function rejectsWithCode(promise: Promise<unknown>, code: DomainErrorCode): Promise<void> {
  const outcome = await promise.then(() => 'resolved', (error: unknown) => error);
  expect(outcome).toMatchObject({ name: 'DomainError', code });
}

const ids = (cs: { id: string }[]): string[] => cs.map((c) => c.id);

/** Registers the suite for one implementation. */
export function checkpointStoreContract(name: string, target: CheckpointStoreTarget): void {
  describe(`${name}: CheckpointStore port contract`, () => {
    let store: CheckpointStore;

    beforeAll(async () => target.setup?.());
    afterAll(async () => target.teardown?.());
    beforeEach(async () => {
      store = await target.makeStore();
    });

    it('reads back an in-progress checkpoint with no size, digest or completion, and then the completed one', async () => {
      const c = started('ck-1', 1, 1, 0);
      await store.create(c);
      const got = await store.get('ck-1');
      expect(got).toEqual({ ...c, complete: false });
      expect(got && ('sizeBytes' in got || 'sha256' in got || 'completedAt' in got || 'groupId' in got)).toBe(false);
      expect(got?.createdAt).toBeInstanceOf(Date);

      const completion = { sizeBytes: BIG, sha256: '0123456789abcdef'.repeat(4), locations: [local(1), shipped(1)], completedAt: at(3) };
      expect(await store.complete('ck-1', completion)).toBe(true);
      const done = await store.get('ck-1');
      expect(done).toEqual({ ...c, ...completion, complete: true });
      expect(done?.sizeBytes).toBe(6442450951);
      expect(done?.completedAt).toBeInstanceOf(Date);
      expect(done?.completedAt?.getTime()).toBe(at(3).getTime());
      expect(await store.get('ck-none')).toBeUndefined();
    });

    it('keeps a size and digest given at creation', async () => {
      const c = started('ck-2', 1, 1, 0, { sizeBytes: 2 ** 31 + 1, sha256: sha('f') });
      await store.create(c);
      expect(await store.get('ck-2')).toEqual({ ...c, complete: false });
    });

    it("keeps a checkpoint's trigger and the host of a local location, for VEE-only checkpoints and parts of cuts", async () => {
      const onHost: CheckpointLocation = { ...local(1), hostId: 'host-1' };
      const c = started('ck-t', 1, 1, 0, { trigger: 'monitoring-rule:cpu-high', locations: [onHost] });
      await store.create(c);
      expect(await store.get('ck-t')).toEqual({ ...c, complete: false });
      expect(await store.complete('ck-t', { sizeBytes: 1, sha256: sha('1'), locations: [onHost, shipped(1)], completedAt: at(1) })).toBe(true);
      expect((await store.get('ck-t'))?.locations).toEqual([onHost, shipped(1)]);
      const cut = cutOf('g-t', 1, 5, [1, 2], true);
      const withTrigger = { ...cut, parts: cut.parts.map((p) => ({ ...p, trigger: 'api' as const, locations: [{ ...p.locations[0] as CheckpointLocation, hostId: 'host-2' }] })) };
      await store.createCut(withTrigger, SERVICE);
      expect(await store.getCut('g-t', 1)).toEqual(withTrigger);
      expect(await store.get('ck-none')).toBeUndefined();
      await rejectsWithCode(store.create(started('ck-t2', 1, 2, 0, { trigger: 'whenever' as NewCheckpoint['trigger'] })), 'invalid-input');
      expect(await store.get('ck-t2')).toBeUndefined();
    });

    it('refuses a second checkpoint with the same id as a conflict and keeps the first untouched', async () => {
      const first = started('ck-3', 1, 1, 0);
      await store.create(first);
      await rejectsWithCode(store.create(started('ck-3', 2, 7, 5, { sizeBytes: 1, sha256: sha('a') })), 'conflict');
      expect(await store.get('ck-3')).toEqual({ ...first, complete: false });
    });

    it('completes a checkpoint once: a second completion, or one of an unknown id, answers false and changes nothing', async () => {
      await store.create(started('ck-4', 1, 1, 0));
      const first = { sizeBytes: 10, sha256: sha('1'), locations: [local(1)], completedAt: at(1) };
      expect(await store.complete('ck-4', first)).toBe(true);
      expect(await store.complete('ck-4', { sizeBytes: 20, sha256: sha('2'), locations: [shipped(1)], completedAt: at(2) })).toBe(false);
      expect(await store.get('ck-4')).toMatchObject({ ...first, complete: true });
      expect(await store.complete('ck-none', first)).toBe(false);
      expect(await store.get('ck-none')).toBeUndefined();
    });

    it('lets exactly one of two concurrent completions win', async () => {
      for (let i = 0; i < 6; i += 1) await store.create(started(`ck-c${i}`, 1, i + 1, i));
      const outcomes = await Promise.all(
        Array.from({ length: 6 }, async (_, i) => {
          const a = { sizeBytes: 1, sha256: sha('a'), locations: [local(i)], completedAt: at(10) };
          const b = { sizeBytes: 2, sha256: sha('b'), locations: [local(i)], completedAt: at(11) };
          const [wonA, wonB] = await Promise.all([store.complete(`ck-c${i}`, a), store.complete(`ck-c${i}`, b)]);
          return { i, wonA, wonB, winner: wonA ? a : b };
        }),
      );
      for (const { i, wonA, wonB, winner } of outcomes) {
        expect(wonA !== wonB).toBe(true);
        expect(await store.get(`ck-c${i}`)).toMatchObject({ sizeBytes: winner.sizeBytes, sha256: winner.sha256 });
      }
    });

    it('refuses a malformed digest, size or record as invalid-input before writing anything', async () => {
      for (const bad of [sha('A'), 'a'.repeat(63), `${'a'.repeat(63)}g`, ` ${'a'.repeat(64)}`]) {
        await rejectsWithCode(store.create(started('ck-bad', 1, 1, 0, { sha256: bad })), 'invalid-input');
      }
      await rejectsWithCode(store.create(started('ck-bad', 1, 1, 0, { sizeBytes: -1 })), 'invalid-input');
      await rejectsWithCode(store.create(started('ck-bad', 1, 0, 0)), 'invalid-input');
      await rejectsWithCode(store.create(started('ck-bad', 1, 1, 0, { locations: [] })), 'invalid-input');
      const asPart = { ...started('ck-bad', 1, 1, 0), groupId: 'g' } as NewCheckpoint;
      await rejectsWithCode(store.create(asPart), 'invalid-input');
      expect(await store.get('ck-bad')).toBeUndefined();

      await store.create(started('ck-5', 1, 1, 0));
      const completion = { sizeBytes: 1, sha256: sha('E'), locations: [local(1)], completedAt: at(1) };
      await rejectsWithCode(store.complete('ck-5', completion), 'invalid-input');
      await rejectsWithCode(store.complete('ck-5', { ...completion, sha256: sha('e'), sizeBytes: 1.5 }), 'invalid-input');
      expect(await store.get('ck-5')).toEqual({ ...started('ck-5', 1, 1, 0), complete: false });

      const cut = cutOf('g-bad', 1, 0, [1, 2]);
      const badPart = { ...cut, parts: [cut.parts[0], { ...cut.parts[1], sha256: 'not-a-digest' }] as CheckpointRecord[] };
      await rejectsWithCode(store.createCut(badPart, SERVICE), 'invalid-input');
      await rejectsWithCode(store.createCut({ ...cut, parts: [] }, SERVICE), 'invalid-input');
      await rejectsWithCode(store.createCut({ ...cut, parts: cut.parts.map((p) => ({ ...p, epoch: 2 })) }, SERVICE), 'invalid-input');
      expect(await store.getCut('g-bad', 1)).toBeUndefined();
      expect(await store.listByVee(vee(2))).toEqual([]);
    });

    it('adds shipped locations once each, and refuses an unknown checkpoint as not-found', async () => {
      await store.create(started('ck-6', 1, 1, 0));
      await store.addLocation('ck-6', shipped(6));
      await store.addLocation('ck-6', shipped(6));
      expect((await store.get('ck-6'))?.locations).toEqual([local(1), shipped(6)]);
      await rejectsWithCode(store.addLocation('ck-none', shipped(1)), 'not-found');
    });

    it("lists a VEE's checkpoints newest first (time, then epoch), parts of cuts included, in progress or not", async () => {
      await store.create(started('ck-a', 1, 1, 0));
      await store.create(started('ck-c', 1, 3, 20));
      await store.create(started('ck-b', 1, 2, 20));
      await store.create(started('ck-other', 2, 1, 30));
      await store.createCut(cutOf('g1', 1, 10, [1, 2], true), SERVICE);
      expect(await store.complete('ck-a', { sizeBytes: 5, sha256: sha('5'), locations: [local(1)], completedAt: at(1) })).toBe(true);
      expect(ids(await store.listByVee(vee(1)))).toEqual(['ck-c', 'ck-b', 'g1-e1-v1', 'ck-a']);
      expect(ids(await store.listByVee(vee(2)))).toEqual(['ck-other', 'g1-e1-v2']);
      expect(await store.listByVee(vee(9))).toEqual([]);
    });

    it('stores a cut with its parts, completes it once, and lists cuts and parts newest first', async () => {
      const cut = cutOf('g2', 1, 0, [1, 2, 3]);
      await store.createCut(cut, SERVICE);
      expect(await store.getCut('g2', 1)).toEqual(cut);
      expect(await store.get('g2-e1-v1')).toEqual({ ...cut.parts[0], serviceId: SERVICE });

      expect(await store.completeCut('g2', 1, at(2))).toBe(true);
      expect(await store.completeCut('g2', 1, at(3))).toBe(false);
      expect(await store.completeCut('g2', 9, at(3))).toBe(false);
      expect(await store.getCut('g2', 1)).toEqual({ ...cut, complete: true, parts: cut.parts.map((p) => ({ ...p, complete: true })) });
      expect((await store.get('g2-e1-v3'))?.completedAt).toEqual(at(2));
      await rejectsWithCode(store.complete('g2-e1-v1', { sizeBytes: 1, sha256: sha('1'), locations: [local(1)], completedAt: at(4) }), 'invalid-input');

      const second = cutOf('g2', 2, 60, [1, 2, 3], true);
      await store.createCut(second, SERVICE);
      await store.createCut(cutOf('g3', 1, 5, [4]), SERVICE);
      expect((await store.get('g2-e2-v2'))?.completedAt).toEqual(at(60));
      expect((await store.listCuts('g2')).map((c) => [c.epoch, c.complete, c.parts.length])).toEqual([[2, true, 3], [1, true, 3]]);
      expect(await store.listCuts('g2')).toEqual([second, await store.getCut('g2', 1)]);
      expect(ids(await store.listByGroup('g2'))).toEqual(['g2-e2-v3', 'g2-e2-v2', 'g2-e2-v1', 'g2-e1-v3', 'g2-e1-v2', 'g2-e1-v1']);
      expect(await store.listCuts('g-none')).toEqual([]);
      expect(await store.getCut('g-none', 1)).toBeUndefined();
    });

    it('refuses a cut that exists, or whose part id exists, as a conflict and writes none of it', async () => {
      await store.createCut(cutOf('g4', 1, 0, [1, 2]), SERVICE);
      await rejectsWithCode(store.createCut(cutOf('g4', 1, 5, [3]), SERVICE), 'conflict');
      await store.create(started('g5-e1-v2', 2, 1, 0));
      await rejectsWithCode(store.createCut(cutOf('g5', 1, 5, [1, 2]), SERVICE), 'conflict');
      expect(await store.getCut('g5', 1)).toBeUndefined();
      expect(await store.get('g5-e1-v1')).toBeUndefined();
      expect(ids(await store.listByVee(vee(3)))).toEqual([]);
      expect((await store.getCut('g4', 1))?.parts).toHaveLength(2);
    });

    it('removes checkpoints by id, skips unknown ids, and drops a cut only when it has no part left', async () => {
      await store.createCut(cutOf('g6', 1, 0, [1, 2], true), SERVICE);
      await store.createCut(cutOf('g6', 2, 10, [1, 2], true), SERVICE);
      await store.create(started('ck-7', 1, 1, 20));
      expect(await store.remove([])).toBe(0);
      expect(await store.remove(['ck-7', 'g6-e1-v1', 'ck-none'])).toBe(2);
      expect(await store.get('ck-7')).toBeUndefined();
      expect((await store.getCut('g6', 1))?.parts.map((p) => p.veeId)).toEqual([vee(2)]);
      expect(await store.remove(['g6-e1-v2'])).toBe(1);
      expect(await store.getCut('g6', 1)).toBeUndefined();
      expect((await store.listCuts('g6')).map((c) => c.epoch)).toEqual([2]);
      expect(ids(await store.listByVee(vee(1)))).toEqual(['g6-e2-v1']);
    });

    it('carries out a retention plan: the newest K per VEE and its newest complete cut part stay', async () => {
      await store.createCut(cutOf('g7', 1, 0, [1], true), SERVICE);
      for (let e = 1; e <= 4; e += 1) {
        await store.create(started(`ck-r${e}`, 1, e, 10 * e));
        expect(await store.complete(`ck-r${e}`, { sizeBytes: e, sha256: sha('c'), locations: [local(e)], completedAt: at(10 * e + 1) })).toBe(true);
      }
      await store.create(started('ck-r5', 1, 5, 50));
      const plan = planRetention<StoredCheckpoint>(await store.listByVee(vee(1)), 2);
      expect(await store.remove(ids(plan.prune))).toBe(2);
      expect(ids(await store.listByVee(vee(1)))).toEqual(['ck-r5', 'ck-r4', 'ck-r3', 'g7-e1-v1']);
      expect(planRetention<StoredCheckpoint>(await store.listByVee(vee(1)), 2).prune).toEqual([]);
    });
  });
}
