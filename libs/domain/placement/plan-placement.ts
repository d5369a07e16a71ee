/**
 * The placement planner: hosts × tiers × policy → plan. Pure and deterministic: hosts are scanned in id order
 * whatever order they come in, ties go to the lowest host id, and no clock, randomness or I/O is involved.
 */
import { CandidateCache, type Candidates } from './candidates';
import { DYNAMIC_FILTERS, firstRejection, fitsCapacity, spreadAllows, STATIC_FILTERS } from './filters';
import {
  type PlacementInput,
  type PlacementPlan,
  resolvePlacementPolicy,
  type ResolvedPlacementPolicy,
  type TierDemand,
} from './placement-types';
import { type HostSlot, SiteState } from './site-state';
import { decideSpread, newTierContext, type TierContext, withSpread } from './tier-context';
import { type Weigher, WEIGHERS } from './weighers';

/** State shared by the tiers of one `planPlacement` call. `weights` is scratch space, one entry per host. */
interface PlanningRun {
  site: SiteState;
  policy: ResolvedPlacementPolicy;
  candidates: CandidateCache;
  weigh: Weigher;
  weights: Float64Array;
}

/**
 * Places every tier's `vee.instances` new VEEs, tiers in input order (the caller's dependency order), each
 * VEE on the best host that passes every filter. A VEE that finds no host ends its tier: the tier is reported
 * in `unplaced` with one reason per host, and later tiers are still tried.
 */
export function planPlacement(input: PlacementInput): PlacementPlan {
  const policy = resolvePlacementPolicy(input.policy);
  const site = new SiteState(input.hosts, policy.overcommit);
  const run: PlanningRun = {
    site,
    policy,
    candidates: new CandidateCache(site),
    weigh: WEIGHERS[policy.strategy],
    weights: new Float64Array(site.slots.length),
  };
  const plan: PlacementPlan = { assignments: [], unplaced: [], warnings: [], complete: true };
  for (const tier of input.tiers) placeTier(tier, run, plan);
  plan.complete = plan.unplaced.length === 0;
  return plan;
}

function placeTier(tier: TierDemand, run: PlanningRun, plan: PlacementPlan): void {
  const needed = tier.vee.instances;
  if (needed <= 0) return;
  const draft = newTierContext(tier, run.site);
  const candidates = run.candidates.candidatesFor(draft);
  const spread = decideSpread(draft, candidates.domains, run.policy.spreadThreshold);
  if (spread.warning !== undefined) plan.warnings.push(spread.warning);
  const ctx = withSpread(draft, spread.mode);
  const hosts = candidates.hosts;
  const weights = run.weights;
  for (let j = 0; j < hosts.length; j += 1) weights[j] = weightOf(hosts[j], ctx, run.weigh);
  const firstIndex = tier.firstIndex ?? 0;
  for (let i = 0; i < needed; i += 1) {
    const j = bestCandidate(candidates, weights, ctx);
    if (j < 0) {
      // Every remaining VEE of the tier is the same size and nothing changed since: each would fail alike.
      plan.unplaced.push({ service: tier.service, tier: tier.name, needed, placed: i, reasons: explain(run.site, ctx) });
      return;
    }
    const chosen = hosts[j];
    run.site.place(chosen, tier.service, tier.name, ctx.vee);
    ctx.domainCounts[chosen.domain] += 1;
    weights[j] = weightOf(chosen, ctx, run.weigh);
    plan.assignments.push({ service: tier.service, tier: tier.name, index: firstIndex + i, hostId: chosen.id });
  }
}

/** Marks a host whose free capacity cannot take the VEE; weighers return finite weights. */
const REFUSED = Number.NEGATIVE_INFINITY;

/** The weight of one more VEE of the tier on the host, or REFUSED when the capacity filter says no. */
function weightOf(s: HostSlot, ctx: TierContext, weigh: Weigher): number {
  return fitsCapacity(s, ctx.vee) ? weigh(s, ctx.vee) : REFUSED;
}

/**
 * The hot loop, O(candidates) per VEE over cached weights (a host's weight only changes when it receives a
 * VEE, and then only that entry is recomputed). Preference: (soft spread only) fewest instances of the tier in
 * the host's failure domain, then the highest weight, then the lowest host id — candidates are in id order
 * and only a strictly better host replaces the best so far. Returns the candidate's position, or -1.
 */
function bestCandidate(candidates: Candidates, weights: Float64Array, ctx: TierContext): number {
  const { domainOf } = candidates;
  const counts = ctx.domainCounts;
  const soft = ctx.spread === 'soft';
  let best = -1;
  let bestDomainLoad = 0;
  let bestWeight = REFUSED;
  for (let j = 0; j < domainOf.length; j += 1) {
    const weight = weights[j];
    if (weight === REFUSED || !spreadAllows(domainOf[j], ctx)) continue;
    const domainLoad = soft ? counts[domainOf[j]] : 0;
    if (best < 0 || domainLoad < bestDomainLoad || (domainLoad === bestDomainLoad && weight > bestWeight)) {
      best = j;
      bestDomainLoad = domainLoad;
      bestWeight = weight;
    }
  }
  return best;
}

/** One line per host, in id order: the first filter that refuses the tier's next VEE. */
function explain(site: SiteState, ctx: TierContext): string[] {
  if (site.slots.length === 0) return ['no hosts at this site'];
  return site.slots.map((s) => {
    const reason = firstRejection(STATIC_FILTERS, s, ctx) ?? firstRejection(DYNAMIC_FILTERS, s, ctx);
    return `host ${s.id}: ${reason ?? 'accepts the VEE (planner inconsistency)'}`;
  });
}
