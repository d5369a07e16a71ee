import { DEFAULT_FAILOVER_SETTINGS } from '@reservoir/domain/protection/failover';
import { loadConfig } from './load-config';

describe('loadConfig: failover', () => {
  it("defaults to the failover machine's defaults", () => {
    const { tickMs, ...settings } = loadConfig({}).failover;
    expect(tickMs).toBe(250);
    const { checkIntervalMs: _c, backoffMultiplier: _m, ladders: _l, ...defaults } = DEFAULT_FAILOVER_SETTINGS;
    expect(settings).toEqual(defaults);
  });

  it('reads every RESERVOIR_FAILOVER_* variable', () => {
    expect(loadConfig({
      RESERVOIR_FAILOVER_SUSPECT_AFTER: '3', RESERVOIR_FAILOVER_HEALTHY_AFTER: '4', RESERVOIR_FAILOVER_ATTEMPTS_PER_STEP: '1',
      RESERVOIR_FAILOVER_BACKOFF_MS: '500', RESERVOIR_FAILOVER_MAX_BACKOFF_MS: '8000', RESERVOIR_FAILOVER_ACTION_TIMEOUT_MS: '90000',
      RESERVOIR_FAILOVER_FORGET_AFTER_MS: '60000', RESERVOIR_FAILOVER_TICK_MS: '100',
    }).failover).toEqual({
      suspectAfterFailedChecks: 3, healthyAfterGoodChecks: 4, maxAttemptsPerStep: 1, initialBackoffMs: 500, maxBackoffMs: 8000,
      actionTimeoutMs: 90000, forgetAfterHealthyMs: 60000, tickMs: 100,
    });
  });

  it('refuses bad values, listing every one: bounds, a max back-off below the first, an action timeout within the start timeout', () => {
    let message = '';
    try {
      loadConfig({
        RESERVOIR_FAILOVER_SUSPECT_AFTER: '0', RESERVOIR_FAILOVER_TICK_MS: 'fast', RESERVOIR_FAILOVER_BACKOFF_MS: '5000',
        RESERVOIR_FAILOVER_MAX_BACKOFF_MS: '1000', RESERVOIR_START_TIMEOUT_MS: '60000', RESERVOIR_FAILOVER_ACTION_TIMEOUT_MS: '60000',
      });
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toContain('RESERVOIR_FAILOVER_SUSPECT_AFTER="0": must be an integer from 1 to 100');
    expect(message).toContain('RESERVOIR_FAILOVER_TICK_MS="fast": must be an integer from 10 to 10000');
    expect(message).toContain('RESERVOIR_FAILOVER_MAX_BACKOFF_MS=1000: must be at least RESERVOIR_FAILOVER_BACKOFF_MS (5000)');
    expect(message).toContain('RESERVOIR_FAILOVER_ACTION_TIMEOUT_MS=60000: must exceed RESERVOIR_START_TIMEOUT_MS (60000)');
  });
});
