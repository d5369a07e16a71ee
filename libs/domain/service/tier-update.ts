/**
 * A change to one tier of a running service (`PATCH /v1/services/:id/tiers/:tier`, and the RS-RS
 * CooperationUpdate that carries it to the replica sites): a new image (ref and digest), software versions, or
 * configuration properties. Pure: validation with JSON-pointer paths, and the merged definition.
 *
 * Merge rules: `image` replaces the tier's image (its format stays); each `software` item sets the version of the
 * package of that name (adding it when new); each `configuration` item sets the value of the property of that name
 * (adding it when new). Nothing else of the tier can change this way (size, count, storage and networks need a new
 * service).
 */
import { type ServiceDefinition, type TierDefinition } from '../manifest/service-definition';
import { TEXT_RULES, textProblem, type TextRule } from '../manifest/bounds';
import { type ErrorDetail } from '../shared/domain-error';

export interface TierUpdate {
  image?: { ref: string; sha256?: string };
  software?: { name: string; version: string }[];
  configuration?: { name: string; value: string }[];
}

const FIELDS = ['image', 'software', 'configuration'];
const MAX_ITEMS = 256;

export type TierUpdateCheck = { ok: true; update: TierUpdate } | { ok: false; errors: ErrorDetail[] };

/** Checks a PATCH body (any JSON) against the tier it names; reports every problem with its path. */
export function checkTierUpdate(body: unknown, definition: ServiceDefinition, tierName: string): TierUpdateCheck {
  const errors: ErrorDetail[] = [];
  const fail = (path: string, message: string) => errors.push({ path, message });
  if (!definition.tiers.some((t) => t.name === tierName)) fail('/tier', `the service has no tier '${tierName}'`);
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    fail('/', 'the body must be a JSON object with image, software and/or configuration');
    return { ok: false, errors };
  }
  const b = body as Record<string, unknown>;
  for (const key of Object.keys(b)) if (!FIELDS.includes(key)) fail(`/${key}`, `unknown field (only ${FIELDS.join(', ')})`);
  if (!FIELDS.some((f) => b[f] !== undefined)) fail('/', 'nothing to change: give image, software and/or configuration');
  const update: TierUpdate = {};
  if (b.image !== undefined) {
    const image = b.image as Record<string, unknown> | null;
    if (typeof image !== 'object' || image === null || Array.isArray(image)) fail('/image', 'must be an object {ref, sha256?}');
    else {
      for (const key of Object.keys(image)) if (key !== 'ref' && key !== 'sha256') fail(`/image/${key}`, 'unknown field (only ref, sha256)');
      text(image.ref, '/image/ref', TEXT_RULES.imageRef, fail);
      if (image.sha256 !== undefined) text(image.sha256, '/image/sha256', TEXT_RULES.sha256, fail);
      update.image = { ref: String(image.ref), ...(typeof image.sha256 === 'string' ? { sha256: image.sha256 } : {}) };
    }
  }
  const pairs = (field: 'software' | 'configuration', keyName: 'version' | 'value', nameRule: TextRule, valueRule: TextRule) => {
    const list = b[field];
    if (list === undefined) return undefined;
    if (!Array.isArray(list) || list.length === 0 || list.length > MAX_ITEMS) {
      fail(`/${field}`, `must be a list of 1 to ${MAX_ITEMS} {name, ${keyName}} items`);
      return undefined;
    }
    const seen = new Set<string>();
    list.forEach((item: unknown, i) => {
      const at = `/${field}/${i}`;
      if (typeof item !== 'object' || item === null || Array.isArray(item)) return fail(at, `must be an object {name, ${keyName}}`);
      const o = item as Record<string, unknown>;
      for (const key of Object.keys(o)) if (key !== 'name' && key !== keyName) fail(`${at}/${key}`, `unknown field (only name, ${keyName})`);
      text(o.name, `${at}/name`, nameRule, fail);
      text(o[keyName], `${at}/${keyName}`, valueRule, fail);
      if (typeof o.name === 'string' && seen.has(o.name)) fail(`${at}/name`, `'${o.name}' is listed twice`);
      if (typeof o.name === 'string') seen.add(o.name);
      return undefined;
    });
    return (list as Record<string, string>[]).map((o) => ({ name: o.name as string, [keyName]: o[keyName] as string }));
  };
  const software = pairs('software', 'version', TEXT_RULES.softwareName, TEXT_RULES.softwareVersion);
  if (software) update.software = software as TierUpdate['software'];
  const configuration = pairs('configuration', 'value', TEXT_RULES.propertyName, TEXT_RULES.propertyValue);
  if (configuration) update.configuration = configuration as TierUpdate['configuration'];
  return errors.length > 0 ? { ok: false, errors } : { ok: true, update };
}

/** The definition with the update applied to the tier (the tier must exist: checked by {@link checkTierUpdate}). */
export function applyTierUpdate(definition: ServiceDefinition, tierName: string, update: TierUpdate): ServiceDefinition {
  return { ...definition, tiers: definition.tiers.map((t) => (t.name === tierName ? updatedTier(t, update) : t)) };
}

/** Whether the update replaces the tier's disks (a new image) rather than only restarting its VEEs. */
export function reinstallsTier(tier: TierDefinition, update: TierUpdate): boolean {
  return update.image !== undefined && (update.image.ref !== tier.image.ref || update.image.sha256 !== tier.image.sha256);
}

function updatedTier(tier: TierDefinition, update: TierUpdate): TierDefinition {
  const image = update.image ? { ref: update.image.ref, format: tier.image.format, ...(update.image.sha256 ? { sha256: update.image.sha256 } : {}) } : tier.image;
  return {
    ...tier,
    image,
    software: merge(tier.software, update.software ?? [], (s) => s.name),
    configuration: merge(tier.configuration, update.configuration ?? [], (c) => c.name),
  };
}

function merge<T>(current: readonly T[], changes: readonly T[], key: (item: T) => string): T[] {
  const changed = new Map(changes.map((c) => [key(c), c]));
  const kept = current.map((c) => changed.get(key(c)) ?? c);
  const added = changes.filter((c) => !current.some((x) => key(x) === key(c)));
  return [...kept, ...added];
}

function text(value: unknown, path: string, rule: TextRule, fail: (path: string, message: string) => void): void {
  if (typeof value !== 'string') {
    fail(path, `must be a string: ${rule.describe}`);
    return;
  }
  const problem = textProblem(value, rule);
  if (problem) fail(path, problem);
}
