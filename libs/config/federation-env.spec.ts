import { type ConfigError, ENV_VARS, loadConfig } from './index';

describe('federation settings in the environment', () => {
  it('are absent for a broker that runs alone', () => {
    expect(loadConfig({}).federation).toBeUndefined();
  });

  it('take both files and the clock window (default 5 minutes)', () => {
    expect(loadConfig({ RESERVOIR_SITE_KEY_FILE: '/k/site.key', RESERVOIR_FEDERATION_FILE: ' /k/federation.json ' }).federation).toEqual({
      siteKeyFile: '/k/site.key',
      federationFile: '/k/federation.json',
      clockWindowMs: 300000,
      heartbeatMs: 1000,
      suspectAfterBeats: 3,
      deadAfterMs: 10000,
      aliveAfterBeats: 3,
      cfpWindowMs: 2000,
      contractTermMs: 3600000,
      prices: { vcpuHour: 0.02, memoryGiBHour: 0.005, diskGiBHour: 0, currency: 'EUR' },
      dataMaxBytes: 8589934592,
      preference: {},
      distanceClass: {},
    });
    expect(
      loadConfig({ RESERVOIR_SITE_KEY_FILE: 'a', RESERVOIR_FEDERATION_FILE: 'b', RESERVOIR_CLOCK_WINDOW_MS: '60000' }).federation?.clockWindowMs,
    ).toBe(60000);
  });

  it('need both files or neither, and a bounded window, naming each variable', () => {
    expect(() => loadConfig({ RESERVOIR_SITE_KEY_FILE: 'a' })).toThrow(/RESERVOIR_FEDERATION_FILE: required when RESERVOIR_SITE_KEY_FILE is set/);
    expect(() => loadConfig({ RESERVOIR_FEDERATION_FILE: 'b' })).toThrow(/RESERVOIR_SITE_KEY_FILE: required when RESERVOIR_FEDERATION_FILE is set/);
    let error: unknown;
    try {
      loadConfig({ RESERVOIR_CLOCK_WINDOW_MS: '10', RESERVOIR_HTTP_PORT: 'x' });
    } catch (e) {
      error = e;
    }
    expect((error as ConfigError).problems).toEqual([
      'RESERVOIR_HTTP_PORT="x": must be an integer from 0 to 65535',
      'RESERVOIR_CLOCK_WINDOW_MS="10": must be an integer from 1000 to 86400000',
    ]);
  });

  it('take the failure detector, negotiation and price settings, checking each', () => {
    const both = { RESERVOIR_SITE_KEY_FILE: 'a', RESERVOIR_FEDERATION_FILE: 'b' };
    expect(loadConfig({
      ...both, RESERVOIR_HEARTBEAT_MS: '200', RESERVOIR_DEAD_AFTER_MS: '2000', RESERVOIR_PRICE_VCPU_HOUR: '0.5', RESERVOIR_CURRENCY: 'USD',
      RESERVOIR_SITE_PREFERENCES: 'b=2, c=1.5', RESERVOIR_DISTANCE_CLASSES: 'b=0,c=3',
    }).federation).toMatchObject({
      heartbeatMs: 200, deadAfterMs: 2000, prices: { vcpuHour: 0.5, currency: 'USD' }, preference: { b: 2, c: 1.5 }, distanceClass: { b: 0, c: 3 },
    });
    let error: unknown;
    try {
      loadConfig({ ...both, RESERVOIR_HEARTBEAT_MS: '1000', RESERVOIR_DEAD_AFTER_MS: '2000', RESERVOIR_PRICE_VCPU_HOUR: '-1', RESERVOIR_CURRENCY: 'euro', RESERVOIR_SITE_PREFERENCES: 'B=x' });
    } catch (e) {
      error = e;
    }
    expect((error as ConfigError).problems).toEqual([
      'RESERVOIR_DEAD_AFTER_MS=2000: must exceed RESERVOIR_HEARTBEAT_MS × RESERVOIR_SUSPECT_AFTER_BEATS (3000)',
      'RESERVOIR_CURRENCY="euro": must be 3 capital letters (ISO 4217)',
      'RESERVOIR_PRICE_VCPU_HOUR="-1": must be a decimal number ≥ 0',
      'RESERVOIR_SITE_PREFERENCES: "B=x" is not site=number',
    ]);
  });

  it('are documented in the env schema', () => {
    expect(ENV_VARS.map((v) => v.name)).toEqual(expect.arrayContaining(['RESERVOIR_SITE_KEY_FILE', 'RESERVOIR_FEDERATION_FILE', 'RESERVOIR_CLOCK_WINDOW_MS']));
  });
});
