import fc from 'fast-check';
import { type DomainState } from '../ports/hypervisor.port';
import { type VeePhase } from '../vee/vee-phase';
import { type DesiredVee, type ObservedHost, type ReconcileAction, reconcileSite } from './reconcile-site';

const NOW = new Date('2026-01-01T00:00:00Z');
const vee = (fields: Partial<DesiredVee> = {}): DesiredVee => ({ id: 'v1', hostId: 'h1', domain: 'rsv-a', phase: 'running', managed: true, ...fields });
const host = (domains: [string, DomainState][], fields: Partial<ObservedHost> = {}): ObservedHost => ({
  hostId: 'h1',
  reachable: true,
  domains: domains.map(([name, state]) => ({ name, uuid: `uuid-${name}`, state })),
  ...fields,
});
const later = new Date(NOW.getTime() + 1000);

describe('reconcileSite', () => {
  const table: [string, DesiredVee[], ObservedHost[], ReconcileAction['type'][]][] = [
    ['running and up: nothing', [vee()], [host([['rsv-a', 'running']])], []],
    ['blocked counts as up', [vee()], [host([['rsv-a', 'blocked']])], []],
    ['crashed: restart', [vee()], [host([['rsv-a', 'crashed']])], ['restart']],
    ['shut off behind our back: restart', [vee()], [host([['rsv-a', 'shutoff']])], ['restart']],
    ['failed and crashed: restart', [vee({ phase: 'failed' })], [host([['rsv-a', 'crashed']])], ['restart']],
    ['missing: recreate', [vee()], [host([])], ['recreate']],
    ['failed but running again: mark running', [vee({ phase: 'recovering' })], [host([['rsv-a', 'running']])], ['mark-running']],
    ['paused or shutting down: wait', [vee(), vee({ id: 'v2', domain: 'rsv-b' })], [host([['rsv-a', 'paused'], ['rsv-b', 'shutting-down']])], []],
    ['backoff not over: wait', [vee({ phase: 'failed', restarts: { attempts: 1, notBefore: later } })], [host([['rsv-a', 'crashed']])], []],
    ['restarts exhausted: give up', [vee({ phase: 'failed', restarts: { attempts: 5, notBefore: NOW } })], [host([['rsv-a', 'crashed']])], ['give-up']],
    ['unmanaged (deploying, deleting): hands off', [vee({ managed: false })], [host([['rsv-a', 'crashed']])], []],
    ['starting or lost: hands off', [vee({ phase: 'starting' }), vee({ id: 'v2', domain: 'rsv-b', phase: 'lost' })], [host([['rsv-a', 'crashed'], ['rsv-b', 'crashed']])], []],
    ['host unreachable: nothing, not even orphans', [vee()], [host([['x', 'running']], { reachable: false })], []],
    ['domain nobody owns: report, never destroy', [], [host([['foreign', 'running']])], ['report-orphan']],
    ['a deleted VEE owns nothing', [vee({ phase: 'deleted' })], [host([['rsv-a', 'shutoff']])], ['report-orphan']],
    ['an unmanaged VEE still owns its domain', [vee({ managed: false })], [host([['rsv-a', 'running']])], []],
  ];

  it.each(table)('%s', (_label, desired, observed, expected) => {
    expect(reconcileSite(desired, observed, NOW).map((a) => a.type)).toEqual(expected);
  });

  it('says what it saw', () => {
    expect(reconcileSite([vee()], [host([['rsv-a', 'crashed']])], NOW)).toEqual([
      { type: 'restart', veeId: 'v1', hostId: 'h1', domain: 'rsv-a', observed: 'crashed', reason: 'domain rsv-a is crashed' },
    ]);
    expect(reconcileSite([], [host([['x', 'paused']])], NOW)).toEqual([{ type: 'report-orphan', hostId: 'h1', domain: 'x', uuid: 'uuid-x', state: 'paused' }]);
  });

  it('property: at most one action per VEE and one report per foreign domain in a pass, and never a destroy', () => {
    const phases: VeePhase[] = ['defined', 'starting', 'running', 'paused', 'failed', 'recovering', 'lost', 'deleted'];
    const states: DomainState[] = ['running', 'blocked', 'paused', 'shutting-down', 'shutoff', 'crashed', 'unknown'];
    const arbVee = fc.record({
      id: fc.constantFrom('v1', 'v2', 'v3', 'v4'),
      hostId: fc.constantFrom('h1', 'h2'),
      domain: fc.constantFrom('d1', 'd2', 'd3', 'd4'),
      phase: fc.constantFrom(...phases),
      managed: fc.boolean(),
      restarts: fc.option(fc.record({ attempts: fc.nat(8), notBefore: fc.constantFrom(NOW, later) }), { nil: undefined }),
    });
    const arbHost = fc.record({
      hostId: fc.constantFrom('h1', 'h2'),
      reachable: fc.boolean(),
      domains: fc.array(fc.record({ name: fc.constantFrom('d1', 'd2', 'd3', 'd4', 'x'), uuid: fc.constant('u'), state: fc.constantFrom(...states) }), { maxLength: 6 }),
    });
    fc.assert(
      fc.property(fc.array(arbVee, { maxLength: 8 }), fc.uniqueArray(arbHost, { selector: (h) => h.hostId }), (desired, observed) => {
        const actions = reconcileSite(desired, observed, NOW);
        const perVee = new Map<string, number>();
        const orphans = new Set<string>();
        for (const a of actions) {
          if (a.type === 'report-orphan') {
            const key = `${a.hostId}/${a.domain}`;
            expect(orphans.has(key)).toBe(false);
            orphans.add(key);
          } else perVee.set(a.veeId, (perVee.get(a.veeId) ?? 0) + 1);
        }
        for (const n of perVee.values()) expect(n).toBe(1);
        for (const a of actions) {
          if (a.type === 'restart' || a.type === 'recreate') {
            const owner = desired.find((d) => d.id === a.veeId);
            expect(owner?.managed).toBe(true);
            expect(observed.find((h) => h.hostId === a.hostId)?.reachable).toBe(true);
          }
        }
        expect(reconcileSite(desired, observed, NOW)).toEqual(actions);
      }),
      { numRuns: 500 },
    );
  });
});
