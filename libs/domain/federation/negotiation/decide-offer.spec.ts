import { buildHost } from '@reservoir/testing/placement-builders';
import { type CallForProposalsBody, type TierDemand } from '../protocol/envelope';
import { type CapacityLedger } from './capacity-ledger';
import { decideOffer } from './decide-offer';
import { type PriceList } from './price';

const T0 = Date.parse('2025-01-01T00:00:00.000Z');
const at = (s: number): Date => new Date(T0 + s * 1000);
const web = (instances: number): TierDemand => ({ tier: 'web', vcpu: 4, memoryMiB: 8192, diskGiB: 50, instances, protection: 'restart' });
const prices: PriceList = { vcpuHour: 0.01, memoryGiBHour: 0.005, currency: 'EUR' };
const ledger = (): CapacityLedger => ({ hosts: [buildHost('h1'), buildHost('h2')], reservations: [] });
const cfp = (tiers: TierDemand[], deadline = at(5).toISOString()): CallForProposalsBody => ({
  serviceId: 's1', serviceName: 'shop', purpose: 'replica', tiers, deadline, durationS: 3600,
});

describe('decideOffer', () => {
  it('offers every tier in full, priced from the price list, valid until deadline + award window, backed by a reservation', () => {
    const d = decideOffer(cfp([web(2)]), ledger(), prices, at(0), { reservationId: 'c1' });
    expect(d.kind).toBe('offer');
    if (d.kind !== 'offer') return;
    expect(d.offer).toEqual({ serviceId: 's1', tiers: [web(2)], pricePerHour: 2 * (0.04 + 0.04), currency: 'EUR', validUntil: at(35).toISOString() });
    expect(d.reservation).toMatchObject({ id: 'c1', expiresAt: at(35) });
    expect(d.ledger.reservations).toEqual([d.reservation]);
  });

  it('takes the award window from the settings', () => {
    const d = decideOffer(cfp([web(1)]), ledger(), prices, at(0), { reservationId: 'c1', awardWindowMs: 5000 });
    expect(d.kind === 'offer' && d.offer.validUntil).toBe(at(10).toISOString());
  });

  it('answers concurrent CFPs only with capacity not already offered', () => {
    const first = decideOffer(cfp([web(3)]), ledger(), prices, at(0), { reservationId: 'c1' });
    if (first.kind !== 'offer') throw new Error('expected an offer');
    const second = decideOffer({ ...cfp([web(2)]), serviceId: 's2' }, first.ledger, prices, at(1), { reservationId: 'c2' });
    expect(second).toMatchObject({ kind: 'decline', reason: 'not enough free capacity' });
  });

  const declines: [string, CallForProposalsBody, number, string][] = [
    ['a passed deadline', cfp([web(1)]), 5, `deadline ${at(5).toISOString()} has passed`],
    ['an unreadable deadline', cfp([web(1)], 'soon'), 0, "deadline 'soon' is not a date"],
    ['a call for nothing', cfp([]), 0, 'the call asks for no instances'],
    ['a call for zero instances', cfp([web(0)]), 0, 'the call asks for no instances'],
    ['more than the site has', cfp([web(5)]), 0, 'not enough free capacity'],
  ];
  it.each(declines)('declines (stays silent on) %s', (_label, call, now, reason) => {
    const l = ledger();
    expect(decideOffer(call, l, prices, at(now), { reservationId: 'c1' })).toMatchObject({ kind: 'decline', reason });
    expect(l.reservations).toEqual([]);
  });
});
