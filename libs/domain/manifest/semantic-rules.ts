import { quote } from './attribute-reader';
import { AVAILABILITY, BOUNDS, TEXT_RULES, textProblem, type IntegerBounds, type TextRule } from './bounds';
import { attributePath, manifestPaths, NO_LINES, type ElementLocator } from './element-paths';
import {
  HOST_EVENT_TYPES,
  type ManifestError,
  type ServiceDefinition,
  type ServiceQoS,
  type TierDefinition,
  type TierQoS,
  type VeeRequirement,
} from './service-definition';
import { findDependencyCycles } from './tier-graph';

/**
 * The invariants of a ServiceDefinition, checked on the typed value so they hold whatever it was built from
 * (an XML manifest here, a replica definition from a peer site later). Returns every violation, each at the
 * element path the manifest would have, with a line when `locate` knows it:
 * - names, image refs, software, properties and digests follow their syntax (bounds.ts);
 * - numbers are integers within their bounds; availability is strictly between 0 and 100;
 * - min-instances <= instances <= max-instances;
 * - checkpoint-interval-ms is given exactly when protection is checkpoint or live-standby;
 * - checkpoint-on rules name known host events, each at most once per tier, only with checkpoint or live-standby;
 * - at least one tier; tier names unique; storage, network and property names unique within a tier;
 * - relations name existing tiers, never the same tier twice, and form no dependency cycle.
 */
export function checkServiceDefinition(definition: ServiceDefinition, locate: ElementLocator = NO_LINES): ManifestError[] {
  const out = new RuleSink(locate);
  const service = manifestPaths.service;
  out.text(attributePath(service, 'name'), definition.name, TEXT_RULES.name);
  if (definition.version !== '1') out.add(attributePath(service, 'version'), `unsupported manifest version ${quote(String(definition.version))}`);
  if (definition.tiers.length === 0) out.add(service, 'a service needs at least one <tier>');
  definition.tiers.forEach((tier, i) => checkTier(out, tier, manifestPaths.tier(tier.name, i)));
  out.unique(definition.tiers, (tier, i) => manifestPaths.tier(tier.name, i), 'tier');
  checkRelations(out, definition);
  checkServiceQos(out, definition.qos);
  return out.errors;
}

function checkTier(out: RuleSink, tier: TierDefinition, path: string): void {
  out.text(attributePath(path, 'name'), tier.name, TEXT_RULES.name);
  checkVee(out, tier.vee, manifestPaths.vee(path));
  const image = manifestPaths.image(path);
  out.text(attributePath(image, 'ref'), tier.image.ref, TEXT_RULES.imageRef);
  if (tier.image.sha256 !== undefined) out.text(attributePath(image, 'sha256'), tier.image.sha256, TEXT_RULES.sha256);
  tier.software.forEach((s, i) => {
    const at = manifestPaths.software(path, s.name, i);
    out.text(attributePath(at, 'name'), s.name, TEXT_RULES.softwareName);
    out.text(attributePath(at, 'version'), s.version, TEXT_RULES.softwareVersion);
  });
  checkDevices(out, tier, path);
  checkTierQos(out, tier.qos, manifestPaths.tierQos(path));
}

function checkDevices(out: RuleSink, tier: TierDefinition, path: string): void {
  const storagePath = (name: string, i: number): string => manifestPaths.storage(path, name, i);
  const networkPath = (name: string, i: number): string => manifestPaths.network(path, name, i);
  const propertyPath = (name: string, i: number): string => manifestPaths.property(path, name, i);
  tier.storage.forEach((s, i) => {
    out.text(attributePath(storagePath(s.name, i), 'name'), s.name, TEXT_RULES.name);
    out.integer(attributePath(storagePath(s.name, i), 'size-gib'), s.sizeGiB, BOUNDS.sizeGiB);
  });
  tier.networks.forEach((n, i) => {
    out.text(attributePath(networkPath(n.name, i), 'name'), n.name, TEXT_RULES.name);
    if (n.bandwidthMbps !== undefined) out.integer(attributePath(networkPath(n.name, i), 'bandwidth-mbps'), n.bandwidthMbps, BOUNDS.bandwidthMbps);
  });
  tier.configuration.forEach((p, i) => {
    out.text(attributePath(propertyPath(p.name, i), 'name'), p.name, TEXT_RULES.propertyName);
    out.text(attributePath(propertyPath(p.name, i), 'value'), p.value, TEXT_RULES.propertyValue);
  });
  const inTier = ` in tier ${quote(tier.name)}`;
  out.unique(tier.storage, (s, i) => storagePath(s.name, i), 'storage', inTier);
  out.unique(tier.networks, (n, i) => networkPath(n.name, i), 'network', inTier);
  out.unique(tier.configuration, (p, i) => propertyPath(p.name, i), 'configuration property', inTier);
}

function checkVee(out: RuleSink, vee: VeeRequirement, path: string): void {
  out.integer(attributePath(path, 'vcpu'), vee.vcpu, BOUNDS.vcpu);
  out.integer(attributePath(path, 'memory-mib'), vee.memoryMiB, BOUNDS.memoryMiB);
  const instances = out.integer(attributePath(path, 'instances'), vee.instances, BOUNDS.instances);
  // min/max-instances default to instances: when they equal a bad instances value, one complaint is enough.
  const countCheck = (name: string, value: number, bounds: IntegerBounds): boolean => {
    if (Object.is(value, vee.instances) && !instances) return false;
    const note = Object.is(value, vee.instances) ? 'it defaults to instances' : undefined;
    return out.integer(attributePath(path, name), value, bounds, note);
  };
  const min = countCheck('min-instances', vee.minInstances, BOUNDS.minInstances);
  const max = countCheck('max-instances', vee.maxInstances, BOUNDS.maxInstances);
  if (!instances) return;
  if (min && vee.minInstances > vee.instances) {
    out.add(attributePath(path, 'min-instances'), `min-instances (${vee.minInstances}) must not exceed instances (${vee.instances})`);
  }
  if (max && vee.maxInstances < vee.instances) {
    out.add(attributePath(path, 'max-instances'), `max-instances (${vee.maxInstances}) must not be below instances (${vee.instances})`);
  }
}

function checkTierQos(out: RuleSink, qos: TierQoS, path: string): void {
  out.availability(attributePath(path, 'availability'), qos.availability);
  if (qos.maxLatencyMs !== undefined) out.integer(attributePath(path, 'max-latency-ms'), qos.maxLatencyMs, BOUNDS.maxLatencyMs);
  const interval = attributePath(path, 'checkpoint-interval-ms');
  const periodic = qos.protection === 'checkpoint' || qos.protection === 'live-standby';
  if (qos.checkpointIntervalMs !== undefined) {
    if (periodic) out.integer(interval, qos.checkpointIntervalMs, BOUNDS.checkpointIntervalMs);
    else out.add(interval, `checkpoint-interval-ms applies only to protection 'checkpoint' or 'live-standby', not '${qos.protection}'`);
  } else if (periodic) {
    out.add(interval, `checkpoint-interval-ms is required with protection '${qos.protection}'`);
  }
  checkMonitoringRules(out, qos, path, periodic);
}

/** `<checkpoint-on>`: known events, one rule per event, only where checkpoints are kept (see the XSD). */
function checkMonitoringRules(out: RuleSink, qos: TierQoS, path: string, periodic: boolean): void {
  const seen = new Set<string>();
  (qos.checkpointOn ?? []).forEach((event, i) => {
    const at = attributePath(manifestPaths.checkpointOn(path, i), 'event');
    if (!HOST_EVENT_TYPES.includes(event)) out.add(at, `unknown host event ${quote(String(event))}; known: ${HOST_EVENT_TYPES.join(', ')}`);
    else if (seen.has(event)) out.add(at, `duplicate checkpoint-on event ${quote(event)} in this tier`);
    else if (!periodic) out.add(at, `checkpoint-on applies only to protection 'checkpoint' or 'live-standby', not '${qos.protection}'`);
    seen.add(event);
  });
}

function checkRelations(out: RuleSink, definition: ServiceDefinition): void {
  const tiers = new Set(definition.tiers.map((t) => t.name));
  definition.relations.forEach((relation, i) => {
    const path = manifestPaths.relation(i);
    for (const end of ['from', 'to'] as const) {
      if (!tiers.has(relation[end])) out.add(attributePath(path, end), `relation refers to unknown tier ${quote(relation[end])}`);
    }
    if (relation.from === relation.to) out.add(path, `tier ${quote(relation.from)} cannot depend on itself`);
    if (relation.port !== undefined) out.integer(attributePath(path, 'port'), relation.port, BOUNDS.port);
  });
  const known = definition.relations.filter((r) => tiers.has(r.from) && tiers.has(r.to));
  for (const cycle of findDependencyCycles(known)) {
    const first = cycle[0] ?? '';
    const last = cycle[cycle.length - 1] ?? '';
    const closing = definition.relations.findIndex((r) => r.from === last && r.to === first);
    out.add(manifestPaths.relation(Math.max(0, closing)), `dependency cycle: ${[...cycle, first].join(' -> ')}`);
  }
}

function checkServiceQos(out: RuleSink, qos: ServiceQoS): void {
  const path = manifestPaths.serviceQos;
  if (qos.availability !== undefined) out.availability(attributePath(path, 'availability'), qos.availability);
  out.integer(attributePath(path, 'replicas'), qos.replicas, BOUNDS.replicas);
  if (qos.maxResponseMs !== undefined) out.integer(attributePath(path, 'max-response-ms'), qos.maxResponseMs, BOUNDS.maxResponseMs);
}

/** Collects rule violations, putting lines on them; each check returns whether the value passed. */
class RuleSink {
  readonly errors: ManifestError[] = [];

  constructor(private readonly locate: ElementLocator) {}

  add(path: string, message: string, occurrence = 1): void {
    const line = this.locate(path, occurrence);
    this.errors.push(line === undefined ? { path, message } : { path, line, message });
  }

  integer(path: string, value: number, bounds: IntegerBounds, note?: string): boolean {
    if (Number.isInteger(value) && value >= bounds.min && value <= bounds.max) return true;
    const suffix = note === undefined ? '' : ` (${note})`;
    this.add(path, `${attributeName(path)} must be an integer from ${bounds.min} to ${bounds.max}, got ${value}${suffix}`);
    return false;
  }

  availability(path: string, value: number): void {
    if (Number.isFinite(value) && value > AVAILABILITY.above && value < AVAILABILITY.below) return;
    this.add(path, `availability is a percentage strictly between ${AVAILABILITY.above} and ${AVAILABILITY.below}, got ${value}`);
  }

  text(path: string, value: string, rule: TextRule): void {
    const problem = textProblem(value, rule);
    if (problem !== undefined) this.add(path, `${quote(value)} is not a valid ${attributeName(path)}: ${problem}`);
  }

  /** Reports the second and later items whose name repeats an earlier one, at their own line. */
  unique<T extends { name: string }>(items: readonly T[], pathOf: (item: T, index: number) => string, what: string, where = ''): void {
    const firstIndex = new Map<string, number>();
    const occurrences = new Map<string, number>();
    items.forEach((item, i) => {
      const path = pathOf(item, i);
      const occurrence = (occurrences.get(path) ?? 0) + 1;
      occurrences.set(path, occurrence);
      const first = firstIndex.get(item.name);
      if (first === undefined) {
        firstIndex.set(item.name, i);
        return;
      }
      const firstLine = this.locate(pathOf(items[first] as T, first), 1);
      const seenAt = firstLine === undefined ? '' : ` (first at line ${firstLine})`;
      this.add(attributePath(path, 'name'), `duplicate ${what} name ${quote(item.name)}${where}${seenAt}`, occurrence);
    });
  }
}

function attributeName(path: string): string {
  return path.slice(path.lastIndexOf('@') + 1);
}
