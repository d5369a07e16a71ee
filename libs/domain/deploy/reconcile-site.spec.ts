import fc from 'fast-check';
import { type DomainState } from '../ports/hypervisor.port';
import { type VeePhase } from '../vee/vee-phase';
import { type DesiredVee, type ObservedHost, type ReconcileAction, reconcileSite } from './reconcile-site';

const vee = (fields: Partial<DesiredVee> = {}): DesiredVee => ({ id: 'v1', hostId: 'h1', domain: 'rsv-a', phase: 'running', role: 'active', managed: true, ...fields });
const host = (domains: [string, DomainState][], fields: Partial<ObservedHost> = {}): ObservedHost => ({
  hostId: 'h1',
  reachable: true,
  domains: domains.map(([name, state]) => ({ name, uuid: `uuid-${name}`, state })),
  ...fields,
});
/** What a pass says, in short: `ok`/`failed`/`host-down` per check, then the action types. */
const summary = (desired: DesiredVee[], observed: ObservedHost[]): string[] => {
  const pass = reconcileSite(desired, observed);
  return [...pass.checks.map((c) => (c.hostUp ? (c.ok ? 'ok' : 'failed') : 'host-down')), ...pass.actions.map((a) => a.type)];
};

describe('reconcileSite', () => {
  const table: [string, DesiredVee[], ObservedHost[], string[]][] = [
    ['running and up: a good check', [vee()], [host([['rsv-a', 'running']])], ['ok']],
    ['blocked counts as up', [vee()], [host([['rsv-a', 'blocked']])], ['ok']],
    ['paused while running or checkpointing: good (a checkpoint pauses it)', [vee(), vee({ id: 'v2', domain: 'rsv-b', phase: 'checkpointing' })], [host([['rsv-a', 'paused'], ['rsv-b', 'paused']])], ['ok', 'ok']],
    ['crashed: a failed check, no restart', [vee()], [host([['rsv-a', 'crashed']])], ['failed']],
    ['shut off behind our back: failed', [vee()], [host([['rsv-a', 'shutoff']])], ['failed']],
    ['missing: failed', [vee()], [host([])], ['failed']],
    ['failed but running again: good, and mark it running', [vee({ phase: 'recovering' })], [host([['rsv-a', 'running']])], ['ok', 'mark-running']],
    ['failed and still crashed: failed, nothing else', [vee({ phase: 'failed' })], [host([['rsv-a', 'crashed']])], ['failed']],
    ['shutting down, or paused while failed: no check yet', [vee(), vee({ id: 'v2', domain: 'rsv-b', phase: 'failed' })], [host([['rsv-a', 'shutting-down'], ['rsv-b', 'paused']])], []],
    ['host unreachable: a failed check with the host down, nothing else', [vee()], [host([['x', 'running']], { reachable: false })], ['host-down']],
    ['unmanaged (deploying, deleting): hands off', [vee({ managed: false })], [host([['rsv-a', 'crashed']])], []],
    ['starting, lost or a standby: hands off', [vee({ phase: 'starting' }), vee({ id: 'v2', domain: 'rsv-b', phase: 'lost' }), vee({ id: 'v3', domain: 'rsv-c', role: 'standby', phase: 'standby' })], [host([['rsv-a', 'crashed'], ['rsv-b', 'crashed'], ['rsv-c', 'paused']])], []],
    ['domain nobody owns: report, never destroy', [], [host([['foreign', 'running']])], ['report-orphan']],
    ['a deleted VEE owns nothing', [vee({ phase: 'deleted' })], [host([['rsv-a', 'shutoff']])], ['report-orphan']],
    ['an unmanaged VEE still owns its domain', [vee({ managed: false })], [host([['rsv-a', 'running']])], []],
    ['a copy of a VEE that lives on another host: fence it', [vee({ id: 'uuid-rsv-a', hostId: 'h2' })], [host([['rsv-a', 'crashed']])], ['fence']],
    ['same name, another uuid: not ours, report it', [vee({ hostId: 'h2' })], [host([['rsv-a', 'crashed']])], ['report-orphan']],
    ['a copy of a VEE being migrated or not managed: leave it', [vee({ id: 'uuid-rsv-a', hostId: 'h2', phase: 'migrating' }), vee({ id: 'uuid-rsv-b', domain: 'rsv-b', hostId: 'h2', managed: false })], [host([['rsv-a', 'paused'], ['rsv-b', 'running']])], []],
  ];

  it.each(table)('%s', (_label, desired, observed, expected) => {
    expect(summary(desired, observed)).toEqual(expected);
  });

  it('says what it saw', () => {
    expect(reconcileSite([vee()], [host([['rsv-a', 'crashed']])])).toEqual({
      checks: [{ veeId: 'v1', hostId: 'h1', ok: false, hostUp: true, detail: 'domain rsv-a is crashed' }],
      actions: [],
    });
    expect(reconcileSite([vee({ id: 'uuid-rsv-a', hostId: 'h2' })], [host([['rsv-a', 'running']])]).actions).toEqual([
      { type: 'fence', veeId: 'uuid-rsv-a', hostId: 'h1', domain: 'rsv-a', state: 'running', reason: 'stale copy of VEE uuid-rsv-a (it lives on host h2)' },
    ]);
    expect(reconcileSite([], [host([['x', 'paused']])]).actions).toEqual([{ type: 'report-orphan', hostId: 'h1', domain: 'x', uuid: 'uuid-x', state: 'paused' }]);
  });

  it('property: at most one check and one action per VEE, one report per foreign domain; only stale copies of VEEs living elsewhere are fenced', () => {
    const phases: VeePhase[] = ['defined', 'starting', 'running', 'paused', 'checkpointing', 'migrating', 'failed', 'recovering', 'lost', 'deleted'];
    const states: DomainState[] = ['running', 'blocked', 'paused', 'shutting-down', 'shutoff', 'crashed', 'unknown'];
    const arbVee = fc.record({
      id: fc.constantFrom('v1', 'v2', 'v3', 'v4'),
      hostId: fc.constantFrom('h1', 'h2'),
      domain: fc.constantFrom('d1', 'd2', 'd3', 'd4'),
      phase: fc.constantFrom(...phases),
      role: fc.constantFrom('active' as const, 'standby' as const),
      managed: fc.boolean(),
    });
    const arbHost = fc.record({
      hostId: fc.constantFrom('h1', 'h2'),
      reachable: fc.boolean(),
      domains: fc.array(fc.record({ name: fc.constantFrom('d1', 'd2', 'd3', 'd4', 'x'), uuid: fc.constantFrom('v1', 'v2', 'u'), state: fc.constantFrom(...states) }), { maxLength: 6 }),
    });
    fc.assert(
      fc.property(fc.array(arbVee, { maxLength: 8 }), fc.uniqueArray(arbHost, { selector: (h) => h.hostId }), (desired, observed) => {
        const pass = reconcileSite(desired, observed);
        const checked = pass.checks.map((c) => c.veeId);
        expect(new Set(checked).size).toBe(checked.length);
        const keys = new Set<string>();
        const keyOf = (a: ReconcileAction): string => (a.type === 'mark-running' ? a.veeId : `${a.hostId}/${a.domain}`);
        for (const a of pass.actions) {
          expect(keys.has(keyOf(a))).toBe(false);
          keys.add(keyOf(a));
          if (a.type === 'fence') {
            const owner = desired.find((d) => d.id === a.veeId);
            expect(owner?.managed).toBe(true);
            expect(owner?.hostId).not.toBe(a.hostId);
            expect(owner?.domain).toBe(a.domain);
            expect(observed.find((h) => h.hostId === a.hostId)?.reachable).toBe(true);
          }
        }
        for (const c of pass.checks) {
          const owner = desired.find((d) => d.id === c.veeId);
          expect(owner?.managed && owner.role === 'active').toBe(true);
        }
        expect(reconcileSite(desired, observed)).toEqual(pass);
      }),
      { numRuns: 500 },
    );
  });
});
