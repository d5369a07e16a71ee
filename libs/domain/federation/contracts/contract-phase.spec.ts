import fc from 'fast-check';
import { at, buildContract, domainErrorOf } from '@reservoir/testing/contract-builders';
import { DomainError } from '../../shared/domain-error';
import { CONTRACT_PHASES, canTransitionContract, holdsCapacity, isFinalContractPhase, type ContractPhase } from './contract-phase';
import { transitionContract } from './contract-transition';

const contract = buildContract;
const errorOf = domainErrorOf;

describe('contract transition table', () => {
  // Every cell, written out: row = from, columns in CONTRACT_PHASES order
  // (proposed, offered, awarded, active, released, expired, broken).
  const TABLE: Record<ContractPhase, string> = {
    proposed: '.X..XXX',
    offered: '..X.XXX',
    awarded: '...XXXX',
    active: '....XXX',
    released: '.......',
    expired: '.......',
    broken: '.......',
  };
  const cells = CONTRACT_PHASES.flatMap((from) => CONTRACT_PHASES.map((to, i) => [from, to, TABLE[from][i] === 'X'] as const));

  it.each(cells)('%s → %s legal: %s', (from, to, legal) => {
    expect(canTransitionContract(from, to)).toBe(legal);
    // `expired` needs the term to have passed; every other move happens before it.
    const when = to === 'expired' ? at(100) : at(50);
    const move = () => transitionContract(contract(from), to, { at: when, reason: 'test', by: 'api' });
    if (legal) {
      const { contract: next, entry } = move();
      expect(next).toMatchObject({ phase: to, updatedAt: when, createdAt: at(0) });
      expect(entry).toEqual({ contractId: 'c1', serviceId: 's1', from, to, reason: 'test', by: 'api', at: when, expiresAt: at(100) });
    } else {
      const e = errorOf(move);
      expect(e.code).toBe('conflict');
      expect(e.message).toContain(`cannot move from ${from} to ${to}`);
    }
  });

  it('names what is legal instead, or that the phase is final', () => {
    expect(errorOf(() => transitionContract(contract('offered'), 'active', { at: at(1), reason: 'r', by: 'api' })).message).toBe(
      'contract c1 (service s1, peer b) cannot move from offered to active: from offered it can move to awarded, released, expired, broken',
    );
    expect(errorOf(() => transitionContract(contract('broken'), 'released', { at: at(1), reason: 'r', by: 'api' })).message).toContain('broken is final');
  });

  it('classifies final phases and those that hold capacity', () => {
    expect(CONTRACT_PHASES.filter(isFinalContractPhase)).toEqual(['released', 'expired', 'broken']);
    expect(CONTRACT_PHASES.filter(holdsCapacity)).toEqual(['offered', 'awarded', 'active']);
  });
});

describe('contracts (properties)', () => {
  it('any sequence of attempted moves follows the table, ends for good, and logs a chained history', () => {
    const step = fc.record({ to: fc.constantFrom(...CONTRACT_PHASES), dt: fc.integer({ min: 0, max: 60 }), extend: fc.boolean() });
    fc.assert(
      fc.property(fc.array(step, { maxLength: 30 }), (steps) => {
        let c = contract('proposed', { expiresAt: at(120) });
        let now = 0;
        const history: { from: ContractPhase | null; to: ContractPhase }[] = [];
        for (const s of steps) {
          now += s.dt;
          const expiresAt = s.extend && holdsCapacity(s.to) ? at(now + 120) : undefined;
          try {
            const r = transitionContract(c, s.to, { at: at(now), reason: 'p', by: 'api', ...(expiresAt ? { expiresAt } : {}) });
            expect(canTransitionContract(c.phase, s.to)).toBe(true);
            expect(r.entry.from).toBe(c.phase);
            history.push(r.entry);
            c = r.contract;
          } catch (e) {
            expect(e).toBeInstanceOf(DomainError);
          }
        }
        for (let i = 1; i < history.length; i += 1) expect(history[i].from).toBe(history[i - 1].to);
        const ended = history.findIndex((h) => isFinalContractPhase(h.to));
        if (ended >= 0) expect(history).toHaveLength(ended + 1);
      }),
      { numRuns: 300 },
    );
  });
});
