import { openContract, renew, transitionContract, type NewContract } from '@reservoir/domain/federation/contracts/contract-transition';
import { type ContractChange, type ContractRecord } from '@reservoir/domain/federation/contracts/contract-record';
import { type ContractPhase } from '@reservoir/domain/federation/contracts/contract-phase';
import { type TierDemand } from '@reservoir/domain/federation/protocol/envelope';
import { type ContractStore, type ReplicaReport } from '@reservoir/domain/ports/contract-store.port';
import { type DomainErrorCode } from '@reservoir/domain/shared/domain-error';

/**
 * The ContractStore port's contract (libs/domain/ports/contract-store.port.ts) as one jest suite that every
 * implementation runs: TypeORM on the PostgreSQL server, TypeORM on embedded PGlite, and FakeContractStore.
 * `makeStore` hands each test an empty store; `setup`/`teardown` open and close what the stores share.
 */
export interface ContractStoreTarget {
  setup?(): Promise<void>;
  makeStore(): Promise<ContractStore>;
  teardown?(): Promise<void>;
}

const T0 = new Date('2026-03-01T10:00:00.000Z');
const at = (minutes: number): Date => new Date(T0.getTime() + minutes * 60_000);
const HOUR = 60;

const TIERS: TierDemand[] = [
  { tier: 'web', vcpu: 2, memoryMiB: 2048, diskGiB: 20, instances: 3, protection: 'restart' },
  { tier: 'db', vcpu: 4, memoryMiB: 8192, diskGiB: 200, instances: 1, protection: 'live-standby' },
];

/** A UUID-shaped id, distinct per `n` and `kind`. */
export const contractTestId = (kind: 'c' | 's' | 'l', n: number): string =>
  `${{ c: 'c0', s: '50', l: '10' }[kind]}000000-0000-4000-8000-${String(n).padStart(12, '0')}`;

/** Opens an `offered` consumer contract (or whatever `fields` says) at `at(minute)`, expiring an hour later. */
export function openedContract(n: number, fields: Partial<NewContract> = {}, minute = 0): ContractChange {
  return openContract(
    {
      id: contractTestId('c', n), serviceId: contractTestId('s', 1), role: 'consumer', peer: 'site-b', tiers: TIERS,
      pricePerHour: 12.375, currency: 'EUR', phase: 'offered', expiresAt: at(minute + HOUR), ...fields,
    },
    { at: at(minute), by: 'negotiation', reason: 'offer received' },
  );
}

type LivePhase = 'proposed' | 'offered' | 'awarded' | 'active';
const WALKS: Record<LivePhase, ContractPhase[]> = { proposed: [], offered: [], awarded: ['awarded'], active: ['awarded', 'active'] };

async function rejectsWithCode(promise: Promise<unknown>, code: DomainErrorCode): Promise<void> {
  const outcome = await promise.then(() => 'resolved', (error: unknown) => error);
  expect(outcome).toMatchObject({ name: 'DomainError', code });
}

/** Registers the suite for one implementation. */
export function contractStoreContract(name: string, target: ContractStoreTarget): void {
  describe(`${name}: ContractStore port contract`, () => {
    let store: ContractStore;

    beforeAll(async () => target.setup?.());
    afterAll(async () => target.teardown?.());
    beforeEach(async () => {
      store = await target.makeStore();
    });

    /** Creates the contract and walks it to a live `phase` along the negotiation; returns the last stored record. */
    async function stored(n: number, phase: LivePhase, fields: Partial<NewContract> = {}, minute = 0): Promise<ContractRecord> {
      const opened = openedContract(n, { ...fields, phase: phase === 'proposed' ? 'proposed' : 'offered' }, minute);
      await store.create(opened);
      let contract = opened.contract;
      for (const [i, to] of WALKS[phase].entries()) {
        const opts = { at: at(minute + i + 1), by: 'negotiation' as const, reason: `to ${to}` };
        const change = transitionContract(contract, to, to === 'awarded' ? { ...opts, expiresAt: at(minute + 10 * HOUR) } : opts);
        expect(await store.apply(change)).toBe(true);
        contract = change.contract;
      }
      return contract;
    }

    it('reads back what it created: every field, dates as Dates, tiers, price, correlation id', async () => {
      const opened = openedContract(1);
      await store.create(opened, { correlationId: 'cfp-0001' });
      const got = await store.get(opened.contract.id);
      expect(got).toEqual({ ...opened.contract, correlationId: 'cfp-0001' });
      expect(got?.expiresAt).toBeInstanceOf(Date);
      expect(got?.createdAt.getTime()).toBe(T0.getTime());
      expect(got?.localServiceId).toBeUndefined();
      expect(got?.replica).toBeUndefined();
      expect(await store.history(opened.contract.id)).toEqual([opened.entry]);
    });

    it('leaves out a correlation id it was not given, and answers undefined for an unknown id', async () => {
      const opened = openedContract(2, { role: 'provider', phase: 'proposed', pricePerHour: 0 });
      await store.create(opened);
      const got = await store.get(opened.contract.id);
      expect(got).toEqual(opened.contract);
      expect(got && 'correlationId' in got).toBe(false);
      expect(await store.get(contractTestId('c', 999))).toBeUndefined();
      expect(await store.history(contractTestId('c', 999))).toEqual([]);
    });

    it('accepts any protocol entity id, not only UUIDs', async () => {
      const opened = openedContract(3, { id: 'contract:site-a.42', serviceId: 'svc_7' });
      await store.create(opened);
      expect(await store.get('contract:site-a.42')).toEqual(opened.contract);
      expect((await store.listByService('svc_7')).map((c) => c.id)).toEqual(['contract:site-a.42']);
    });

    it('refuses a second contract with the same id as a conflict and keeps the first untouched', async () => {
      const first = openedContract(4);
      await store.create(first);
      const again = openedContract(4, { peer: 'site-c', pricePerHour: 99 }, 5);
      await rejectsWithCode(store.create(again, { correlationId: 'cfp-x' }), 'conflict');
      expect(await store.get(first.contract.id)).toEqual(first.contract);
      expect(await store.history(first.contract.id)).toEqual([first.entry]);
    });

    it('applies a transition only from the phase it expects', async () => {
      const opened = openedContract(5);
      await store.create(opened);
      const award = transitionContract(opened.contract, 'awarded', { at: at(1), by: 'negotiation', reason: 'award', expiresAt: at(48 * HOUR) });
      expect(await store.apply(award)).toBe(true);
      expect(await store.get(opened.contract.id)).toEqual(award.contract);

      const staleRelease = transitionContract(opened.contract, 'released', { at: at(2), by: 'api', reason: 'late' });
      expect(await store.apply(staleRelease)).toBe(false);
      expect(await store.apply(award)).toBe(false);
      expect((await store.get(opened.contract.id))?.phase).toBe('awarded');
      expect(await store.history(opened.contract.id)).toEqual([opened.entry, award.entry]);
    });

    it('answers false for a transition of an unknown contract and refuses an opening change', async () => {
      const ghost = openedContract(6);
      const move = transitionContract(ghost.contract, 'released', { at: at(1), by: 'api', reason: 'never stored' });
      expect(await store.apply(move)).toBe(false);
      expect(await store.history(ghost.contract.id)).toEqual([]);
      await store.create(ghost);
      await rejectsWithCode(store.apply(ghost), 'invalid-input');
    });

    it('lets exactly one of two concurrent transitions from the same phase win', async () => {
      const opened = Array.from({ length: 8 }, (_, i) => openedContract(10 + i));
      for (const o of opened) await store.create(o);
      const outcomes = await Promise.all(
        opened.map(async (o) => {
          const award = transitionContract(o.contract, 'awarded', { at: at(1), by: 'negotiation', reason: 'award', expiresAt: at(5 * HOUR) });
          const release = transitionContract(o.contract, 'released', { at: at(1), by: 'peer', reason: 'rejected' });
          const [awarded, released] = await Promise.all([store.apply(award), store.apply(release)]);
          return { o, awarded, released, winner: awarded ? award : release };
        }),
      );
      for (const { o, awarded, released, winner } of outcomes) {
        expect(awarded !== released).toBe(true);
        expect(await store.get(o.contract.id)).toEqual(winner.contract);
        expect(await store.history(o.contract.id)).toEqual([o.entry, winner.entry]);
      }
    });

    it('logs a renewal from the phase to itself, and ignores one that does not extend the stored term', async () => {
      const active = await stored(20, 'active');
      const longer = renew(active, at(30 * HOUR), at(3));
      const shorter = renew(active, at(20 * HOUR), at(3));
      expect(await store.apply(longer)).toBe(true);
      expect(await store.apply(longer)).toBe(false);
      expect(await store.apply(shorter)).toBe(false);
      const got = await store.get(active.id);
      expect(got?.expiresAt).toEqual(at(30 * HOUR));
      expect(got?.phase).toBe('active');
      const history = await store.history(active.id);
      expect(history.map((h) => [h.from, h.to])).toEqual([[null, 'offered'], ['offered', 'awarded'], ['awarded', 'active'], ['active', 'active']]);
      expect(history[3]).toEqual(longer.entry);
    });

    it('keeps the history in the order it happened, each row with the expiry it left, and per contract', async () => {
      const other = await stored(31, 'awarded', {}, 0);
      const active = await stored(30, 'active', {}, 0);
      const renewed = renew(active, at(40 * HOUR), at(5));
      expect(await store.apply(renewed)).toBe(true);
      const released = transitionContract(renewed.contract, 'released', { at: at(6), by: 'api', reason: 'service deleted' });
      expect(await store.apply(released)).toBe(true);
      const history = await store.history(active.id);
      expect(history.map((h) => [h.from, h.to, h.at.toISOString(), h.expiresAt.toISOString()])).toEqual([
        [null, 'offered', at(0).toISOString(), at(HOUR).toISOString()],
        ['offered', 'awarded', at(1).toISOString(), at(10 * HOUR).toISOString()],
        ['awarded', 'active', at(2).toISOString(), at(10 * HOUR).toISOString()],
        ['active', 'active', at(5).toISOString(), at(40 * HOUR).toISOString()],
        ['active', 'released', at(6).toISOString(), at(40 * HOUR).toISOString()],
      ]);
      expect(history[4]).toEqual(released.entry);
      expect((await store.history(other.id)).every((h) => h.contractId === other.id)).toBe(true);
      expect(await store.history(other.id)).toHaveLength(2);
    });

    it('lists live contracts only, oldest first, filtered by role and/or peer', async () => {
      await stored(40, 'offered', { role: 'consumer', peer: 'site-b' }, 0);
      await stored(41, 'proposed', { role: 'provider', peer: 'site-b' }, 1);
      await stored(42, 'active', { role: 'provider', peer: 'site-c' }, 2);
      await stored(43, 'awarded', { role: 'consumer', peer: 'site-c' }, 3);
      const ended: [number, ContractPhase][] = [[44, 'released'], [45, 'broken'], [46, 'expired']];
      for (const [n, to] of ended) {
        const o = openedContract(n, { peer: 'site-b' }, 4);
        await store.create(o);
        const when = to === 'expired' ? o.contract.expiresAt : at(5);
        expect(await store.apply(transitionContract(o.contract, to, { at: when, by: 'liveness', reason: to }))).toBe(true);
      }
      const ids = (cs: ContractRecord[]) => cs.map((c) => Number(c.id.slice(-3)));
      expect(ids(await store.listLive())).toEqual([40, 41, 42, 43]);
      expect(ids(await store.listLive({}))).toEqual([40, 41, 42, 43]);
      expect(ids(await store.listLive({ role: 'provider' }))).toEqual([41, 42]);
      expect(ids(await store.listLive({ peer: 'site-c' }))).toEqual([42, 43]);
      expect(ids(await store.listLive({ role: 'consumer', peer: 'site-b' }))).toEqual([40]);
      expect(await store.listLive({ peer: 'site-z' })).toEqual([]);
    });

    it('lists every contract of a service, ended ones included, oldest first', async () => {
      const mine = contractTestId('s', 50);
      await stored(52, 'active', { serviceId: mine }, 2);
      await stored(51, 'offered', { serviceId: mine }, 0);
      await stored(53, 'offered', { serviceId: contractTestId('s', 51) }, 1);
      const gone = openedContract(54, { serviceId: mine }, 3);
      await store.create(gone, { correlationId: 'cfp-54' });
      expect(await store.apply(transitionContract(gone.contract, 'released', { at: at(4), by: 'api', reason: 'rejected' }))).toBe(true);
      const listed = await store.listByService(mine);
      expect(listed.map((c) => [c.id.slice(-2), c.phase])).toEqual([['51', 'offered'], ['52', 'active'], ['54', 'released']]);
      expect(listed[2]?.correlationId).toBe('cfp-54');
      expect(await store.listByService(contractTestId('s', 99))).toEqual([]);
    });

    it('records the local replica service and the last replica report, and keeps them across transitions', async () => {
      const awarded = await stored(60, 'awarded', { role: 'provider' });
      const localId = contractTestId('l', 60);
      await store.setLocalService(awarded.id, localId);
      const first: ReplicaReport = { phase: 'deploying', vees: [{ tier: 'web', phase: 'creating', role: 'active' }], at: at(3) };
      const second: ReplicaReport = {
        phase: 'failed',
        vees: [{ tier: 'web', phase: 'failed', role: 'active' }, { tier: 'db', phase: 'running', role: 'standby' }],
        reason: 'host lost',
        at: at(4),
      };
      await store.setReplicaReport(awarded.id, first);
      expect((await store.get(awarded.id))?.replica).toEqual(first);
      await store.setReplicaReport(awarded.id, second);
      const got = await store.get(awarded.id);
      expect(got).toEqual({ ...awarded, localServiceId: localId, replica: second });
      expect(got?.replica?.at).toBeInstanceOf(Date);

      const activate = transitionContract(awarded, 'active', { at: at(5), by: 'peer', reason: 'confirmed' });
      expect(await store.apply(activate)).toBe(true);
      expect(await store.get(awarded.id)).toEqual({ ...activate.contract, localServiceId: localId, replica: second });
      expect(await store.history(awarded.id)).toHaveLength(3);
    });

    it('refuses to annotate an unknown contract as not-found', async () => {
      await rejectsWithCode(store.setLocalService(contractTestId('c', 998), contractTestId('l', 1)), 'not-found');
      await rejectsWithCode(store.setReplicaReport(contractTestId('c', 998), { phase: 'running', vees: [], at: at(1) }), 'not-found');
    });
  });
}
