import { at, buildContract, domainErrorOf } from '@reservoir/testing/contract-builders';
import { type ContractRecord } from './contract-record';
import { breakContractsOf, expireDue, openContract, renew, transitionContract } from './contract-transition';

const contract = buildContract;
const errorOf = domainErrorOf;

describe('transitionContract timing rules', () => {
  it('refuses to expire before expiresAt', () => {
    expect(errorOf(() => transitionContract(contract('active'), 'expired', { at: at(99), reason: 'r', by: 'expiry' })).message).toContain(
      'cannot expire before 2025-01-01T00:01:40.000Z',
    );
  });

  it('refuses to award a lapsed offer', () => {
    const e = errorOf(() => transitionContract(contract('offered'), 'awarded', { at: at(100), reason: 'r', by: 'peer' }));
    expect(e.code).toBe('conflict');
    expect(e.message).toContain('lapsed at');
  });

  it('sets the contract term on award and checks against it', () => {
    const { contract: c, entry } = transitionContract(contract('offered'), 'awarded', { at: at(50), reason: 'awarded', by: 'peer', expiresAt: at(3600) });
    expect(c.expiresAt).toEqual(at(3600));
    expect(entry.expiresAt).toEqual(at(3600));
    expect(errorOf(() => transitionContract(contract('offered'), 'awarded', { at: at(50), reason: 'r', by: 'peer', expiresAt: at(50) })).code).toBe('conflict');
  });

  it('refuses a new expiry on a move to an end', () => {
    expect(errorOf(() => transitionContract(contract('active'), 'released', { at: at(1), reason: 'r', by: 'api', expiresAt: at(200) })).code).toBe('invalid-input');
  });

  it('releases and breaks whatever the time', () => {
    expect(transitionContract(contract('active'), 'released', { at: at(500), reason: 'r', by: 'peer' }).contract.phase).toBe('released');
    expect(transitionContract(contract('awarded'), 'broken', { at: at(500), reason: 'r', by: 'liveness' }).contract.phase).toBe('broken');
  });

  it('never mutates its input', () => {
    const c = contract('offered');
    const copy = structuredClone(c);
    transitionContract(c, 'awarded', { at: at(1), reason: 'r', by: 'peer', expiresAt: at(900) });
    expect(c).toEqual(copy);
  });
});

describe('openContract', () => {
  const { phase: _p, createdAt: _c, updatedAt: _u, ...fields } = contract('proposed');

  it.each(['proposed', 'offered'] as const)('opens %s with a history row from null', (phase) => {
    const r = openContract({ ...fields, phase }, { at: at(5), reason: 'CFP received', by: 'negotiation' });
    expect(r.contract).toEqual({ ...fields, phase, createdAt: at(5), updatedAt: at(5) });
    expect(r.entry).toMatchObject({ from: null, to: phase, at: at(5), expiresAt: at(100) });
  });

  it('refuses a lapsed contract and a bad price', () => {
    expect(errorOf(() => openContract({ ...fields, phase: 'offered' }, { at: at(100), reason: 'r', by: 'peer' })).code).toBe('conflict');
    expect(errorOf(() => openContract({ ...fields, phase: 'offered', pricePerHour: -1 }, { at: at(1), reason: 'r', by: 'peer' })).code).toBe('invalid-input');
  });
});

describe('expireDue', () => {
  it('expires every live contract at or past its expiry, with a reason per phase, and nothing else', () => {
    const list = [
      contract('proposed', { id: 'p' }),
      contract('offered', { id: 'o' }),
      contract('awarded', { id: 'a' }),
      contract('active', { id: 'x' }),
      contract('active', { id: 'later', expiresAt: at(101) }),
      contract('released', { id: 'r' }),
      contract('broken', { id: 'b' }),
    ];
    const changes = expireDue(list, at(100));
    expect(changes.map((c) => [c.contract.id, c.entry.from, c.contract.phase, c.entry.by])).toEqual([
      ['p', 'proposed', 'expired', 'expiry'],
      ['o', 'offered', 'expired', 'expiry'],
      ['a', 'awarded', 'expired', 'expiry'],
      ['x', 'active', 'expired', 'expiry'],
    ]);
    expect(changes.map((c) => c.entry.reason)).toEqual([
      'call for proposals deadline passed without an offer',
      'offer not awarded within its validity',
      'term ended before the contract became active',
      'term ended without renewal',
    ]);
    expect(expireDue(list, at(99))).toEqual([]);
  });
});

describe('breakContractsOf', () => {
  it('breaks every unfinished contract with the dead peer only', () => {
    const list = [
      contract('active', { id: 'a', peer: 'b' }),
      contract('offered', { id: 'o', peer: 'b', role: 'provider' }),
      contract('active', { id: 'c', peer: 'c' }),
      contract('released', { id: 'r', peer: 'b' }),
    ];
    const changes = breakContractsOf(list, 'b', at(500));
    expect(changes.map((c) => [c.contract.id, c.contract.phase, c.entry.reason, c.entry.by])).toEqual([
      ['a', 'broken', 'peer site b declared dead', 'liveness'],
      ['o', 'broken', 'peer site b declared dead', 'liveness'],
    ]);
  });
});

describe('renew', () => {
  it('extends an active or awarded term and logs it from the phase to itself', () => {
    for (const phase of ['active', 'awarded'] as const) {
      const r = renew(contract(phase), at(7200), at(50));
      expect(r.contract).toMatchObject({ phase, expiresAt: at(7200), updatedAt: at(50) });
      expect(r.entry).toMatchObject({ from: phase, to: phase, by: 'negotiation', reason: 'renewed until 2025-01-01T02:00:00.000Z' });
    }
  });

  const refused: [string, ContractRecord, Date, Date, string][] = [
    ['an offered contract', contract('offered'), at(200), at(50), 'only awarded or active'],
    ['an ended contract', contract('expired'), at(200), at(50), 'only awarded or active'],
    ['a lapsed contract', contract('active'), at(200), at(100), 'lapsed at'],
    ['a term that does not extend', contract('active'), at(100), at(50), 'must extend the term'],
    ['a shorter term', contract('active'), at(60), at(50), 'must extend the term'],
  ];
  it.each(refused)('refuses %s', (_label, c, until, now, message) => {
    const e = errorOf(() => renew(c, until, now));
    expect(e.code).toBe('conflict');
    expect(e.message).toContain(message);
  });
});
