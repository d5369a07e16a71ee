import { join, resolve } from 'node:path';
import { type BrokerConfig, type FailoverEnv, type FederationEnv } from './env.schema';
import { findShippedFile } from './repo-paths';

export type Env = Record<string, string | undefined>;

/** Thrown by loadConfig; `problems` names every bad variable. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  ${problems.join('\n  ')}`);
    this.name = 'ConfigError';
  }
}

const SITE_ID = /^[a-z][a-z0-9-]{0,62}$/;
const HOST_PORT = /^[A-Za-z0-9.\-_[\]:]+:\d{1,5}$/;

class Reader {
  readonly problems: string[] = [];
  constructor(private readonly env: Env) {}

  str(name: string, fallback?: string): string | undefined {
    const v = this.env[name];
    return v === undefined || v.trim() === '' ? fallback : v.trim();
  }

  int(name: string, fallback: number, min: number, max: number): number {
    const raw = this.str(name);
    if (raw === undefined) return fallback;
    const n = /^\d+$/.test(raw) ? Number(raw) : NaN;
    if (!Number.isSafeInteger(n) || n < min || n > max) {
      this.problems.push(`${name}=${JSON.stringify(raw)}: must be an integer from ${min} to ${max}`);
      return fallback;
    }
    return n;
  }

  oneOf<T extends string>(name: string, fallback: T, allowed: readonly T[]): T {
    const raw = this.str(name, fallback) as T;
    if (allowed.includes(raw)) return raw;
    this.problems.push(`${name}=${JSON.stringify(raw)}: must be one of ${allowed.join(', ')}`);
    return fallback;
  }

  /** A decimal ≥ 0 (prices). */
  decimal(name: string, fallback: number): number {
    const raw = this.str(name);
    if (raw === undefined) return fallback;
    const n = /^\d+(\.\d+)?$/.test(raw) ? Number(raw) : NaN;
    if (!Number.isFinite(n)) {
      this.problems.push(`${name}=${JSON.stringify(raw)}: must be a decimal number ≥ 0`);
      return fallback;
    }
    return n;
  }

  /** `site=number,…`: a number per site id. */
  siteNumbers(name: string): Record<string, number> {
    const raw = this.str(name);
    const out: Record<string, number> = {};
    if (raw === undefined) return out;
    for (const part of raw.split(',').map((p) => p.trim()).filter((p) => p !== '')) {
      const m = /^([a-z][a-z0-9-]{0,62})=(-?\d+(\.\d+)?)$/.exec(part);
      if (m) out[m[1] as string] = Number(m[2]);
      else this.problems.push(`${name}: ${JSON.stringify(part)} is not site=number`);
    }
    return out;
  }

  fail(message: string): void {
    this.problems.push(message);
  }
}

/** Reads and validates the broker's environment (see env.schema.ts for every variable). */
export function loadConfig(env: Env): BrokerConfig {
  const r = new Reader(env);
  const siteId = r.str('RESERVOIR_SITE_ID', 'local') as string;
  if (!SITE_ID.test(siteId)) r.fail(`RESERVOIR_SITE_ID=${JSON.stringify(siteId)}: must be 1-63 of a-z, 0-9 and -, starting with a letter`);
  const http = { host: r.str('RESERVOIR_HTTP_HOST', '0.0.0.0') as string, port: r.int('RESERVOIR_HTTP_PORT', 8080, 0, 65535) };
  const store = readStore(r, siteId);
  const dataDir = r.str('RESERVOIR_DATA_DIR', `.data/${siteId}`) as string;
  const config: BrokerConfig = {
    siteId,
    http,
    store,
    bus: readBus(r),
    manifest: {
      maxBytes: r.int('RESERVOIR_MAX_MANIFEST_BYTES', 1048576, 1024, 64 * 1024 * 1024),
      maxDepth: r.int('RESERVOIR_MAX_MANIFEST_DEPTH', 32, 4, 256),
    },
    deploy: {
      // Absolute: libvirt writes console logs on the host, where the broker's working directory means nothing.
      consoleDir: resolve(r.str('RESERVOIR_CONSOLE_DIR', `${dataDir.replace(/\/+$/, '')}/consoles`) as string),
      startTimeoutMs: r.int('RESERVOIR_START_TIMEOUT_MS', 60_000, 100, 3_600_000),
    },
    reconcile: { periodMs: r.int('RESERVOIR_RECONCILE_PERIOD_MS', 2000, 50, 3_600_000) },
    failover: readFailover(r),
    checkpoints: {
      // Absolute, like the console directory: the path is used on the hosts.
      dir: resolve(r.str('RESERVOIR_CHECKPOINT_DIR', `${dataDir.replace(/\/+$/, '')}/checkpoints`) as string),
      keep: r.int('RESERVOIR_CHECKPOINT_KEEP', 3, 1, 1000),
      monitoringDebounceMs: r.int('RESERVOIR_MONITORING_DEBOUNCE_MS', 60_000, 0, 86_400_000),
    },
    images: { dir: r.str('RESERVOIR_IMAGE_DIR') ?? defaultImageDir() },
    federation: readFederation(r),
  };
  if (r.problems.length > 0) throw new ConfigError(r.problems);
  return config;
}

/** The repo's `.services/images` (where services:up builds the guests), found like shipped files; else under the cwd. */
export function defaultImageDir(): string {
  try {
    return findShippedFile(join('.services', 'images'));
  } catch {
    return join(process.cwd(), '.services', 'images');
  }
}

function readStore(r: Reader, siteId: string): BrokerConfig['store'] {
  const url = r.str('RESERVOIR_DATABASE_URL');
  if (url === undefined) return { kind: 'embedded', dataDir: r.str('RESERVOIR_DATA_DIR', `.data/${siteId}`) as string };
  let ok = false;
  try {
    const u = new URL(url);
    ok = (u.protocol === 'postgres:' || u.protocol === 'postgresql:') && u.hostname !== '' && u.pathname.length > 1;
  } catch {
    ok = false;
  }
  if (!ok) r.fail('RESERVOIR_DATABASE_URL: must be a postgres://user@host:port/database URL (or unset for the embedded store)');
  return { kind: 'server', url };
}

function readBus(r: Reader): BrokerConfig['bus'] {
  const kind = r.oneOf('RESERVOIR_BUS', 'memory', ['memory', 'kafka'] as const);
  const partitions = r.int('RESERVOIR_KAFKA_PARTITIONS', 3, 1, 1000);
  const replicationFactor = r.int('RESERVOIR_KAFKA_REPLICATION', 1, 1, 10);
  if (kind === 'memory') return { kind };
  const raw = r.str('RESERVOIR_KAFKA_BROKERS');
  const brokers = (raw ?? '').split(',').map((b) => b.trim()).filter((b) => b !== '');
  if (brokers.length === 0) r.fail('RESERVOIR_KAFKA_BROKERS: required when RESERVOIR_BUS=kafka (e.g. 127.0.0.1:9092)');
  for (const b of brokers) if (!HOST_PORT.test(b)) r.fail(`RESERVOIR_KAFKA_BROKERS: ${JSON.stringify(b)} is not host:port`);
  return { kind, brokers, partitions, replicationFactor };
}

/** Defaults as DEFAULT_FAILOVER_SETTINGS; a recovery action must be given longer than a VEE's start. */
function readFailover(r: Reader): FailoverEnv {
  const f: FailoverEnv = {
    suspectAfterFailedChecks: r.int('RESERVOIR_FAILOVER_SUSPECT_AFTER', 2, 1, 100),
    healthyAfterGoodChecks: r.int('RESERVOIR_FAILOVER_HEALTHY_AFTER', 3, 1, 100),
    maxAttemptsPerStep: r.int('RESERVOIR_FAILOVER_ATTEMPTS_PER_STEP', 2, 1, 20),
    initialBackoffMs: r.int('RESERVOIR_FAILOVER_BACKOFF_MS', 1000, 10, 600_000),
    maxBackoffMs: r.int('RESERVOIR_FAILOVER_MAX_BACKOFF_MS', 30_000, 10, 3_600_000),
    actionTimeoutMs: r.int('RESERVOIR_FAILOVER_ACTION_TIMEOUT_MS', 120_000, 200, 3_600_000),
    forgetAfterHealthyMs: r.int('RESERVOIR_FAILOVER_FORGET_AFTER_MS', 600_000, 1000, 86_400_000),
    tickMs: r.int('RESERVOIR_FAILOVER_TICK_MS', 250, 10, 10_000),
  };
  if (f.maxBackoffMs < f.initialBackoffMs) {
    r.fail(`RESERVOIR_FAILOVER_MAX_BACKOFF_MS=${f.maxBackoffMs}: must be at least RESERVOIR_FAILOVER_BACKOFF_MS (${f.initialBackoffMs})`);
  }
  const startTimeoutMs = Number(r.str('RESERVOIR_START_TIMEOUT_MS', '60000')); // itself checked with deploy
  if (Number.isSafeInteger(startTimeoutMs) && f.actionTimeoutMs <= startTimeoutMs) {
    r.fail(`RESERVOIR_FAILOVER_ACTION_TIMEOUT_MS=${f.actionTimeoutMs}: must exceed RESERVOIR_START_TIMEOUT_MS (${startTimeoutMs}): a recovery action starts the VEE`);
  }
  return f;
}

/** Both files or neither: a site that signs must know its peers, and one that verifies must be able to sign. */
function readFederation(r: Reader): FederationEnv | undefined {
  const clockWindowMs = r.int('RESERVOIR_CLOCK_WINDOW_MS', 300_000, 1000, 86_400_000);
  const siteKeyFile = r.str('RESERVOIR_SITE_KEY_FILE');
  const federationFile = r.str('RESERVOIR_FEDERATION_FILE');
  if (siteKeyFile === undefined && federationFile === undefined) return undefined;
  if (siteKeyFile === undefined) r.fail('RESERVOIR_SITE_KEY_FILE: required when RESERVOIR_FEDERATION_FILE is set (reservoir keygen writes one)');
  if (federationFile === undefined) r.fail('RESERVOIR_FEDERATION_FILE: required when RESERVOIR_SITE_KEY_FILE is set');
  if (siteKeyFile === undefined || federationFile === undefined) return undefined;
  const heartbeatMs = r.int('RESERVOIR_HEARTBEAT_MS', 1000, 50, 60_000);
  const suspectAfterBeats = r.int('RESERVOIR_SUSPECT_AFTER_BEATS', 3, 1, 100);
  const deadAfterMs = r.int('RESERVOIR_DEAD_AFTER_MS', 10_000, 200, 3_600_000);
  if (deadAfterMs <= heartbeatMs * suspectAfterBeats) {
    r.fail(`RESERVOIR_DEAD_AFTER_MS=${deadAfterMs}: must exceed RESERVOIR_HEARTBEAT_MS × RESERVOIR_SUSPECT_AFTER_BEATS (${heartbeatMs * suspectAfterBeats})`);
  }
  const currency = r.str('RESERVOIR_CURRENCY', 'EUR') as string;
  if (!/^[A-Z]{3}$/.test(currency)) r.fail(`RESERVOIR_CURRENCY=${JSON.stringify(currency)}: must be 3 capital letters (ISO 4217)`);
  return {
    siteKeyFile,
    federationFile,
    clockWindowMs,
    heartbeatMs,
    suspectAfterBeats,
    deadAfterMs,
    aliveAfterBeats: r.int('RESERVOIR_ALIVE_AFTER_BEATS', 3, 1, 100),
    cfpWindowMs: r.int('RESERVOIR_CFP_WINDOW_MS', 2000, 50, 600_000),
    contractTermMs: r.int('RESERVOIR_CONTRACT_TERM_MS', 3_600_000, 10_000, 31_536_000_000),
    prices: {
      vcpuHour: r.decimal('RESERVOIR_PRICE_VCPU_HOUR', 0.02),
      memoryGiBHour: r.decimal('RESERVOIR_PRICE_MEMORY_GIB_HOUR', 0.005),
      diskGiBHour: r.decimal('RESERVOIR_PRICE_DISK_GIB_HOUR', 0),
      currency,
    },
    preference: r.siteNumbers('RESERVOIR_SITE_PREFERENCES'),
    distanceClass: r.siteNumbers('RESERVOIR_DISTANCE_CLASSES'),
    dataMaxBytes: r.int('RESERVOIR_DATA_MAX_BYTES', 8 * 1024 ** 3, 1024, 1024 ** 4),
  };
}
