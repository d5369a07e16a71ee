import { type HostFeatures } from '../ports/hypervisor.port';
import { type ErrorDetail } from '../shared/domain-error';

import { DEFAULT_OVERCOMMIT, type HostHealth, type OvercommitRatios, type Resources } from '../placement/placement-types';

export { type HostHealth, type OvercommitRatios };

/** Physical size of a host as its hypervisor reports it. */
export type HostCapacity = Resources;

/** A hypervisor host of this site, as registered through `POST /v1/hosts`. */
export interface HostRecord {
  id: string;
  name: string;
  /** Picks the adapter: `sim://…` (simulated), `test:///default` or any other libvirt URI. */
  uri: string;
  failureDomain: string;
  labels: Record<string, string>;
  overcommit: OvercommitRatios;
  capacity: HostCapacity;
  /** Probed at registration (e.g. whether the host enforces the tiers' bandwidth). */
  features: HostFeatures;
  health: HostHealth;
  createdAt: Date;
  updatedAt: Date;
}

/** What a user asks for in `POST /v1/hosts`, after validation. */
export interface HostRegistration {
  name: string;
  uri: string;
  failureDomain?: string;
  labels: Record<string, string>;
  overcommit: OvercommitRatios;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;
const LABEL_KEY = /^[A-Za-z0-9][A-Za-z0-9._/-]{0,62}$/;
const KNOWN_FIELDS = ['name', 'uri', 'failureDomain', 'labels', 'overcommit'];

/**
 * Validates a host registration body (any JSON) and reports every problem with its field path.
 * Returns the typed registration, or the list of problems.
 */
export function validateHostRegistration(body: unknown): { ok: true; value: HostRegistration } | { ok: false; errors: ErrorDetail[] } {
  const errors: ErrorDetail[] = [];
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return { ok: false, errors: [{ path: '/', message: 'expected a JSON object {name, uri, failureDomain?, labels?, overcommit?}' }] };
  }
  const b = body as Record<string, unknown>;
  for (const key of Object.keys(b)) if (!KNOWN_FIELDS.includes(key)) errors.push({ path: `/${key}`, message: `unknown field (known: ${KNOWN_FIELDS.join(', ')})` });
  const name = typeof b.name === 'string' && NAME.test(b.name) ? b.name : undefined;
  if (name === undefined) errors.push({ path: '/name', message: 'required: 1-63 letters, digits, ".", "_" or "-", starting with a letter or digit' });
  const uri = typeof b.uri === 'string' && /^[a-z][a-z0-9+.-]*:\/\/\S{0,500}$/.test(b.uri) ? b.uri : undefined;
  if (uri === undefined) errors.push({ path: '/uri', message: 'required: a hypervisor URI such as sim://h1?vcpu=8&memory-mib=16384&disk-gib=200 or qemu:///system' });
  let failureDomain: string | undefined;
  if (b.failureDomain !== undefined) {
    if (typeof b.failureDomain === 'string' && NAME.test(b.failureDomain)) failureDomain = b.failureDomain;
    else errors.push({ path: '/failureDomain', message: 'must be a name of 1-63 letters, digits, ".", "_" or "-"' });
  }
  const labels = readLabels(b.labels, errors);
  const overcommit = readOvercommit(b.overcommit, errors);
  if (errors.length > 0 || name === undefined || uri === undefined) return { ok: false, errors };
  return { ok: true, value: { name, uri, labels, overcommit, ...(failureDomain === undefined ? {} : { failureDomain }) } };
}

function readLabels(raw: unknown, errors: ErrorDetail[]): Record<string, string> {
  if (raw === undefined) return {};
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    errors.push({ path: '/labels', message: 'must be an object of string values' });
    return {};
  }
  const labels: Record<string, string> = {};
  const entries = Object.entries(raw as Record<string, unknown>);
  if (entries.length > 64) errors.push({ path: '/labels', message: 'at most 64 labels' });
  for (const [key, value] of entries) {
    if (!LABEL_KEY.test(key)) errors.push({ path: `/labels/${key}`, message: 'label keys are 1-63 letters, digits, ".", "_", "/" or "-"' });
    else if (typeof value !== 'string' || value.length > 253) errors.push({ path: `/labels/${key}`, message: 'label values are strings of at most 253 characters' });
    else labels[key] = value;
  }
  return labels;
}

function readOvercommit(raw: unknown, errors: ErrorDetail[]): OvercommitRatios {
  const result: OvercommitRatios = { ...DEFAULT_OVERCOMMIT };
  if (raw === undefined) return result;
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    errors.push({ path: '/overcommit', message: 'must be an object {cpu?, memory?}' });
    return result;
  }
  for (const [key, value] of Object.entries(raw as Record<string, unknown>)) {
    if (key !== 'cpu' && key !== 'memory') errors.push({ path: `/overcommit/${key}`, message: 'unknown ratio (known: cpu, memory)' });
    else if (typeof value !== 'number' || !Number.isFinite(value) || value < 1 || value > (key === 'cpu' ? 64 : 4)) {
      errors.push({ path: `/overcommit/${key}`, message: `must be a number from 1 to ${key === 'cpu' ? 64 : 4}` });
    } else result[key] = value;
  }
  return result;
}
