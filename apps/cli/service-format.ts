import { formatFields, formatTable } from './table';

/** The parts of `GET /v1/services/:id` the CLI reads (apps/site-broker/services/service.view.ts). */
export interface ServiceJson {
  id: string;
  name: string;
  phase: string;
  tiers: { name: string }[];
  createdAt: string;
  updatedAt: string;
  phaseHistory?: { from: string | null; to: string; reason: string; at: string }[];
  vees?: VeeJson[];
  placementErrors?: { tier: string; reasons: string[] }[];
}

export interface VeeJson {
  id: string;
  tier: string;
  index: number;
  host: string;
  phase: string;
  role: string;
  domain?: string;
  updatedAt?: string;
}

/** One item of `GET /v1/services/:id/events`. */
export interface EventJson {
  at: string;
  subject: 'service' | 'vee';
  id: string;
  from: string | null;
  to: string;
  reason: string;
  by?: string;
}

/** The reason of the service's latest transition, if the broker sent its history. */
export function latestReason(service: ServiceJson): string | undefined {
  return service.phaseHistory?.at(-1)?.reason;
}

/**
 * `reservoir get ID`: a header block, one row per VEE (in manifest tier order, then by index) and, for a service
 * that could not be placed, why — per tier, per host.
 */
export function formatService(service: ServiceJson): string[] {
  const placement = service.placementErrors ?? [];
  const reason = latestReason(service);
  const fields: [string, string][] = [
    ['service', service.id],
    ['name', service.name],
    ['phase', service.phase],
    ...(reason !== undefined && placement.length === 0 ? [['reason', reason] as [string, string]] : []),
    ['tiers', service.tiers.map((t) => t.name).join(', ')],
    ['created', service.createdAt],
    ['updated', service.updatedAt],
  ];
  const lines = [...formatFields(fields), ''];
  const vees = sortedVees(service);
  if (vees.length === 0) lines.push('no VEEs');
  else {
    const rows = vees.map((v) => [v.tier, v.id, v.host, v.phase, v.role, v.domain ?? '', v.updatedAt ?? '']);
    lines.push(...formatTable(['TIER', 'VEE', 'HOST', 'PHASE', 'ROLE', 'DOMAIN', 'SINCE'], rows));
  }
  if (placement.length > 0) lines.push('', ...formatPlacementErrors(placement));
  return lines;
}

/** Why placement failed: one block per tier, one line per reason (the broker's reasons name the host). */
export function formatPlacementErrors(errors: readonly { tier: string; reasons: string[] }[]): string[] {
  return ['placement errors:', ...errors.flatMap((e) => [`  tier ${e.tier}:`, ...e.reasons.map((r) => `    ${r}`)])];
}

function sortedVees(service: ServiceJson): VeeJson[] {
  const order = new Map(service.tiers.map((t, i) => [t.name, i]));
  const rank = (v: VeeJson): number => order.get(v.tier) ?? order.size;
  return [...(service.vees ?? [])].sort((a, b) => rank(a) - rank(b) || a.tier.localeCompare(b.tier) || a.index - b.index);
}

/** Names VEEs by `tier/index` (what a reader of the manifest knows them by); the id when it was never seen. */
export class SubjectNames {
  private readonly vees = new Map<string, string>();

  learn(vees: readonly VeeJson[]): void {
    for (const v of vees) this.vees.set(v.id, `${v.tier}/${v.index}`);
  }

  knows(veeId: string): boolean {
    return this.vees.has(veeId);
  }

  name(event: Pick<EventJson, 'subject' | 'id'>): string {
    return event.subject === 'service' ? 'service' : `vee ${this.vees.get(event.id) ?? event.id}`;
  }
}

/** Width the subject column is padded to, so the transitions of a typical service line up. */
const SUBJECT_WIDTH = 20;

/** One transition as a line of `reservoir watch`: `AT  SUBJECT  FROM → TO  REASON`. */
export function formatEvent(event: EventJson, names: SubjectNames): string {
  return `${event.at}  ${names.name(event).padEnd(SUBJECT_WIDTH)}  ${event.from ?? '—'} → ${event.to}  ${event.reason}`;
}
