import { join, resolve } from 'node:path';
import { ConfigError, defaultImageDir, loadConfig } from './load-config';

describe('loadConfig', () => {
  it('gives the embedded store and memory bus when nothing is set', () => {
    const c = loadConfig({});
    expect(c).toEqual({
      siteId: 'local',
      http: { host: '0.0.0.0', port: 8080 },
      store: { kind: 'embedded', dataDir: '.data/local' },
      bus: { kind: 'memory' },
      manifest: { maxBytes: 1048576, maxDepth: 32 },
      deploy: { consoleDir: resolve('.data/local/consoles'), startTimeoutMs: 60000 },
      reconcile: { periodMs: 2000 },
      failover: { suspectAfterFailedChecks: 2, healthyAfterGoodChecks: 3, maxAttemptsPerStep: 2, initialBackoffMs: 1000, maxBackoffMs: 30000, actionTimeoutMs: 120000, forgetAfterHealthyMs: 600000, tickMs: 250 },
      checkpoints: { dir: resolve('.data/local/checkpoints'), keep: 3, monitoringDebounceMs: 60_000 },
      images: { dir: defaultImageDir() },
    });
  });

  it("takes the image catalogue from RESERVOIR_IMAGE_DIR, else the repo's .services/images", () => {
    expect(loadConfig({ RESERVOIR_IMAGE_DIR: ' /srv/images ' }).images.dir).toBe('/srv/images');
    expect(defaultImageDir()).toMatch(/\/\.services\/images$/);
    expect(defaultImageDir()).toBe(join(__dirname, '..', '..', '.services', 'images'));
  });

  it('puts console logs under the data directory unless told otherwise, and bounds the loop period', () => {
    expect(loadConfig({ RESERVOIR_DATA_DIR: '/srv/rsv/' }).deploy.consoleDir).toBe('/srv/rsv/consoles');
    expect(loadConfig({ RESERVOIR_SITE_ID: 'b', RESERVOIR_DATABASE_URL: 'postgres://u@h:5432/d' }).deploy.consoleDir).toBe(resolve('.data/b/consoles'));
    expect(loadConfig({ RESERVOIR_CONSOLE_DIR: '/var/log/vees', RESERVOIR_RECONCILE_PERIOD_MS: '100' })).toMatchObject({
      deploy: { consoleDir: '/var/log/vees' },
      reconcile: { periodMs: 100 },
    });
    expect(() => loadConfig({ RESERVOIR_RECONCILE_PERIOD_MS: '0', RESERVOIR_START_TIMEOUT_MS: 'x' })).toThrow(
      /RESERVOIR_START_TIMEOUT_MS[\s\S]*RESERVOIR_RECONCILE_PERIOD_MS/,
    );
  });

  it('puts checkpoint bundles under the data directory unless told otherwise, and bounds how many are kept', () => {
    expect(loadConfig({ RESERVOIR_DATA_DIR: '/srv/rsv/' }).checkpoints).toEqual({ dir: '/srv/rsv/checkpoints', keep: 3, monitoringDebounceMs: 60_000 });
    expect(loadConfig({ RESERVOIR_CHECKPOINT_DIR: '/var/lib/ckpt', RESERVOIR_CHECKPOINT_KEEP: '5' }).checkpoints).toEqual({ dir: '/var/lib/ckpt', keep: 5, monitoringDebounceMs: 60_000 });
    expect(() => loadConfig({ RESERVOIR_CHECKPOINT_KEEP: '0' })).toThrow(/RESERVOIR_CHECKPOINT_KEEP="0": must be an integer from 1 to 1000/);
  });

  it('reads a server store and a Kafka bus', () => {
    const c = loadConfig({
      RESERVOIR_SITE_ID: 'site-b',
      RESERVOIR_HTTP_PORT: '9000',
      RESERVOIR_DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/reservoir',
      RESERVOIR_BUS: 'kafka',
      RESERVOIR_KAFKA_BROKERS: '127.0.0.1:9092, 127.0.0.1:9094',
      RESERVOIR_MAX_MANIFEST_BYTES: '2048',
    });
    expect(c.siteId).toBe('site-b');
    expect(c.http.port).toBe(9000);
    expect(c.store).toEqual({ kind: 'server', url: 'postgres://postgres@127.0.0.1:5432/reservoir' });
    expect(c.bus).toEqual({ kind: 'kafka', brokers: ['127.0.0.1:9092', '127.0.0.1:9094'], partitions: 3, replicationFactor: 1 });
    expect(c.manifest.maxBytes).toBe(2048);
  });

  it('names every bad variable at once', () => {
    let error: unknown;
    try {
      loadConfig({
        RESERVOIR_SITE_ID: 'Bad Site',
        RESERVOIR_HTTP_PORT: '70000',
        RESERVOIR_DATABASE_URL: 'mysql://x/y',
        RESERVOIR_BUS: 'kafka',
        RESERVOIR_MAX_MANIFEST_BYTES: '-1',
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const names = (error as ConfigError).problems.map((p) => p.split(/[=:]/)[0]);
    expect(names).toEqual([
      'RESERVOIR_SITE_ID',
      'RESERVOIR_HTTP_PORT',
      'RESERVOIR_DATABASE_URL',
      'RESERVOIR_KAFKA_BROKERS',
      'RESERVOIR_MAX_MANIFEST_BYTES',
    ]);
  });

  it('rejects an unknown bus and a malformed broker list', () => {
    expect(() => loadConfig({ RESERVOIR_BUS: 'rabbit' })).toThrow(/RESERVOIR_BUS="rabbit": must be one of memory, kafka/);
    expect(() => loadConfig({ RESERVOIR_BUS: 'kafka', RESERVOIR_KAFKA_BROKERS: 'nohost' })).toThrow(/"nohost" is not host:port/);
  });
});
