/**
 * Closing a call for proposals: award the best N ranked offers, reject every other offer (ranked lower or
 * excluded), so that each provider releases what it reserved at once instead of at its offer's expiry.
 */
import { DomainError } from '../../shared/domain-error';
import { type RankedOffer, type Ranking, type ReceivedOffer } from './rank-offers';

export interface Rejection {
  offer: ReceivedOffer;
  /** RejectBody.reason. */
  reason: string;
}

export interface AwardDecision {
  /** Best first; at most one per site (a ranking keeps one offer per site). */
  awarded: RankedOffer[];
  /** Ranked offers beyond N (by rank), then excluded ones (in the ranking's order). */
  rejected: Rejection[];
}

/** `n` is the number of sites wanted (the service's replicas); fewer are awarded when fewer offers qualify. */
export function award(ranking: Ranking, n: number): AwardDecision {
  if (!(Number.isInteger(n) && n >= 0)) throw new DomainError('invalid-input', `the number of offers to award must be a whole number ≥ 0 (got ${n})`);
  const total = ranking.ranked.length;
  const awarded = ranking.ranked.slice(0, n);
  const rejected: Rejection[] = [
    ...ranking.ranked.slice(n).map((r) => ({ offer: r.offer, reason: `ranked ${r.rank} of ${total}; ${n} awarded` })),
    ...ranking.excluded.map((e) => ({ offer: e.offer, reason: e.reasons.join('; ') })),
  ];
  return { awarded, rejected };
}
