/**
 * The federation file (RESERVOIR_FEDERATION_FILE): `{"sites":[{"id","publicKey","endpoint"?}]}`, the same file
 * on every site, listing every site including the reader. Checked strictly, because a typo here silently cuts
 * a site off: every problem is reported at once, each with its JSON Pointer.
 */
import { readFileSync } from 'node:fs';
import { ConfigError } from '@reservoir/config';
import { type Federation, type FederationSite, PUBLIC_KEY_PATTERN, SITE_ID_PATTERN } from '@reservoir/domain/federation/protocol/federation';
import { describeIoError } from './key-files';

export const FEDERATION_FILE_VARIABLE = 'RESERVOIR_FEDERATION_FILE';

const SITE_MEMBERS = new Set(['id', 'publicKey', 'endpoint']);

export type FederationParse = { ok: true; federation: Federation } | { ok: false; problems: string[] };

/** Validates the parsed JSON of a federation file. */
export function parseFederation(json: unknown): FederationParse {
  if (!isObject(json)) return { ok: false, problems: ['/: must be an object {"sites":[...]}'] };
  const problems = Object.keys(json).filter((k) => k !== 'sites').map((k) => `/${k}: unknown member (only "sites")`);
  if (!Array.isArray(json.sites) || json.sites.length === 0) {
    return { ok: false, problems: [...problems, '/sites: must be a non-empty array of sites'] };
  }
  const sites = json.sites.map((entry, i) => parseSite(entry, `/sites/${i}`, problems));
  findDuplicates(sites, 'id', problems);
  findDuplicates(sites, 'publicKey', problems);
  if (problems.length > 0) return { ok: false, problems };
  return { ok: true, federation: { sites: sites as FederationSite[] } };
}

/** Reads and validates the file; throws a ConfigError naming `variable` with every problem. */
export function readFederationFile(path: string, variable: string = FEDERATION_FILE_VARIABLE): Federation {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError([`${variable}=${path}: ${describeIoError(err)}`]);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new ConfigError([`${variable}=${path}: not JSON (${err instanceof Error ? err.message : String(err)})`]);
  }
  const parsed = parseFederation(json);
  if (!parsed.ok) throw new ConfigError(parsed.problems.map((p) => `${variable}=${path}: ${p}`));
  return parsed.federation;
}

function parseSite(entry: unknown, at: string, problems: string[]): Partial<FederationSite> {
  if (!isObject(entry)) {
    problems.push(`${at}: must be an object {"id","publicKey","endpoint"?}`);
    return {};
  }
  for (const k of Object.keys(entry)) if (!SITE_MEMBERS.has(k)) problems.push(`${at}/${k}: unknown member (only id, publicKey, endpoint)`);
  const { id, publicKey, endpoint } = entry;
  if (typeof id !== 'string' || !SITE_ID_PATTERN.test(id)) {
    problems.push(`${at}/id: ${JSON.stringify(id)} is not a site id (1-63 of a-z, 0-9 and -, starting with a letter)`);
  }
  if (typeof publicKey !== 'string' || !PUBLIC_KEY_PATTERN.test(publicKey)) {
    problems.push(`${at}/publicKey: must be base64url of a raw 32-byte Ed25519 public key, 43 characters (reservoir keygen prints it)`);
  }
  if (endpoint !== undefined && !isHttpUrl(endpoint)) problems.push(`${at}/endpoint: ${JSON.stringify(endpoint)} is not an http(s) URL`);
  return {
    id: id as string,
    publicKey: publicKey as string,
    ...(endpoint !== undefined ? { endpoint: (endpoint as string).replace(/\/+$/, '') } : {}),
  };
}

function findDuplicates(sites: Partial<FederationSite>[], member: 'id' | 'publicKey', problems: string[]): void {
  const first = new Map<string, number>();
  sites.forEach((site, i) => {
    const value = site[member];
    if (typeof value !== 'string') return;
    const earlier = first.get(value);
    if (earlier === undefined) first.set(value, i);
    else problems.push(`/sites/${i}/${member}: same as /sites/${earlier}/${member}; every site needs its own`);
  });
}

function isHttpUrl(value: unknown): boolean {
  if (typeof value !== 'string') return false;
  try {
    const url = new URL(value);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '';
  } catch {
    return false;
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
