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

  it('are documented in the env schema', () => {
    expect(ENV_VARS.map((v) => v.name)).toEqual(expect.arrayContaining(['RESERVOIR_SITE_KEY_FILE', 'RESERVOIR_FEDERATION_FILE', 'RESERVOIR_CLOCK_WINDOW_MS']));
  });
});
