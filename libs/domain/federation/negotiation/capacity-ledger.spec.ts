import { buildAllocation, buildHost } from '@reservoir/testing/placement-builders';
import { type TierDemand } from '../protocol/envelope';
import { type CapacityLedger, expire, extendReservation, ledgerFree, release, reserve } from './capacity-ledger';

const T0 = Date.parse('2025-01-01T00:00:00.000Z');
const at = (s: number): Date => new Date(T0 + s * 1000);
const web = (instances: number, fields: Partial<TierDemand> = {}): TierDemand => ({
  tier: 'web', vcpu: 4, memoryMiB: 8192, diskGiB: 50, instances, protection: 'restart', ...fields,
});
// Memory is not over-committed (ratio 1): two 16 GiB hosts take four 8 GiB VEEs.
const ledger = (): CapacityLedger => ({ hosts: [buildHost('h1'), buildHost('h2')], reservations: [] });

function reserved(l: CapacityLedger, id: string, d: TierDemand[], now = at(0), until = at(60)): CapacityLedger {
  const r = reserve(l, id, d, now, until);
  if (!r.ok) throw new Error(`${r.reason}: ${r.details.join(' | ')}`);
  return r.ledger;
}

describe('reserve', () => {
  it('holds each VEE on a host and returns the reservation', () => {
    const r = reserve(ledger(), 'c1', [web(3)], at(0), at(60));
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.reservation).toMatchObject({ id: 'c1', createdAt: at(0), expiresAt: at(60), demand: [web(3)] });
    expect(r.reservation.holds.map((v) => `${v.tier}[${v.index}]@${v.hostId}`).sort()).toEqual(['web[0]@h1', 'web[1]@h2', 'web[2]@h1']);
    expect(r.ledger.reservations).toEqual([r.reservation]);
  });

  it('never double-books: a second CFP gets only what the first left', () => {
    const first = reserved(ledger(), 'c1', [web(3)]);
    const second = reserve(first, 'c2', [web(2)], at(1), at(60));
    expect(second).toMatchObject({ ok: false, reason: 'not enough free capacity' });
    if (second.ok) return;
    expect(second.details[0]).toBe('tier web: 1 of 2 instances fit');
    expect(second.details.slice(1)).toEqual(['host h1: 0 of 8192 MiB memory free', 'host h2: 0 of 8192 MiB memory free']);
    expect(reserve(first, 'c2', [web(1)], at(1), at(60)).ok).toBe(true);
  });

  it('counts the hosts VEEs, skips hosts that are not up', () => {
    const l: CapacityLedger = {
      hosts: [buildHost('h1', { allocations: [buildAllocation({ memoryMiB: 12_288 })] }), buildHost('h2', { health: 'down' })],
      reservations: [],
    };
    expect(reserve(l, 'c1', [web(1)], at(0), at(60)).ok).toBe(false);
    expect(reserve(l, 'c1', [web(1, { memoryMiB: 4096 })], at(0), at(60)).ok).toBe(true);
  });

  it('honours the site overcommit policy', () => {
    const l: CapacityLedger = { ...ledger(), policy: { overcommit: { memory: 1.5 } } };
    expect(reserve(l, 'c1', [web(6)], at(0), at(60)).ok).toBe(true);
    expect(reserve(ledger(), 'c1', [web(6)], at(0), at(60)).ok).toBe(false);
  });

  it('ignores reservations that have lapsed, even before expire removes them', () => {
    const full = reserved(ledger(), 'c1', [web(4)], at(0), at(30));
    expect(reserve(full, 'c2', [web(1)], at(29), at(60)).ok).toBe(false);
    expect(reserve(full, 'c2', [web(1)], at(30), at(60)).ok).toBe(true);
  });

  const refusals: [string, string, TierDemand[], number, number, string][] = [
    ['an existing id', 'c1', [web(1)], 0, 60, 'reservation c1 already exists'],
    ['a validity already over', 'c9', [web(1)], 60, 60, 'reservation c9 would lapse at once (valid until 2025-01-01T00:01:00.000Z)'],
    ['a tier asked twice', 'c9', [web(1), web(1)], 0, 60, 'invalid demand'],
    ['a fractional instance count', 'c9', [web(1.5)], 0, 60, 'invalid demand'],
    ['a negative size', 'c9', [web(1, { vcpu: -1 })], 0, 60, 'invalid demand'],
  ];
  it.each(refusals)('refuses %s and changes nothing', (_label, id, d, now, until, reason) => {
    const l = reserved(ledger(), 'c1', [web(1)]);
    const r = reserve(l, id, d, at(now), at(until));
    expect(r).toMatchObject({ ok: false, reason });
    expect(l.reservations).toHaveLength(1);
  });
});

describe('release, expire, extend, free', () => {
  it('release frees the capacity and is idempotent', () => {
    const full = reserved(ledger(), 'c1', [web(4)]);
    const freed = release(full, 'c1');
    expect(freed.reservations).toEqual([]);
    expect(release(freed, 'c1')).toBe(freed);
    expect(reserve(freed, 'c2', [web(4)], at(1), at(60)).ok).toBe(true);
  });

  it('expire drops and reports the reservations due at now', () => {
    const l = reserved(reserved(ledger(), 'a', [web(1)], at(0), at(30)), 'b', [web(1)], at(0), at(31));
    const r = expire(l, at(30));
    expect(r.expired.map((x) => x.id)).toEqual(['a']);
    expect(r.ledger.reservations.map((x) => x.id)).toEqual(['b']);
    expect(expire(r.ledger, at(30)).ledger).toBe(r.ledger);
  });

  it('extendReservation keeps the holds and moves the expiry; unknown ids give undefined', () => {
    const l = reserved(ledger(), 'c1', [web(1)], at(0), at(30));
    const longer = extendReservation(l, 'c1', at(3600));
    expect(longer?.reservations[0]).toEqual({ ...l.reservations[0], expiresAt: at(3600) });
    expect(extendReservation(l, 'zz', at(3600))).toBeUndefined();
  });

  it('ledgerFree counts up hosts after VEEs and live reservations, never below zero', () => {
    const l: CapacityLedger = {
      hosts: [buildHost('h1'), buildHost('h2', { health: 'down' }), buildHost('h3', { allocations: [buildAllocation({ memoryMiB: 20_000 })] })],
      reservations: [],
    };
    const held = reserved(l, 'c1', [web(1)], at(0), at(30));
    // h1: 8 × 4 vCPU, 16 GiB, 500 GiB; h3: 31 vCPU, memory over-committed → 0, 490 GiB.
    expect(ledgerFree(l, at(0))).toEqual({ vcpu: 32 + 31, memoryMiB: 16_384, diskGiB: 500 + 490 });
    expect(ledgerFree(held, at(0))).toEqual({ vcpu: 28 + 31, memoryMiB: 8192, diskGiB: 450 + 490 });
    expect(ledgerFree(held, at(30))).toEqual(ledgerFree(l, at(0)));
  });
});
