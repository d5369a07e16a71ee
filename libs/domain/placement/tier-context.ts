/**
 * What the filters and weighers know about the tier being placed, and the anti-affinity decision for it.
 */
import { veeDemand } from './host-capacity';
import { type Resources, type TierDemand } from './placement-types';
import { type SiteState } from './site-state';

/**
 * How a tier's instances are kept apart.
 * - `hard`: no two instances in one failure domain (the availability target asks and enough domains exist).
 * - `soft`: the target asks but domains are short: fewest instances per domain first, and a warning.
 * - `none`: the target is below the policy's threshold; only the weigher decides.
 */
export type SpreadMode = 'hard' | 'soft' | 'none';

/** The tier being placed, as the filters and weighers see it. `domainCounts` changes as instances are placed. */
export interface TierContext {
  readonly tier: TierDemand;
  /** What one VEE of the tier needs. */
  readonly vee: Resources;
  readonly site: SiteState;
  readonly spread: SpreadMode;
  /** Instances of the tier per failure domain (index = `HostSlot.domain`), existing and planned so far. */
  readonly domainCounts: Int32Array;
}

/** The context with spread mode `none`; `decideSpread` settles the mode once the candidates are known. */
export function newTierContext(tier: TierDemand, site: SiteState): TierContext {
  const domainCounts = new Int32Array(site.domains.length);
  for (const s of site.instancesOf(tier.service, tier.name)) domainCounts[site.slots[s].domain] += 1;
  return { tier, vee: veeDemand(tier), site, spread: 'none', domainCounts };
}

/** The same context under another spread mode. A literal, not a spread: V8 keeps one hidden class for all. */
export function withSpread(ctx: TierContext, spread: SpreadMode): TierContext {
  return { tier: ctx.tier, vee: ctx.vee, site: ctx.site, spread, domainCounts: ctx.domainCounts };
}

export interface SpreadDecision {
  mode: SpreadMode;
  warning?: string;
}

/**
 * Hard anti-affinity when the availability target reaches the threshold and the eligible hosts (up, labels
 * matching, physically large enough) span at least one failure domain per new instance that holds no
 * instance of the tier yet. `eligibleDomains` are the distinct domains of those hosts.
 */
export function decideSpread(ctx: TierContext, eligibleDomains: readonly number[], threshold: number): SpreadDecision {
  const { tier } = ctx;
  const instances = tier.vee.instances;
  if (tier.qos.availability < threshold || instances === 0) return { mode: 'none' };
  let free = 0;
  for (const d of eligibleDomains) if (ctx.domainCounts[d] === 0) free += 1;
  if (free >= instances) return { mode: 'hard' };
  const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;
  return {
    mode: 'soft',
    warning:
      `service ${tier.service}, tier ${tier.name}: availability ${tier.qos.availability} % asks for one failure domain ` +
      `per instance, but ${plural(instances, 'new instance')} meet only ${plural(free, 'eligible failure domain')} ` +
      'without one; spread as evenly as possible',
  };
}
