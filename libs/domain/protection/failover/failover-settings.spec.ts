import { DomainError } from '../../shared/domain-error';
import { backoffMs, DEFAULT_FAILOVER_SETTINGS, type FailoverSettingsInput, maxActionsInWindow, resolveFailoverSettings } from './failover-settings';
import { DEFAULT_LADDERS, ladderAttempts, type RecoveryStep, usableStep } from './recovery-ladder';

const S = DEFAULT_FAILOVER_SETTINGS;

describe('resolveFailoverSettings', () => {
  it('fills defaults and keeps what is set, ladder by ladder', () => {
    expect(resolveFailoverSettings()).toEqual(S);
    const s = resolveFailoverSettings({ healthyAfterGoodChecks: 5, actionTimeoutMs: undefined, ladders: { restart: ['restart-in-place', 'reinstall'] } });
    expect(s).toEqual({ ...S, healthyAfterGoodChecks: 5, ladders: { ...DEFAULT_LADDERS, restart: ['restart-in-place', 'reinstall'] } });
  });

  it('defaults bring a killed VEE back well within 30 s: detection k × check, first action at once, then 1 s', () => {
    expect(S.suspectAfterFailedChecks * S.checkIntervalMs).toBe(2000);
    expect(backoffMs(S, 1)).toBe(1000);
  });

  const bad: [FailoverSettingsInput, string[]][] = [
    [{ checkIntervalMs: 0 }, ['checkIntervalMs']],
    [{ suspectAfterFailedChecks: 1.5 }, ['suspectAfterFailedChecks']],
    [{ healthyAfterGoodChecks: 0 }, ['healthyAfterGoodChecks']],
    [{ maxAttemptsPerStep: -1 }, ['maxAttemptsPerStep']],
    [{ initialBackoffMs: 0 }, ['initialBackoffMs']],
    [{ maxBackoffMs: 500 }, ['maxBackoffMs']],
    [{ backoffMultiplier: 0.5 }, ['backoffMultiplier']],
    [{ actionTimeoutMs: Number.NaN, forgetAfterHealthyMs: -1 }, ['actionTimeoutMs', 'forgetAfterHealthyMs']],
    [{ ladders: { checkpoint: ['restart-in-place', 'restart-in-place'] } }, ['ladders.checkpoint']],
    [{ ladders: { restart: ['reboot' as RecoveryStep], none: ['teleport' as RecoveryStep] } }, ['ladders.none', 'ladders.restart']],
  ];
  it.each(bad)('refuses %j, listing every bad field', (partial, paths) => {
    try {
      resolveFailoverSettings(partial);
      throw new Error('expected a refusal');
    } catch (e) {
      expect(e).toBeInstanceOf(DomainError);
      expect((e as DomainError).code).toBe('invalid-input');
      expect((e as DomainError).details.map((d) => d.path)).toEqual(paths);
    }
  });
});

describe('back-off, ladders and the action bound', () => {
  it.each([
    [0, 0],
    [1, 1000],
    [2, 2000],
    [5, 16_000],
    [6, 30_000],
    [40, 30_000],
  ])('after %i failures waits %i ms', (failures, ms) => {
    expect(backoffMs(S, failures)).toBe(ms);
  });

  it.each([
    ['restart', true, 6],
    ['restart', false, 4],
    ['checkpoint', false, 4],
    ['live-standby', true, 8],
    ['live-standby', false, 6],
    ['none', true, 0],
  ] as const)('%s ladder (host up: %s) has %i attempts', (level, hostUp, n) => {
    expect(ladderAttempts(DEFAULT_LADDERS[level], S.maxAttemptsPerStep, hostUp)).toBe(n);
  });

  it('skips steps that need a down host', () => {
    const ladder = DEFAULT_LADDERS['live-standby'];
    expect([usableStep(ladder, 1, true), usableStep(ladder, 1, false), usableStep(ladder, 4, true)]).toEqual([1, 2, undefined]);
  });

  it('bounds actions per window by the ladder and by the back-off', () => {
    expect(maxActionsInWindow(S, 'restart', 2_500)).toBe(3);
    expect(maxActionsInWindow(S, 'restart', 60_000)).toBe(6);
    expect(maxActionsInWindow(S, 'restart', 1_200_000)).toBe(18);
    expect(maxActionsInWindow(S, 'none', 60_000)).toBe(0);
  });
});
