import fc from 'fast-check';
import { decideRuleCheckpoints, isHostEventType, type RuleCandidate, ruleTrigger } from './monitoring-rules';

const T0 = new Date('2025-01-01T00:00:00Z');
const at = (ms: number): Date => new Date(T0.getTime() + ms);
const vee = (veeId: string, over: Partial<RuleCandidate> = {}): RuleCandidate => ({
  veeId, role: 'active', phase: 'running', protection: 'checkpoint', checkpointOn: ['on-battery', 'disk-errors'], ...over,
});

describe('monitoring rules', () => {
  it('knows the host event types and names the trigger after the event', () => {
    expect(isHostEventType('on-battery')).toBe(true);
    expect(isHostEventType('solar-flare')).toBe(false);
    expect(isHostEventType(3)).toBe(false);
    expect(ruleTrigger('disk-errors')).toBe('monitoring-rule:disk-errors');
  });

  it('checkpoints the running active VEEs whose tier has the rule, skips the others with a reason, leaves out the rest', () => {
    const decisions = decideRuleCheckpoints({
      event: 'on-battery',
      candidates: [
        vee('a'),
        vee('b', { checkpointOn: ['disk-errors'] }),
        vee('c', { checkpointOn: undefined }),
        vee('d', { role: 'standby' }),
        vee('e', { phase: 'migrating' }),
        vee('f', { protection: 'restart' }),
        vee('g', { protection: 'live-standby' }),
      ],
      lastFired: () => undefined,
      now: T0,
      debounceMs: 60_000,
    });
    expect(decisions).toEqual([
      { veeId: 'a', outcome: 'checkpoint', trigger: 'monitoring-rule:on-battery' },
      { veeId: 'd', outcome: 'skipped', trigger: 'monitoring-rule:on-battery', reason: 'a standby copy is not checkpointed' },
      { veeId: 'e', outcome: 'skipped', trigger: 'monitoring-rule:on-battery', reason: 'the VEE is migrating' },
      { veeId: 'g', outcome: 'checkpoint', trigger: 'monitoring-rule:on-battery' },
    ]);
  });

  it('debounces per VEE and rule: inside the window it says when the next is allowed; another rule is not held back', () => {
    const fired = new Map([['a|on-battery', at(0)]]);
    const decide = (event: 'on-battery' | 'disk-errors', now: Date, debounceMs = 60_000) =>
      decideRuleCheckpoints({ event, candidates: [vee('a')], lastFired: (id, e) => fired.get(`${id}|${e}`), now, debounceMs })[0];
    expect(decide('on-battery', at(59_999))).toEqual({ veeId: 'a', outcome: 'debounced', trigger: 'monitoring-rule:on-battery', nextAllowedAt: at(60_000) });
    expect(decide('on-battery', at(60_000))?.outcome).toBe('checkpoint');
    expect(decide('disk-errors', at(1))?.outcome).toBe('checkpoint');
    expect(decide('on-battery', at(1), 0)?.outcome).toBe('checkpoint');
  });

  it('property: an event storm fires at most one checkpoint per VEE and rule per window', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 600_000 }), { minLength: 1, maxLength: 200 }), fc.integer({ min: 1, max: 120_000 }), (offsets, window) => {
        const times = [...offsets].sort((x, y) => x - y);
        let last: Date | undefined;
        const fires: number[] = [];
        for (const t of times) {
          const [d] = decideRuleCheckpoints({ event: 'on-battery', candidates: [vee('a')], lastFired: () => last, now: at(t), debounceMs: window });
          if (d?.outcome === 'checkpoint') {
            last = at(t);
            fires.push(t);
          }
        }
        expect(fires[0]).toBe(times[0]);
        for (let i = 1; i < fires.length; i++) expect((fires[i] ?? 0) - (fires[i - 1] ?? 0)).toBeGreaterThanOrEqual(window);
        expect(fires.length).toBeLessThanOrEqual(Math.floor(((times[times.length - 1] ?? 0) - (times[0] ?? 0)) / window) + 1);
      }),
    );
  });
});
