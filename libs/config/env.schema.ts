/**
 * The broker's one configuration schema (STYLE.md rule 10): every variable with its type, default, bounds and
 * help. `loadConfig` checks them all and reports every bad one at once; the broker refuses to start on any.
 */
export type BusKind = 'memory' | 'kafka';

export interface BrokerConfig {
  siteId: string;
  http: { host: string; port: number };
  store: { kind: 'server'; url: string } | { kind: 'embedded'; dataDir: string };
  bus: { kind: 'memory' } | { kind: 'kafka'; brokers: string[]; partitions: number; replicationFactor: number };
  manifest: { maxBytes: number; maxDepth: number };
  /** Deploying VEEs: where their console logs go on the hosts, and how long a start may take. */
  deploy: { consoleDir: string; startTimeoutMs: number };
  /** The site's reconcile loop: how often every host is re-checked without events. */
  reconcile: { periodMs: number };
  /** VEE failover (libs/domain/protection/failover): the machine's thresholds and limits, and its clock tick. */
  failover: FailoverEnv;
  /** Checkpoint bundles: the directory they go in on each host (`<dir>/<domain>/<checkpoint id>`), how many per VEE are kept. */
  /** monitoringDebounceMs: at most one monitoring-rule checkpoint per VEE and rule per this window (default 60000). */
  checkpoints: { dir: string; keep: number; monitoringDebounceMs?: number };
  /** The libvirt hosts' image catalogue: a directory with catalogue.json (scripts/libvirt/build-images.sh). */
  images: { dir: string };
  /**
   * RS-RS security (docs/rsrs-protocol.md): this site's private key file, the federation file and the clock
   * window. Absent for a broker that runs alone (neither file set).
   */
  federation?: FederationEnv;
}

/** Where a federated site finds its key and its peers; the files are read by libs/adapters/federation. */
export interface FederationEnv {
  siteKeyFile: string;
  federationFile: string;
  /** How far a message's sentAt may be from this site's clock, either way. */
  clockWindowMs: number;
  /** Failure detector: beat period, suspect after k missed beats, dead after this silence, alive after m beats. */
  heartbeatMs: number;
  suspectAfterBeats: number;
  deadAfterMs: number;
  aliveAfterBeats: number;
  /** How long a call for proposals collects offers, and the contract term asked for. */
  cfpWindowMs: number;
  contractTermMs: number;
  /** This site's price list, per hour of reserved resources. */
  prices: { vcpuHour: number; memoryGiBHour: number; diskGiBHour: number; currency: string };
  /** How this site ranks peers' offers: preference (higher first) and distance class (lower first) per site id. */
  preference: Record<string, number>;
  distanceClass: Record<string, number>;
  /** Largest checkpoint file a peer may ship here over the data channel (docs/rsrs-protocol.md, "Data channel"). */
  dataMaxBytes: number;
}

/** Overlaid on DEFAULT_FAILOVER_SETTINGS (checks come from the reconcile passes, every RESERVOIR_RECONCILE_PERIOD_MS). */
export interface FailoverEnv {
  suspectAfterFailedChecks: number;
  healthyAfterGoodChecks: number;
  maxAttemptsPerStep: number;
  initialBackoffMs: number;
  maxBackoffMs: number;
  actionTimeoutMs: number;
  forgetAfterHealthyMs: number;
  tickMs: number;
}

export interface EnvVarSpec {
  name: string;
  help: string;
  default?: string;
}

export const ENV_VARS: EnvVarSpec[] = [
  { name: 'RESERVOIR_SITE_ID', default: 'local', help: 'this site\'s id: 1-63 of a-z, 0-9 and -, starting with a letter' },
  { name: 'RESERVOIR_HTTP_HOST', default: '0.0.0.0', help: 'address the HTTP API listens on' },
  { name: 'RESERVOIR_HTTP_PORT', default: '8080', help: 'HTTP API port, 0-65535 (0 picks a free one)' },
  { name: 'RESERVOIR_DATABASE_URL', help: 'postgres:// URL of the PostgreSQL server; unset = embedded store' },
  { name: 'RESERVOIR_DATA_DIR', default: '.data/<site id>', help: 'directory of the embedded store' },
  { name: 'RESERVOIR_BUS', default: 'memory', help: 'message bus: memory (in-process) or kafka' },
  { name: 'RESERVOIR_KAFKA_BROKERS', help: 'comma-separated host:port list; required when RESERVOIR_BUS=kafka' },
  { name: 'RESERVOIR_KAFKA_PARTITIONS', default: '3', help: 'partitions of topics the broker creates, 1-1000' },
  { name: 'RESERVOIR_KAFKA_REPLICATION', default: '1', help: 'replication factor of topics the broker creates, 1-10' },
  { name: 'RESERVOIR_MAX_MANIFEST_BYTES', default: '1048576', help: 'largest accepted manifest in bytes, 1024-67108864' },
  { name: 'RESERVOIR_MAX_MANIFEST_DEPTH', default: '32', help: 'deepest accepted XML nesting, 4-256' },
  { name: 'RESERVOIR_CONSOLE_DIR', default: '<data dir>/consoles', help: "directory of the VEEs' serial console logs on their hosts" },
  { name: 'RESERVOIR_START_TIMEOUT_MS', default: '60000', help: 'how long a started VEE may take to report running, 100-3600000' },
  { name: 'RESERVOIR_IMAGE_DIR', default: '<repo>/.services/images', help: "directory of the libvirt hosts' image catalogue (catalogue.json)" },
  { name: 'RESERVOIR_CHECKPOINT_DIR', default: '<data dir>/checkpoints', help: 'directory of checkpoint bundles on the hosts (<dir>/<domain>/<checkpoint id>; made absolute)' },
  { name: 'RESERVOIR_CHECKPOINT_KEEP', default: '3', help: "complete checkpoints kept per VEE (its part of the newest complete group cut is kept too), 1-1000" },
  { name: 'RESERVOIR_MONITORING_DEBOUNCE_MS', default: '60000', help: 'at most one monitoring-rule checkpoint (<checkpoint-on>) per VEE and rule per this window; 0: none, up to 86400000' },
  { name: 'RESERVOIR_RECONCILE_PERIOD_MS', default: '2000', help: 'period of the reconcile loop over every host, 50-3600000' },
  { name: 'RESERVOIR_FAILOVER_SUSPECT_AFTER', default: '2', help: 'failed checks (one per reconcile pass) that confirm a VEE failed and start recovery, 1-100' },
  { name: 'RESERVOIR_FAILOVER_HEALTHY_AFTER', default: '3', help: 'good checks in a row that clear a suspicion or end probation after a recovery, 1-100' },
  { name: 'RESERVOIR_FAILOVER_ATTEMPTS_PER_STEP', default: '2', help: 'attempts of one recovery step before escalating to the next, 1-20' },
  { name: 'RESERVOIR_FAILOVER_BACKOFF_MS', default: '1000', help: 'wait after the first failed recovery action, doubling per failure, 10-600000' },
  { name: 'RESERVOIR_FAILOVER_MAX_BACKOFF_MS', default: '30000', help: 'longest wait between recovery actions (≥ RESERVOIR_FAILOVER_BACKOFF_MS), up to 3600000' },
  { name: 'RESERVOIR_FAILOVER_ACTION_TIMEOUT_MS', default: '120000', help: 'a recovery action without a result after this long has failed (more than RESERVOIR_START_TIMEOUT_MS), up to 3600000' },
  { name: 'RESERVOIR_FAILOVER_FORGET_AFTER_MS', default: '600000', help: 'a VEE healthy this long starts a fresh recovery chain when it fails again (a sooner failure continues the chain), 1000-86400000' },
  { name: 'RESERVOIR_FAILOVER_TICK_MS', default: '250', help: 'clock tick of the failover machines (action timeouts, back-offs), 10-10000' },
  { name: 'RESERVOIR_SITE_KEY_FILE', help: "this site's Ed25519 private key (PEM PKCS#8, mode 0600; `reservoir keygen` writes it); unset = runs alone" },
  { name: 'RESERVOIR_FEDERATION_FILE', help: 'JSON {"sites":[{"id","publicKey","endpoint"?}]} of every federated site, this one too; unset = runs alone' },
  { name: 'RESERVOIR_HEARTBEAT_MS', default: '1000', help: 'heartbeat period of a federated site, 50-60000' },
  { name: 'RESERVOIR_SUSPECT_AFTER_BEATS', default: '3', help: 'a peer is suspect after this many missed beats, 1-100' },
  { name: 'RESERVOIR_DEAD_AFTER_MS', default: '10000', help: 'a peer is dead after this much silence (more than heartbeat × suspect beats), 200-3600000' },
  { name: 'RESERVOIR_ALIVE_AFTER_BEATS', default: '3', help: 'a suspect or dead peer is alive again after this many good beats in a row, 1-100' },
  { name: 'RESERVOIR_CFP_WINDOW_MS', default: '2000', help: 'how long a call for proposals collects offers, 50-600000' },
  { name: 'RESERVOIR_CONTRACT_TERM_MS', default: '3600000', help: 'term of a replica contract (renewed at half-time), 10000-31536000000' },
  { name: 'RESERVOIR_PRICE_VCPU_HOUR', default: '0.02', help: "this site's price per vCPU-hour in offers (decimal ≥ 0)" },
  { name: 'RESERVOIR_PRICE_MEMORY_GIB_HOUR', default: '0.005', help: "this site's price per GiB-hour of memory (decimal ≥ 0)" },
  { name: 'RESERVOIR_PRICE_DISK_GIB_HOUR', default: '0', help: "this site's price per GiB-hour of disk (decimal ≥ 0)" },
  { name: 'RESERVOIR_CURRENCY', default: 'EUR', help: 'currency of the price list: 3 capital letters (offers in another currency are not compared)' },
  { name: 'RESERVOIR_SITE_PREFERENCES', help: 'how much this site prefers each peer for replicas: site=number,… (higher first; default 0)' },
  { name: 'RESERVOIR_DISTANCE_CLASSES', help: 'distance class of each peer from this site: site=integer,… (lower first; unlisted last)' },
  { name: 'RESERVOIR_CLOCK_WINDOW_MS', default: '300000', help: "how far an RS-RS message's sentAt may be from this site's clock, 1000-86400000" },
  { name: 'RESERVOIR_DATA_MAX_BYTES', default: '8589934592', help: 'largest checkpoint file a peer may ship to this site over the data channel (8 GiB), 1024-1099511627776' },
];
