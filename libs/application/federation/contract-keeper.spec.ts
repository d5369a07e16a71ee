import { AjvMessageValidator } from '@reservoir/adapters/federation/ajv-message-validator';
import { TestFederation } from '@reservoir/adapters/federation/test-federation';
import { type ContractPhase, type ContractRole, openContract, transitionContract } from '@reservoir/domain/federation/contracts';
import { FakeClock, InMemoryServiceStore, SequentialIds } from '@reservoir/testing/fakes';
import { buildServiceRecord, FakeContractStore, RecordingBus } from '@reservoir/testing/fakes-federation';
import { buildServiceDefinition } from '@reservoir/testing/manifest-builders';
import { ContractKeeper } from './contract-keeper';
import { OutboundMessages } from './outbound';

const fed = new TestFederation(['site-a', 'site-b', 'site-c']);
const schema = new AjvMessageValidator();
const T0 = new Date('2026-03-02T10:00:00.000Z');
const HOUR = 3_600_000;
const SERVICE = 'a0000000-0000-4000-8000-00000000000a';
const REPLICA = 'b0000000-0000-4000-8000-00000000000b';

describe('ContractKeeper', () => {
  let clock: FakeClock;
  let bus: RecordingBus;
  let contracts: FakeContractStore;
  let services: InMemoryServiceStore;
  let deleted: string[];
  let deleteFails: boolean;
  let lines: string[];
  let keeper: ContractKeeper;

  /** The moves from `offered` to each phase a case seeds. */
  const PATHS: Partial<Record<ContractPhase, ContractPhase[]>> = { offered: [], awarded: ['awarded'], active: ['awarded', 'active'], released: ['released'] };

  /** A contract this site holds, moved from `offered` to `phase`, its term (once awarded) ending `termMs` from now. */
  async function seed(id: string, role: ContractRole, peer: string, phase: ContractPhase, termMs = HOUR, localServiceId?: string): Promise<void> {
    const now = clock.now();
    const opened = openContract(
      { id, serviceId: SERVICE, role, peer, tiers: [{ tier: 'web', vcpu: 1, memoryMiB: 512, diskGiB: 4, instances: 1, protection: 'restart' }], pricePerHour: 0.1, currency: 'EUR', phase: 'offered', expiresAt: new Date(now.getTime() + 30_000) },
      { at: now, reason: 'offer', by: 'negotiation' },
    );
    await contracts.create(opened);
    let current = opened.contract;
    for (const to of PATHS[phase] ?? []) {
      const step = transitionContract(current, to, { at: now, reason: 'seed', by: 'negotiation', ...(to === 'awarded' ? { expiresAt: new Date(now.getTime() + termMs) } : {}) });
      await contracts.apply(step);
      current = step.contract;
    }
    if (localServiceId) await contracts.setLocalService(id, localServiceId);
  }
  const phaseOf = async (id: string) => (await contracts.get(id))?.phase;

  beforeEach(async () => {
    clock = new FakeClock(T0);
    bus = new RecordingBus();
    contracts = new FakeContractStore();
    services = new InMemoryServiceStore();
    await services.create(buildServiceRecord(REPLICA, buildServiceDefinition({ name: 'shop' }), { siteId: 'site-b' }), { from: null, to: 'running', reason: 'seed', at: T0 });
    deleted = [];
    deleteFails = false;
    lines = [];
    keeper = new ContractKeeper({
      contracts,
      services,
      outbound: new OutboundMessages({ siteId: 'site-b', signer: fed.signer('site-b'), clock, ids: new SequentialIds(), bus, schema }),
      clock,
      contractDurationMs: HOUR,
      confirmTimeoutMs: 2 * HOUR,
      deleteService: async (id) => {
        if (deleteFails) throw new Error('host unreachable');
        deleted.push(id);
        await services.remove(id);
      },
      log: (line) => lines.push(line),
    });
  });

  describe('expiry', () => {
    it('expires a provider contract at its term and removes the replica it ran', async () => {
      await seed('p1', 'provider', 'site-a', 'active', HOUR, REPLICA);
      clock.advance(HOUR - 1);
      await keeper.sweep();
      expect(await phaseOf('p1')).toBe('active');
      clock.advance(1);
      await keeper.sweep();
      expect(await phaseOf('p1')).toBe('expired');
      expect(deleted).toEqual([REPLICA]);
      await keeper.sweep();
      expect(deleted).toEqual([REPLICA]);
    });

    it('expires a consumer contract and a lapsed offer without deleting anything', async () => {
      await seed('c1', 'consumer', 'site-c', 'awarded', HOUR);
      await seed('o1', 'provider', 'site-a', 'offered');
      clock.advance(HOUR);
      await keeper.sweep();
      expect([await phaseOf('c1'), await phaseOf('o1')]).toEqual(['expired', 'expired']);
      expect(deleted).toEqual([]);
    });

    it('keeps the contract live while its replica cannot be removed, and retries on the next sweep', async () => {
      await seed('p1', 'provider', 'site-a', 'active', HOUR, REPLICA);
      await seed('p2', 'provider', 'site-c', 'active', HOUR);
      clock.advance(HOUR);
      deleteFails = true;
      await keeper.sweep();
      expect([await phaseOf('p1'), await phaseOf('p2')]).toEqual(['active', 'expired']);
      expect(lines.join('\n')).toContain('could not expire contract p1 (next sweep retries): Error: host unreachable');
      deleteFails = false;
      await keeper.sweep();
      expect(await phaseOf('p1')).toBe('expired');
      expect(deleted).toEqual([REPLICA]);
    });
  });

  describe('unconfirmed awards', () => {
    it('releases an award the provider never confirmed, telling the provider, and leaves confirmed ones alone', async () => {
      const impatient = new ContractKeeper({
        contracts, services, clock, contractDurationMs: HOUR, confirmTimeoutMs: 10_000, deleteService: async () => undefined, log: (line) => lines.push(line),
        outbound: new OutboundMessages({ siteId: 'site-b', signer: fed.signer('site-b'), clock, ids: new SequentialIds(), bus, schema }),
      });
      await seed('c1', 'consumer', 'site-c', 'awarded', HOUR);
      await seed('c2', 'consumer', 'site-a', 'active', HOUR);
      clock.advance(9_999);
      await impatient.sweep();
      expect(await phaseOf('c1')).toBe('awarded');
      clock.advance(1);
      await impatient.sweep();
      expect([await phaseOf('c1'), await phaseOf('c2')]).toEqual(['released', 'active']);
      expect(bus.envelopes('ContractRelease')).toEqual([
        expect.objectContaining({ to: 'site-c', body: { contractId: 'c1', serviceId: SERVICE, reason: 'no confirmation within 10 s of the award' } }),
      ]);
      await impatient.sweep();
      expect(bus.envelopes('ContractRelease')).toHaveLength(1);
    });
  });

  describe('renewal', () => {
    it('renews an active consumer contract once less than half its term is left', async () => {
      await seed('c1', 'consumer', 'site-c', 'active', HOUR);
      clock.advance(HOUR / 2 - 1);
      await keeper.sweep();
      expect(bus.envelopes('ContractRenew')).toEqual([]);
      clock.advance(1);
      await keeper.sweep();
      const until = new Date(clock.now().getTime() + HOUR);
      expect(bus.envelopes('ContractRenew')).toEqual([
        expect.objectContaining({ from: 'site-b', to: 'site-c', term: 1, body: { contractId: 'c1', serviceId: SERVICE, expiresAt: until.toISOString() } }),
      ]);
      expect(await contracts.get('c1')).toMatchObject({ phase: 'active', expiresAt: until });
      await keeper.sweep();
      expect(bus.envelopes('ContractRenew')).toHaveLength(1);
    });

    it('renews neither a provider contract nor one that is only awarded', async () => {
      await seed('p1', 'provider', 'site-a', 'active', HOUR);
      await seed('c1', 'consumer', 'site-c', 'awarded', HOUR);
      clock.advance(HOUR - 1_000);
      await keeper.sweep();
      expect(bus.envelopes('ContractRenew')).toEqual([]);
    });

    it('records a renewal only once the provider was told, so a failed send is retried', async () => {
      await seed('c1', 'consumer', 'site-c', 'active', HOUR);
      clock.advance(HOUR / 2);
      bus.failWith = new Error('bus down');
      await keeper.sweep();
      expect((await contracts.get('c1'))?.expiresAt).toEqual(new Date(T0.getTime() + HOUR));
      bus.failWith = undefined;
      clock.advance(1_000);
      await keeper.sweep();
      expect(bus.envelopes('ContractRenew')).toHaveLength(1);
      expect((await contracts.get('c1'))?.expiresAt).toEqual(new Date(clock.now().getTime() + HOUR));
    });
  });

  describe('a dead peer', () => {
    it('breaks every live contract with that peer only, and keeps the replica it runs', async () => {
      await seed('p1', 'provider', 'site-a', 'active', HOUR, REPLICA);
      await seed('c1', 'consumer', 'site-a', 'awarded');
      await seed('r1', 'consumer', 'site-a', 'released');
      await seed('c2', 'consumer', 'site-c', 'active');
      await keeper.peerDead('site-a');
      expect(await Promise.all(['p1', 'c1', 'r1', 'c2'].map(phaseOf))).toEqual(['broken', 'broken', 'released', 'active']);
      expect((await contracts.history('p1')).at(-1)).toMatchObject({ to: 'broken', by: 'liveness', reason: 'peer site site-a declared dead' });
      expect(deleted).toEqual([]);
    });
  });
});
