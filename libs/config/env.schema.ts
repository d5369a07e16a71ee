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
  { name: 'RESERVOIR_RECONCILE_PERIOD_MS', default: '2000', help: 'period of the reconcile loop over every host, 50-3600000' },
  { name: 'RESERVOIR_SITE_KEY_FILE', help: "this site's Ed25519 private key (PEM PKCS#8, mode 0600; `reservoir keygen` writes it); unset = runs alone" },
  { name: 'RESERVOIR_FEDERATION_FILE', help: 'JSON {"sites":[{"id","publicKey","endpoint"?}]} of every federated site, this one too; unset = runs alone' },
  { name: 'RESERVOIR_CLOCK_WINDOW_MS', default: '300000', help: "how far an RS-RS message's sentAt may be from this site's clock, 1000-86400000" },
];
