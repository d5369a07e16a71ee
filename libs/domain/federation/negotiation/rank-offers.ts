/**
 * The consumer's comparison of the offers a call for proposals drew. Deterministic: the same offers in any
 * order give the same ranking. The policy is written out in README.md ("Ranking offers").
 */
import { type CallForProposalsBody, type OfferBody } from '../protocol/envelope';
import { roundPrice } from './price';

/** An offer as the consumer received it; `offerId` is its envelope id (AwardBody.offerId). */
export interface ReceivedOffer {
  offerId: string;
  from: string;
  body: OfferBody;
  receivedAt: Date;
}

/** The consumer's configuration of its peers, and the instant of ranking. */
export interface RankingPolicy {
  now: Date;
  /** Higher is preferred; a site not listed has 0. */
  preference?: Readonly<Record<string, number>>;
  /** Lower is nearer; a site not listed ranks after every listed one (`null` in the score). */
  distanceClass?: Readonly<Record<string, number>>;
  /** When set, offers in another currency are excluded (the domain has no exchange rates). */
  currency?: string;
}

/** What the ordering looked at, in the order it looks. */
export interface OfferScore {
  distanceClass: number | null;
  pricePerHour: number;
  preference: number;
  site: string;
}

export interface RankedOffer {
  /** 1 = best. */
  rank: number;
  offer: ReceivedOffer;
  score: OfferScore;
}

export interface ExcludedOffer {
  offer: ReceivedOffer;
  reasons: string[];
}

export interface Ranking {
  ranked: RankedOffer[];
  /** Ordered by site, then offer id. */
  excluded: ExcludedOffer[];
}

export function rankOffers(cfp: CallForProposalsBody, offers: readonly ReceivedOffer[], policy: RankingPolicy): Ranking {
  const byArrival = [...offers].sort((a, b) => a.receivedAt.getTime() - b.receivedAt.getTime() || cmp(a.offerId, b.offerId));
  const excluded: ExcludedOffer[] = [];
  const kept = new Map<string, ReceivedOffer>();
  for (const offer of byArrival) {
    const reasons = exclusionReasons(cfp, offer, policy);
    const first = kept.get(offer.from);
    if (reasons.length === 0 && first !== undefined) reasons.push(`site ${offer.from} already made offer ${first.offerId}, received first`);
    if (reasons.length > 0) excluded.push({ offer, reasons });
    else kept.set(offer.from, offer);
  }
  const scored = [...kept.values()].map((offer) => ({ offer, score: scoreOf(offer, policy) }));
  scored.sort((a, b) => compareScores(a.score, b.score) || cmp(a.offer.offerId, b.offer.offerId));
  excluded.sort((a, b) => cmp(a.offer.from, b.offer.from) || cmp(a.offer.offerId, b.offer.offerId));
  return { ranked: scored.map((s, i) => ({ rank: i + 1, ...s })), excluded };
}

/** Every reason the offer cannot be considered; empty when it can. */
export function exclusionReasons(cfp: CallForProposalsBody, offer: ReceivedOffer, policy: RankingPolicy): string[] {
  const { body } = offer;
  const reasons: string[] = [];
  if (body.serviceId !== cfp.serviceId) reasons.push(`offer is for service ${body.serviceId}, not ${cfp.serviceId}`);
  const deadline = Date.parse(cfp.deadline);
  if (!(offer.receivedAt.getTime() <= deadline)) reasons.push(`received at ${offer.receivedAt.toISOString()}, after the deadline ${cfp.deadline}`);
  const validUntil = Date.parse(body.validUntil);
  if (!(validUntil > policy.now.getTime())) reasons.push(`valid until ${body.validUntil}, not after ${policy.now.toISOString()}`);
  if (!(Number.isFinite(body.pricePerHour) && body.pricePerHour >= 0)) reasons.push(`price per hour ${body.pricePerHour} is not a non-negative number`);
  if (policy.currency !== undefined && body.currency !== policy.currency) reasons.push(`priced in ${body.currency}, not ${policy.currency}`);
  reasons.push(...coverageGaps(cfp, body));
  return reasons;
}

/** Every tier of the CFP must be offered in full: as many instances, each at least as large. */
export function coverageGaps(cfp: CallForProposalsBody, body: OfferBody): string[] {
  const gaps: string[] = [];
  for (const want of cfp.tiers) {
    const got = body.tiers.find((t) => t.tier === want.tier);
    if (got === undefined) {
      gaps.push(`tier ${want.tier} not offered`);
      continue;
    }
    const short = (have: number, need: number, what: string): void => {
      if (!(have >= need)) gaps.push(`tier ${want.tier}: ${have} of ${need} ${what}`);
    };
    short(got.instances, want.instances, 'instances');
    short(got.vcpu, want.vcpu, 'vCPU per instance');
    short(got.memoryMiB, want.memoryMiB, 'MiB memory per instance');
    short(got.diskGiB, want.diskGiB, 'GiB disk per instance');
  }
  return gaps;
}

function scoreOf(offer: ReceivedOffer, policy: RankingPolicy): OfferScore {
  const site = offer.from;
  const distance = policy.distanceClass?.[site];
  return {
    distanceClass: distance === undefined ? null : distance,
    pricePerHour: roundPrice(offer.body.pricePerHour),
    preference: policy.preference?.[site] ?? 0,
    site,
  };
}

/** Nearer distance class (unknown last), then lower price, then higher preference, then site id. */
export function compareScores(a: OfferScore, b: OfferScore): number {
  const da = a.distanceClass ?? Number.POSITIVE_INFINITY;
  const db = b.distanceClass ?? Number.POSITIVE_INFINITY;
  if (da !== db) return da < db ? -1 : 1;
  if (a.pricePerHour !== b.pricePerHour) return a.pricePerHour < b.pricePerHour ? -1 : 1;
  if (a.preference !== b.preference) return a.preference > b.preference ? -1 : 1;
  return cmp(a.site, b.site);
}

/** Plain code-unit order: the same on every machine and locale. */
function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
