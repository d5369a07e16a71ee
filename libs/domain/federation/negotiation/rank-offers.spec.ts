import fc from 'fast-check';
import { DomainError } from '../../shared/domain-error';
import { type CallForProposalsBody, type OfferBody, type TierDemand } from '../protocol/envelope';
import { award } from './award';
import { compareScores, rankOffers, type ReceivedOffer, type RankingPolicy } from './rank-offers';

const T0 = Date.parse('2025-01-01T00:00:00.000Z');
const at = (s: number): Date => new Date(T0 + s * 1000);
const web = (fields: Partial<TierDemand> = {}): TierDemand => ({ tier: 'web', vcpu: 2, memoryMiB: 2048, diskGiB: 20, instances: 2, protection: 'restart', ...fields });
const db = (fields: Partial<TierDemand> = {}): TierDemand => ({ tier: 'db', vcpu: 4, memoryMiB: 8192, diskGiB: 100, instances: 1, protection: 'checkpoint', ...fields });
const cfp: CallForProposalsBody = { serviceId: 's1', serviceName: 'shop', purpose: 'replica', tiers: [web(), db()], deadline: at(10).toISOString(), durationS: 3600 };

function offer(from: string, fields: Partial<OfferBody> = {}, receivedS = 5, offerId = `o-${from}`): ReceivedOffer {
  return {
    offerId,
    from,
    receivedAt: at(receivedS),
    body: { serviceId: 's1', tiers: [web(), db()], pricePerHour: 1, currency: 'EUR', validUntil: at(40).toISOString(), ...fields },
  };
}
const policy: RankingPolicy = { now: at(10), currency: 'EUR', distanceClass: { b: 1, c: 1, d: 2 }, preference: { b: 0, c: 5 } };

describe('rankOffers: exclusions', () => {
  const table: [string, ReceivedOffer, string[]][] = [
    ['another service', offer('b', { serviceId: 's2' }), ['offer is for service s2, not s1']],
    ['received after the deadline', offer('b', {}, 10.001), [`received at ${at(10.001).toISOString()}, after the deadline ${at(10).toISOString()}`]],
    ['no longer valid', offer('b', { validUntil: at(10).toISOString() }), [`valid until ${at(10).toISOString()}, not after ${at(10).toISOString()}`]],
    ['a missing tier', offer('b', { tiers: [web()] }), ['tier db not offered']],
    ['too few instances', offer('b', { tiers: [web({ instances: 1 }), db()] }), ['tier web: 1 of 2 instances']],
    ['smaller VEEs', offer('b', { tiers: [web({ vcpu: 1, memoryMiB: 1024 }), db({ diskGiB: 99 })] }), [
      'tier web: 1 of 2 vCPU per instance', 'tier web: 1024 of 2048 MiB memory per instance', 'tier db: 99 of 100 GiB disk per instance',
    ]],
    ['another currency', offer('b', { currency: 'USD' }), ['priced in USD, not EUR']],
    ['a negative price', offer('b', { pricePerHour: -1 }), ['price per hour -1 is not a non-negative number']],
    ['several faults at once', offer('b', { serviceId: 's2', tiers: [] }, 11), [
      'offer is for service s2, not s1', `received at ${at(11).toISOString()}, after the deadline ${at(10).toISOString()}`, 'tier web not offered', 'tier db not offered',
    ]],
  ];
  it.each(table)('excludes %s, with every reason', (_label, o, reasons) => {
    expect(rankOffers(cfp, [o], policy)).toEqual({ ranked: [], excluded: [{ offer: o, reasons }] });
  });

  it('accepts an offer received exactly at the deadline that offers more than asked', () => {
    const o = offer('b', { tiers: [db({ instances: 2 }), web({ vcpu: 8 }), web({ tier: 'extra' })] }, 10);
    expect(rankOffers(cfp, [o], policy).ranked.map((r) => r.offer)).toEqual([o]);
  });

  it('keeps the first acceptable offer of a site and excludes its later ones', () => {
    const late = offer('b', { pricePerHour: 0.1 }, 6, 'o2');
    const bad = offer('b', { serviceId: 's2' }, 4, 'o0');
    const first = offer('b', {}, 5, 'o1');
    const r = rankOffers(cfp, [late, bad, first], policy);
    expect(r.ranked.map((x) => x.offer.offerId)).toEqual(['o1']);
    expect(r.excluded.map((x) => [x.offer.offerId, x.reasons])).toEqual([
      ['o0', ['offer is for service s2, not s1']],
      ['o2', ['site b already made offer o1, received first']],
    ]);
  });
});

describe('rankOffers: ordering', () => {
  it('ranks by distance class, then price, then preference, then site id, and shows the score', () => {
    const offers = [
      offer('e', { pricePerHour: 0.01 }), // unknown distance: last
      offer('d', { pricePerHour: 0.5 }), // class 2
      offer('b', { pricePerHour: 2 }), // class 1, dearer
      offer('c', { pricePerHour: 1 }), // class 1, cheaper
      offer('a', { pricePerHour: 2 }), // unknown distance, dearer than e
    ];
    const pol: RankingPolicy = { ...policy, distanceClass: { b: 1, c: 1, d: 2 } };
    const r = rankOffers(cfp, offers, pol);
    expect(r.ranked.map((x) => [x.rank, x.offer.from])).toEqual([[1, 'c'], [2, 'b'], [3, 'd'], [4, 'e'], [5, 'a']]);
    expect(r.ranked[0].score).toEqual({ distanceClass: 1, pricePerHour: 1, preference: 5, site: 'c' });
    expect(r.ranked[3].score).toEqual({ distanceClass: null, pricePerHour: 0.01, preference: 0, site: 'e' });
  });

  it('breaks price ties by preference, then by site id', () => {
    const pol: RankingPolicy = { now: at(10), preference: { z: 2, y: 2, x: 1 } };
    const r = rankOffers(cfp, [offer('x'), offer('z'), offer('y'), offer('w')], pol);
    expect(r.ranked.map((x) => x.offer.from)).toEqual(['y', 'z', 'x', 'w']);
  });

  it('compares prices in micro-units, so float noise is a tie', () => {
    const r = rankOffers(cfp, [offer('b', { pricePerHour: 0.1 + 0.2 }), offer('a', { pricePerHour: 0.3 })], { now: at(10) });
    expect(r.ranked.map((x) => x.offer.from)).toEqual(['a', 'b']);
  });
});

describe('award', () => {
  const ranking = rankOffers(cfp, [offer('b', { pricePerHour: 3 }), offer('c', { pricePerHour: 1 }), offer('d', { pricePerHour: 2 }), offer('x', { serviceId: 's9' })], { now: at(10) });

  it('awards the best n and rejects the rest, ranked then excluded', () => {
    const d = award(ranking, 2);
    expect(d.awarded.map((a) => a.offer.from)).toEqual(['c', 'd']);
    expect(d.rejected.map((r) => [r.offer.from, r.reason])).toEqual([['b', 'ranked 3 of 3; 2 awarded'], ['x', 'offer is for service s9, not s1']]);
  });

  it('awards what there is when fewer qualify, and nothing for n = 0', () => {
    expect(award(ranking, 5).awarded).toHaveLength(3);
    expect(award(ranking, 0)).toMatchObject({ awarded: [], rejected: { length: 4 } });
  });

  it.each([-1, 1.5, Number.NaN])('refuses n = %s', (n) => {
    expect(() => award(ranking, n)).toThrow(DomainError);
  });
});

describe('rankOffers and award (properties)', () => {
  const sites = ['a', 'b', 'c', 'd', 'e'];
  const received: fc.Arbitrary<ReceivedOffer> = fc.record({
    offerId: fc.string({ minLength: 1, maxLength: 3 }),
    from: fc.constantFrom(...sites),
    receivedS: fc.integer({ min: 0, max: 12 }),
    price: fc.constantFrom(0.5, 1, 1.5, 2),
    validS: fc.integer({ min: 5, max: 40 }),
    short: fc.boolean(),
    service: fc.constantFrom('s1', 's1', 's1', 's2'),
  }).map((o) => ({
    offerId: o.offerId,
    from: o.from,
    receivedAt: at(o.receivedS),
    body: { serviceId: o.service, tiers: o.short ? [web()] : [web(), db()], pricePerHour: o.price, currency: 'EUR', validUntil: at(o.validS).toISOString() },
  }));
  const input = fc.record({
    offers: fc.uniqueArray(received, { selector: (o) => o.offerId, maxLength: 12 }),
    distanceClass: fc.dictionary(fc.constantFrom(...sites), fc.integer({ min: 0, max: 3 })),
    preference: fc.dictionary(fc.constantFrom(...sites), fc.integer({ min: -2, max: 2 })),
    n: fc.integer({ min: 0, max: 6 }),
  });

  it('partitions the offers, keeps one per site, orders by the documented criteria, and ignores input order', () => {
    fc.assert(
      fc.property(input, fc.func(fc.integer()), ({ offers, distanceClass, preference, n }, key) => {
        const pol: RankingPolicy = { now: at(10), distanceClass, preference };
        const r = rankOffers(cfp, offers, pol);
        const shuffled = [...offers].sort((x, y) => key(x.offerId) - key(y.offerId));
        expect(rankOffers(cfp, shuffled, pol)).toEqual(r);
        expect([...r.ranked.map((x) => x.offer), ...r.excluded.map((x) => x.offer)].map((o) => o.offerId).sort()).toEqual(offers.map((o) => o.offerId).sort());
        expect(new Set(r.ranked.map((x) => x.offer.from)).size).toBe(r.ranked.length);
        for (let i = 1; i < r.ranked.length; i += 1) expect(compareScores(r.ranked[i - 1].score, r.ranked[i].score)).toBeLessThan(0);
        for (const x of r.ranked) {
          expect(x.offer.receivedAt.getTime()).toBeLessThanOrEqual(at(10).getTime());
          expect(Date.parse(x.offer.body.validUntil)).toBeGreaterThan(at(10).getTime());
          expect(x.offer.body.serviceId).toBe('s1');
        }
        const d = award(r, n);
        expect(d.awarded).toEqual(r.ranked.slice(0, n));
        expect(d.awarded.length + d.rejected.length).toBe(offers.length);
      }),
      { numRuns: 300 },
    );
  });
});
