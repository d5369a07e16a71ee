// Public API of negotiation: replica demand, prices, the provider's capacity ledger and offer decision, and the
// consumer's ranking and award. Pure; see README.md.
export { priceOf, roundPrice, PRICE_DECIMALS, type PriceList } from './price';
export { demandOf, replicaRoleOf, type ReplicaRole } from './replica-plan';
export {
  expire,
  extendReservation,
  hostsWithReservations,
  ledgerFree,
  liveReservations,
  release,
  reserve,
  type CapacityLedger,
  type Reservation,
  type ReservedVee,
  type ReserveResult,
} from './capacity-ledger';
export { decideOffer, DEFAULT_AWARD_WINDOW_MS, type OfferDecision, type OfferSettings } from './decide-offer';
export {
  compareScores,
  coverageGaps,
  exclusionReasons,
  rankOffers,
  type ExcludedOffer,
  type OfferScore,
  type RankedOffer,
  type Ranking,
  type RankingPolicy,
  type ReceivedOffer,
} from './rank-offers';
export { award, type AwardDecision, type Rejection } from './award';
