import fc from 'fast-check';
import { DomainError } from '../../shared/domain-error';
import { type ReplicaPhase } from '../protocol/envelope';
import { weights, type SiteShare } from './load-balancing';
import { shouldApply } from './revision';

const share = (site: string, capacityShare: number, fields: Partial<SiteShare> = {}): SiteShare => ({ site, healthy: true, phase: 'running', capacityShare, ...fields });

describe('weights', () => {
  const table: [string, SiteShare[], Record<string, number>][] = [
    ['no sites', [], {}],
    ['one serving site', [share('a', 4)], { a: 1 }],
    ['proportional to capacity', [share('a', 3), share('b', 1)], { a: 0.75, b: 0.25 }],
    ['thirds: the remainder to the lowest site id', [share('c', 1), share('b', 1), share('a', 1)], { a: 0.334, b: 0.333, c: 0.333 }],
    ['the remainder to the largest fraction', [share('a', 1), share('b', 2)], { a: 0.333, b: 0.667 }],
    ['unhealthy gets 0', [share('a', 1), share('b', 1, { healthy: false })], { a: 1, b: 0 }],
    ['standby-only gets 0', [share('a', 1), share('b', 5, { phase: 'standby' })], { a: 1, b: 0 }],
    ['deploying gets 0', [share('a', 1), share('b', 5, { phase: 'deploying' })], { a: 1, b: 0 }],
    ['no capacity gets 0', [share('a', 1), share('b', 0), share('c', Number.NaN), share('d', -3)], { a: 1, b: 0, c: 0, d: 0 }],
    ['none healthy: all 0', [share('a', 1, { healthy: false }), share('b', 1, { phase: 'failed' })], { a: 0, b: 0 }],
    ['a tiny share may round to 0', [share('a', 10_000), share('b', 1)], { a: 1, b: 0 }],
  ];
  it.each(table)('%s', (_label, sites, expected) => {
    const w = weights(sites);
    expect(w).toEqual(expected);
    expect(Object.keys(w)).toEqual(Object.keys(expected).sort());
  });

  it('refuses a site listed twice', () => {
    expect(() => weights([share('a', 1), share('a', 2)])).toThrow(DomainError);
  });

  const phases: ReplicaPhase[] = ['deploying', 'running', 'standby', 'failed', 'released'];
  const site = fc.record({
    healthy: fc.boolean(),
    phase: fc.constantFrom(...phases),
    capacityShare: fc.oneof(fc.integer({ min: 0, max: 100 }), fc.double({ min: 0, max: 1e6, noNaN: true })),
  });
  const input = fc.array(site, { maxLength: 12 }).map((list) => list.map((s, i) => ({ site: `s${(i * 5) % 13}`, ...s })));
  const serves = (s: SiteShare): boolean => s.healthy && s.phase === 'running' && s.capacityShare > 0;

  it('gives thousandths summing to 1000 over serving sites (0 elsewhere), close to the exact share, monotone, order-free', () => {
    fc.assert(
      fc.property(input, fc.func(fc.integer()), (sites, key) => {
        const w = weights(sites);
        const milli = sites.map((s) => w[s.site] * 1000);
        for (const m of milli) expect(Math.abs(m - Math.round(m))).toBeLessThan(1e-6);
        const serving = sites.filter(serves);
        const total = serving.reduce((n, s) => n + s.capacityShare, 0);
        expect(Math.round(milli.reduce((n, m) => n + m, 0))).toBe(serving.length > 0 ? 1000 : 0);
        for (const s of sites) {
          if (!serves(s)) expect(w[s.site]).toBe(0);
          else expect(Math.abs(w[s.site] - s.capacityShare / total)).toBeLessThan(0.001 + 1e-9);
        }
        for (const a of serving) for (const b of serving) if (a.capacityShare > b.capacityShare) expect(w[a.site]).toBeGreaterThanOrEqual(w[b.site]);
        expect(weights([...sites].sort((x, y) => key(x.site) - key(y.site)))).toEqual(w);
      }),
      { numRuns: 400 },
    );
  });
});

describe('shouldApply', () => {
  const table: [number | undefined, number, boolean][] = [
    [undefined, 1, true],
    [undefined, 7, true],
    [3, 4, true],
    [3, 10, true],
    [3, 3, false],
    [3, 2, false],
    [undefined, 0, false],
    [undefined, -1, false],
    [3, 4.5, false],
    [3, Number.NaN, false],
  ];
  it.each(table)('current %s, incoming %s → %s', (current, incoming, expected) => {
    expect(shouldApply(current, incoming)).toBe(expected);
  });

  it('applies, over any delivery order with redeliveries, a strictly increasing sequence ending at the highest', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 20 }), { minLength: 1, maxLength: 40 }), (delivered) => {
        let current: number | undefined;
        const applied: number[] = [];
        for (const r of delivered) {
          if (shouldApply(current, r)) {
            applied.push(r);
            current = r;
          }
        }
        for (let i = 1; i < applied.length; i += 1) expect(applied[i]).toBeGreaterThan(applied[i - 1]);
        expect(current).toBe(Math.max(...delivered));
      }),
    );
  });
});
