/**
 * The hosts that pass the static filters (health, labels, physical size) for one VEE shape. These never
 * change during a planning run, so tiers of the same shape — a thousand services of the same three tiers —
 * share one scan instead of repeating it per tier.
 */
import { passesStaticFilters } from './filters';
import { type SiteState, type HostSlot } from './site-state';
import { type TierContext } from './tier-context';

/** Candidate hosts in id order, the failure domain of each, and the distinct domains they span (ascending). */
export interface Candidates {
  readonly hosts: readonly HostSlot[];
  /** `domainOf[j]` is `hosts[j].domain`, packed for the planner's hot loop. */
  readonly domainOf: Int32Array;
  readonly domains: readonly number[];
}

export class CandidateCache {
  private readonly byShape = new Map<string, Candidates>();

  constructor(private readonly site: SiteState) {}

  candidatesFor(ctx: TierContext): Candidates {
    const key = shapeKey(ctx);
    let found = this.byShape.get(key);
    if (found === undefined) {
      found = this.scan(ctx);
      this.byShape.set(key, found);
    }
    return found;
  }

  private scan(ctx: TierContext): Candidates {
    const hosts = this.site.slots.filter((s) => passesStaticFilters(s, ctx));
    const seen = new Uint8Array(this.site.domains.length);
    for (const s of hosts) seen[s.domain] = 1;
    const domains: number[] = [];
    for (let d = 0; d < seen.length; d += 1) if (seen[d] === 1) domains.push(d);
    return { hosts, domainOf: Int32Array.from(hosts, (s) => s.domain), domains };
  }
}

/** What the static filters look at: the VEE's size and the required labels (in key order). */
function shapeKey({ vee, tier }: TierContext): string {
  const required = tier.requiredLabels;
  const labels = required === undefined ? '' : JSON.stringify(Object.keys(required).sort().map((k) => [k, required[k]]));
  return `${vee.vcpu}|${vee.memoryMiB}|${vee.diskGiB}|${labels}`;
}
