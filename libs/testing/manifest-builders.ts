import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { findShippedFile } from '@reservoir/config';
import {
  MANIFEST_NAMESPACE,
  PROTECTION_LEVELS,
  type ServiceDefinition,
  type TierDefinition,
  type TierQoS,
} from '@reservoir/domain/manifest/service-definition';

/** Shape of a generated manifest; every field has a default. */
export interface ManifestBuildOptions {
  /** Service name; default `generated`. */
  name?: string;
  /** Number of tiers, named `tier-001`, `tier-002`, …; default 3. */
  tiers?: number;
  /** `chain` (default): each tier needs the next one; `none`: no relations. */
  relations?: 'chain' | 'none';
  /** Peer sites keeping a replica; default 1. */
  replicas?: number;
  /** Image every tier boots; default `tiny-linux` (needs at least 80 MiB). */
  imageRef?: string;
}

/**
 * A valid ServiceDefinition with `tiers` tiers. Tiers cycle through the four protection levels (with a
 * checkpoint interval where one is required) and each has software, two disks, a network and configuration,
 * so every part of the format is exercised. Deterministic.
 */
export function buildServiceDefinition(options: ManifestBuildOptions = {}): ServiceDefinition {
  const count = Math.max(1, options.tiers ?? 3);
  const tiers = Array.from({ length: count }, (_, i) => buildTier(i, options.imageRef ?? 'tiny-linux'));
  const relations =
    options.relations === 'none'
      ? []
      : tiers.slice(1).map((tier, i) => ({ from: tiers[i]?.name ?? '', to: tier.name, port: 8000 + ((i + 1) % 1000) }));
  return {
    name: options.name ?? 'generated',
    version: '1',
    tiers,
    relations,
    qos: { availability: 99.9, replicas: options.replicas ?? 1, maxResponseMs: 500 },
  };
}

function buildTier(i: number, imageRef: string): TierDefinition {
  const protection = PROTECTION_LEVELS[i % PROTECTION_LEVELS.length] ?? 'none';
  const periodic = protection === 'checkpoint' || protection === 'live-standby';
  const qos: TierQoS = { availability: 99.9, maxLatencyMs: 100, protection, ...(periodic ? { checkpointIntervalMs: 5000 } : {}) };
  return {
    name: `tier-${String(i + 1).padStart(3, '0')}`,
    vee: { vcpu: 1 + (i % 4), memoryMiB: 128 * (1 + (i % 4)), instances: 2, minInstances: 1, maxInstances: 4 },
    image: { ref: imageRef, format: 'qcow2' },
    software: [{ name: 'nginx', version: '1.22' }],
    storage: [
      { name: 'root', sizeGiB: 4 },
      { name: 'data', sizeGiB: 10 + i },
    ],
    networks: [{ name: 'internal', bandwidthMbps: 1000 }],
    configuration: [
      { name: 'listen-port', value: String(8000 + (i % 1000)) },
      { name: 'motd', value: `tier <${i + 1}> & "friends"` },
    ],
    qos,
  };
}

/** A manifest (XML text) for `buildServiceDefinition(options)`. */
export function buildManifestXml(options: ManifestBuildOptions = {}): string {
  return manifestXmlFor(buildServiceDefinition(options));
}

/**
 * Writes a ServiceDefinition as a manifest in the element order the XSD requires, every optional value that
 * is set included (min/max-instances always). Parsing the result gives the same definition back.
 */
export function manifestXmlFor(definition: ServiceDefinition): string {
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<service xmlns="${MANIFEST_NAMESPACE}" version="${definition.version}" name="${esc(definition.name)}">`,
    ...definition.tiers.flatMap(tierXml),
  ];
  if (definition.relations.length > 0) {
    lines.push('  <inter-tier-configuration>');
    for (const r of definition.relations) lines.push(`    <relation${attrs({ from: r.from, to: r.to, port: r.port })}/>`);
    lines.push('  </inter-tier-configuration>');
  }
  const qos = definition.qos;
  lines.push(`  <service-QoS${attrs({ availability: qos.availability, replicas: qos.replicas, 'max-response-ms': qos.maxResponseMs })}/>`);
  lines.push('</service>', '');
  return lines.join('\n');
}

function tierXml(tier: TierDefinition): string[] {
  const v = tier.vee;
  const q = tier.qos;
  const veeAttrs = { vcpu: v.vcpu, 'memory-mib': v.memoryMiB, instances: v.instances, 'min-instances': v.minInstances, 'max-instances': v.maxInstances };
  const qosAttrs = { availability: q.availability, 'max-latency-ms': q.maxLatencyMs, protection: q.protection, 'checkpoint-interval-ms': q.checkpointIntervalMs };
  return [
    `  <tier name="${esc(tier.name)}">`,
    `    <VEE-requirement${attrs(veeAttrs)}/>`,
    `    <image${attrs({ ref: tier.image.ref, format: tier.image.format, sha256: tier.image.sha256 })}/>`,
    ...tier.software.map((s) => `    <software${attrs({ name: s.name, version: s.version })}/>`),
    ...tier.storage.map((s) => `    <storage${attrs({ name: s.name, 'size-gib': s.sizeGiB })}/>`),
    ...tier.networks.map((n) => `    <network${attrs({ name: n.name, 'bandwidth-mbps': n.bandwidthMbps })}/>`),
    ...(tier.configuration.length === 0
      ? []
      : ['    <configuration>', ...tier.configuration.map((p) => `      <property${attrs({ name: p.name, value: p.value })}/>`), '    </configuration>']),
    `    <tier-QoS${attrs(qosAttrs)}/>`,
    '  </tier>',
  ];
}

function attrs(values: Record<string, string | number | undefined>): string {
  return Object.entries(values)
    .filter((entry): entry is [string, string | number] => entry[1] !== undefined)
    .map(([name, value]) => ` ${name}="${esc(String(value))}"`)
    .join('');
}

function esc(value: string): string {
  // Tabs and line breaks as character references: XML turns literal ones in attribute values into spaces.
  return value
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/[\t\n\r]/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** The text of a shipped example manifest (`schemas/examples/<file>`), e.g. `readManifestExample('web-shop.xml')`. */
export function readManifestExample(file: 'web-shop.xml' | 'minimal.xml'): string {
  return readFileSync(join(findShippedFile('schemas/examples', __dirname), file), 'utf8');
}

// ---------------------------------------------------------------- fuzzing: mutations and an invariant oracle

const ATTRIBUTE = /\s[\w:-]+="[^"]*"/g;
const START_TAG = /<([\w-]+)/g;

/** A change to a manifest; random bytes and truncation may leave text or bytes. */
type Mutation = (input: string | Uint8Array) => string | Uint8Array;

const asText = (input: string | Uint8Array): string => (typeof input === 'string' ? input : new TextDecoder().decode(input));

/** Applies `change` to the k-th (mod count) match of `pattern`. */
function atMatch(pattern: RegExp, k: number, change: (match: string) => string): Mutation {
  return (input) => {
    const text = asText(input);
    const matches = [...text.matchAll(pattern)];
    const m = matches[k % Math.max(1, matches.length)];
    if (!m || m.index === undefined) return text;
    return text.slice(0, m.index) + change(m[0]) + text.slice(m.index + m[0].length);
  };
}

function onLines(change: (lines: string[], i: number, j: number) => void, i: number, j: number): Mutation {
  return (input) => {
    const lines = asText(input).split('\n');
    change(lines, i % lines.length, j % lines.length);
    return lines.join('\n');
  };
}

const HOSTILE_VALUES = ['', ' ', '0', '-1', '1.5', '100', '99.999', '4194305', '99999999999999999999', 'abc', "it's", '&amp;', 'NaN',
  'web-servers', 'app-servers', 'db-servers', 'counter', 'checkpoint', 'live-standby', 'restart', 'none', 'raw', 'é', '<', '1e3'];
const ELEMENT_NAMES = ['tier', 'image', 'relation', 'service', 'storage', 'configuration', 'tier-QoS', 'service-QoS', 'bogus'];

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.nat().map((k) => atMatch(ATTRIBUTE, k, () => '')),
  fc.nat().map((k) => atMatch(ATTRIBUTE, k, (a) => a + a)),
  fc.tuple(fc.nat(), fc.oneof(fc.constantFrom(...HOSTILE_VALUES), fc.string({ maxLength: 8 }))).map(([k, v]) =>
    atMatch(ATTRIBUTE, k, (a) => a.replace(/="[^"]*"/, `="${v.replace(/[&<"]/g, '')}"`)),
  ),
  fc.tuple(fc.nat(), fc.constantFrom(...ELEMENT_NAMES)).map(([k, name]) => atMatch(START_TAG, k, () => `<${name}`)),
  fc.tuple(fc.nat(), fc.nat()).map(([i, j]) => onLines((lines, a) => void lines.splice(a, 1), i, j)),
  fc.tuple(fc.nat(), fc.nat()).map(([i, j]) => onLines((lines, a) => void lines.splice(a, 0, lines[a] ?? ''), i, j)),
  fc.tuple(fc.nat(), fc.nat()).map(([i, j]) => onLines((lines, a, b) => ([lines[a], lines[b]] = [lines[b] ?? '', lines[a] ?? '']), i, j)),
  fc.tuple(fc.nat(), fc.uint8Array({ minLength: 1, maxLength: 6 })).map(([at, bytes]): Mutation => (input) => {
    const all = typeof input === 'string' ? new TextEncoder().encode(input) : input;
    const cut = at % (all.length + 1);
    return new Uint8Array([...all.subarray(0, cut), ...bytes, ...all.subarray(cut)]);
  }),
  fc.nat().map((at): Mutation => (input) => input.slice(0, at % (input.length + 1))),
);

/**
 * Manifests derived from `bases` (default: both examples and a generated 5-tier manifest) by one to four
 * random changes: an attribute deleted, duplicated or given a hostile value, an element renamed, a line
 * deleted, duplicated or swapped, random bytes inserted, the text truncated. For fuzzing intake.
 */
export function mutatedManifest(bases?: readonly string[]): fc.Arbitrary<string | Uint8Array> {
  const from = bases ?? [readManifestExample('web-shop.xml'), readManifestExample('minimal.xml'), buildManifestXml({ tiers: 5 })];
  return fc
    .tuple(fc.constantFrom(...from), fc.array(mutation, { minLength: 1, maxLength: 4 }))
    .map(([base, changes]) => changes.reduce<string | Uint8Array>((input, change) => change(input), base));
}


const NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$/;
const within = (v: number, lo: number, hi: number): boolean => Number.isInteger(v) && v >= lo && v <= hi;
const percent = (v: number): boolean => Number.isFinite(v) && v > 0 && v < 100;
const unique = (names: string[]): boolean => new Set(names).size === names.length;

function tierViolations(t: TierDefinition): string[] {
  const v = t.vee;
  const q = t.qos;
  const periodic = q.protection === 'checkpoint' || q.protection === 'live-standby';
  const checks: [boolean, string][] = [
    [NAME.test(t.name), 'tier name'],
    [within(v.vcpu, 1, 256) && within(v.memoryMiB, 16, 4194304), 'vcpu/memory'],
    [within(v.minInstances, 0, 10000) && within(v.maxInstances, 1, 10000) && v.minInstances <= v.instances && v.instances <= v.maxInstances, 'instances'],
    [/^[A-Za-z0-9][A-Za-z0-9._/:-]{0,254}$/.test(t.image.ref) && ['qcow2', 'raw'].includes(t.image.format), 'image'],
    [t.image.sha256 === undefined || /^[0-9a-f]{64}$/.test(t.image.sha256), 'sha256'],
    [unique(t.storage.map((s) => s.name)) && t.storage.every((s) => NAME.test(s.name) && within(s.sizeGiB, 1, 65536)), 'storage'],
    [unique(t.networks.map((n) => n.name)) && t.networks.every((n) => NAME.test(n.name) && (n.bandwidthMbps === undefined || within(n.bandwidthMbps, 1, 400000))), 'network'],
    [unique(t.configuration.map((p) => p.name)), 'properties'],
    [percent(q.availability) && (q.maxLatencyMs === undefined || within(q.maxLatencyMs, 1, 3600000)), 'tier QoS'],
    [periodic ? within(q.checkpointIntervalMs ?? -1, 100, 86400000) : q.checkpointIntervalMs === undefined, 'checkpoint interval'],
  ];
  return checks.filter(([ok]) => !ok).map(([, what]) => `${t.name}: ${what}`);
}

function acyclic(d: ServiceDefinition): boolean {
  const state = new Map<string, 'open' | 'done'>();
  const visit = (tier: string): boolean => {
    if (state.get(tier) === 'done') return true;
    if (state.get(tier) === 'open') return false;
    state.set(tier, 'open');
    const ok = d.relations.filter((r) => r.from === tier).every((r) => visit(r.to));
    state.set(tier, 'done');
    return ok;
  };
  return d.tiers.every((t) => visit(t.name));
}

/**
 * The invariants of a valid ServiceDefinition, stated independently of libs/domain/manifest (a test oracle):
 * what is violated, [] when nothing is.
 */
export function definitionInvariantViolations(d: ServiceDefinition): string[] {
  const names = d.tiers.map((t) => t.name);
  const checks: [boolean, string][] = [
    [NAME.test(d.name) && d.version === '1', 'service'],
    [d.tiers.length > 0 && unique(names), 'tiers'],
    [d.relations.every((r) => names.includes(r.from) && names.includes(r.to) && r.from !== r.to && (r.port === undefined || within(r.port, 1, 65535))), 'relations'],
    [acyclic(d), 'cycle'],
    [within(d.qos.replicas, 0, 16) && (d.qos.availability === undefined || percent(d.qos.availability)), 'service QoS'],
  ];
  return [...checks.filter(([ok]) => !ok).map(([, what]) => what), ...d.tiers.flatMap(tierViolations)];
}
