import { HypervisorError } from '@reservoir/domain/ports/hypervisor.port';

/**
 * A simulated host as its URI declares it: `sim://NAME?vcpu=8&memory-mib=16384&disk-gib=200&failure-domain=rack1`.
 * The first URI naming a host declares it (vcpu, memory-mib and disk-gib required); later ones may give just
 * `sim://NAME`, or repeat the same parameters.
 */
export interface SimHostConfig {
  name: string;
  vcpu: number;
  memoryMiB: number;
  diskGiB: number;
  /** Hosts sharing a failure domain (rack, power feed) fail together; placement spreads across them. */
  failureDomain?: string;
}

/** A parsed sim URI: the host name and whatever parameters it gave. */
export interface SimUri {
  name: string;
  params?: SimHostConfig;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;
const NUMERIC = { vcpu: ['vcpu', 1, 4096], 'memory-mib': ['memoryMiB', 16, 1 << 30], 'disk-gib': ['diskGiB', 1, 1 << 24] } as const;
const KNOWN = new Set([...Object.keys(NUMERIC), 'failure-domain']);

/** Parses a sim URI, reporting every problem at once as one 'invalid-argument' error. */
export function parseSimUri(uri: string): SimUri {
  const match = /^sim:\/\/([^/?#]*)\/?(?:\?([^#]*))?$/.exec(uri);
  if (!match) throw invalid(uri, ["expected sim://NAME?vcpu=N&memory-mib=N&disk-gib=N[&failure-domain=D]"]);
  const name = match[1] ?? '';
  const query = new URLSearchParams(match[2] ?? '');
  const problems: string[] = [];
  if (!NAME.test(name)) problems.push(`host name '${name}' must be 1 to 63 letters, digits, '.', '_' or '-', starting with a letter or digit`);
  for (const key of new Set(query.keys())) {
    if (!KNOWN.has(key)) problems.push(`unknown parameter '${key}' (known: ${[...KNOWN].join(', ')})`);
    else if (query.getAll(key).length > 1) problems.push(`parameter '${key}' given more than once`);
  }
  if ([...query.keys()].length === 0) {
    if (problems.length) throw invalid(uri, problems);
    return { name };
  }
  const numbers: Partial<Record<'vcpu' | 'memoryMiB' | 'diskGiB', number>> = {};
  for (const [key, [field, min, max]] of Object.entries(NUMERIC)) {
    const raw = query.get(key);
    if (raw === null) problems.push(`missing parameter '${key}'`);
    else if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) problems.push(`${key} must be an integer from ${min} to ${max}, got '${raw}'`);
    else numbers[field] = Number(raw);
  }
  const failureDomain = query.get('failure-domain') ?? undefined;
  if (failureDomain !== undefined && !NAME.test(failureDomain)) problems.push(`failure-domain '${failureDomain}' is not a valid name`);
  if (problems.length) throw invalid(uri, problems);
  const { vcpu = 0, memoryMiB = 0, diskGiB = 0 } = numbers;
  return { name, params: { name, vcpu, memoryMiB, diskGiB, ...(failureDomain === undefined ? {} : { failureDomain }) } };
}

/** The canonical URI of a host, parameters in a fixed order. */
export function formatSimUri(config: SimHostConfig): string {
  const fd = config.failureDomain === undefined ? '' : `&failure-domain=${config.failureDomain}`;
  return `sim://${config.name}?vcpu=${config.vcpu}&memory-mib=${config.memoryMiB}&disk-gib=${config.diskGiB}${fd}`;
}

/** The host name in a sim URI or a bare name. */
export function simHostName(uriOrName: string): string {
  return uriOrName.startsWith('sim:') ? parseSimUri(uriOrName).name : uriOrName;
}

/** True when two declarations describe the same host. */
export function sameSimHost(a: SimHostConfig, b: SimHostConfig): boolean {
  return formatSimUri(a) === formatSimUri(b);
}

function invalid(uri: string, problems: string[]): HypervisorError {
  return new HypervisorError('invalid-argument', `bad sim URI '${uri}': ${problems.join('; ')}`);
}
