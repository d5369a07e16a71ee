/**
 * Load-balancing weights per site for one service (`loadBalancing: {site: weight}` in the service JSON and
 * CooperationUpdate.weights), from each site's replica health and capacity.
 */
import { DomainError } from '../../shared/domain-error';
import { type ReplicaPhase } from '../protocol/envelope';

/** One site serving (or able to serve) the service: the primary or a replica. */
export interface SiteShare {
  site: string;
  /** The site is alive (liveness) and its replica reports healthy. */
  healthy: boolean;
  /** The replica's phase; the primary reports `running`. Only `running` sites serve traffic. */
  phase: ReplicaPhase;
  /** The site's share of the service's serving capacity, in any unit common to all sites (e.g. active vCPUs). */
  capacityShare: number;
}

/** Weights are given to this many decimals (thousandths). */
export const WEIGHT_DECIMALS = 3;

/**
 * Weight ∝ capacityShare over the sites that are healthy, `running` and have a positive finite share; 0 for
 * every other site (unhealthy, deploying, standby-only, failed, released, no capacity). Rounded to
 * thousandths by largest remainder so the weights sum to exactly 1: each site gets the floor of its share in
 * thousandths, and the thousandths left go one each to the largest remainders, ties to the lower site id.
 * All 0 when no site qualifies. Every input site appears in the result. Duplicate sites are refused.
 */
export function weights(sites: readonly SiteShare[]): Record<string, number> {
  const seen = new Set<string>();
  for (const s of sites) {
    if (seen.has(s.site)) throw new DomainError('invalid-input', `site ${s.site} listed twice in load-balancing input`);
    seen.add(s.site);
  }
  const serving = sites.filter((s) => s.healthy && s.phase === 'running' && Number.isFinite(s.capacityShare) && s.capacityShare > 0);
  const total = serving.reduce((sum, s) => sum + s.capacityShare, 0);
  const units = 10 ** WEIGHT_DECIMALS;
  const milli = new Map<string, number>(sites.map((s) => [s.site, 0]));
  if (serving.length > 0 && Number.isFinite(total)) {
    const exact = serving.map((s) => ({ site: s.site, value: (s.capacityShare / total) * units }));
    let left = units;
    for (const e of exact) {
      const floor = Math.floor(e.value);
      milli.set(e.site, floor);
      left -= floor;
    }
    const byRemainder = [...exact].sort((a, b) => b.value - Math.floor(b.value) - (a.value - Math.floor(a.value)) || cmp(a.site, b.site));
    for (let i = 0; left > 0; i = (i + 1) % byRemainder.length, left -= 1) {
      const site = byRemainder[i].site;
      milli.set(site, (milli.get(site) ?? 0) + 1);
    }
  }
  const out: Record<string, number> = {};
  for (const s of [...sites].sort((a, b) => cmp(a.site, b.site))) out[s.site] = (milli.get(s.site) ?? 0) / units;
  return out;
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
