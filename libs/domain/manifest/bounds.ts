/**
 * Value rules of a ServiceDefinition: numeric bounds and the syntax of names. schemas/service-manifest.xsd
 * states the same limits (its simple types); libs/adapters/xsd/xsd-bounds.spec.ts keeps the two in step.
 */

/** Inclusive integer bounds. */
export interface IntegerBounds {
  readonly min: number;
  readonly max: number;
}

/** Integer bounds, keyed by ServiceDefinition field. */
export const BOUNDS = {
  /** Virtual CPUs per VEE. */
  vcpu: { min: 1, max: 256 },
  /** Memory per VEE: 16 MiB to 4 TiB. */
  memoryMiB: { min: 16, max: 4_194_304 },
  /** 0 keeps a tier defined but stopped. */
  instances: { min: 0, max: 10_000 },
  minInstances: { min: 0, max: 10_000 },
  /** A tier must be able to run at least one VEE. */
  maxInstances: { min: 1, max: 10_000 },
  /** Disk size: 1 GiB to 64 TiB. */
  sizeGiB: { min: 1, max: 65_536 },
  /** Per-VEE bandwidth: 1 Mbit/s to 400 Gbit/s. */
  bandwidthMbps: { min: 1, max: 400_000 },
  /** Up to one hour. */
  maxLatencyMs: { min: 1, max: 3_600_000 },
  /** 100 ms to one day. */
  checkpointIntervalMs: { min: 100, max: 86_400_000 },
  /** Up to one hour. */
  maxResponseMs: { min: 1, max: 3_600_000 },
  port: { min: 1, max: 65_535 },
  /** Peer sites keeping a replica. */
  replicas: { min: 0, max: 16 },
} as const satisfies Record<string, IntegerBounds>;

/** Availability targets are percentages strictly between these two values. */
export const AVAILABILITY = { above: 0, below: 100 } as const;

/** The syntax of a text value: an anchored pattern, a length limit (in characters) and words for messages. */
export interface TextRule {
  readonly pattern: RegExp;
  readonly maxLength: number;
  readonly describe: string;
}

/** Text rules, keyed by what they apply to. */
export const TEXT_RULES = {
  /** Service, tier, storage and network names (they end up in VM, disk and network names). */
  name: {
    pattern: /^[A-Za-z0-9][A-Za-z0-9_-]*$/,
    maxLength: 63,
    describe: "1 to 63 letters, digits, '-' or '_', starting with a letter or digit",
  },
  imageRef: {
    pattern: /^[A-Za-z0-9][A-Za-z0-9._/:-]*$/,
    maxLength: 255,
    describe: "1 to 255 letters, digits, '.', '_', '-', '/' or ':', starting with a letter or digit",
  },
  sha256: { pattern: /^[0-9a-f]{64}$/, maxLength: 64, describe: '64 hexadecimal digits' },
  softwareName: {
    pattern: /^[A-Za-z0-9][A-Za-z0-9._+-]*$/,
    maxLength: 128,
    describe: "1 to 128 letters, digits, '.', '_', '+' or '-', starting with a letter or digit",
  },
  softwareVersion: {
    pattern: /^[A-Za-z0-9][A-Za-z0-9._+~:-]*$/,
    maxLength: 64,
    describe: "1 to 64 letters, digits, '.', '_', '+', '~', ':' or '-', starting with a letter or digit",
  },
  propertyName: {
    pattern: /^[A-Za-z0-9][A-Za-z0-9._-]*$/,
    maxLength: 128,
    describe: "1 to 128 letters, digits, '.', '_' or '-', starting with a letter or digit",
  },
  propertyValue: { pattern: /^/, maxLength: 4096, describe: 'at most 4096 characters' },
} as const satisfies Record<string, TextRule>;

/** Why `value` breaks `rule`, or undefined when it does not. Length counts Unicode code points, as XSD does. */
export function textProblem(value: string, rule: TextRule): string | undefined {
  if (!rule.pattern.test(value) || countCodePoints(value, rule.maxLength) > rule.maxLength) return rule.describe;
  return undefined;
}

/** Counts code points, stopping once past `limit`. */
function countCodePoints(value: string, limit: number): number {
  if (value.length <= limit) return value.length;
  let count = 0;
  for (const _ of value) {
    count += 1;
    if (count > limit) break;
  }
  return count;
}
