/**
 * The provider's answer to a call for proposals: an offer backed by a reservation, or a decline. A declining
 * site stays silent (the protocol has no Decline message: the consumer's deadline covers silence); the
 * decline's reason is for this site's log and metrics.
 */
import { type CallForProposalsBody, type OfferBody } from '../protocol/envelope';
import { type CapacityLedger, type Reservation, reserve } from './capacity-ledger';
import { priceOf, type PriceList } from './price';

export interface OfferSettings {
  /** The reservation's (and contract's) id: an input, like every id. */
  reservationId: string;
  /**
   * How long after the CFP's deadline the offer stays valid: the consumer ranks offers at the deadline and
   * needs time to award. Default DEFAULT_AWARD_WINDOW_MS.
   */
  awardWindowMs?: number;
}

export const DEFAULT_AWARD_WINDOW_MS = 30_000;

export type OfferDecision =
  | { kind: 'offer'; offer: OfferBody; reservation: Reservation; ledger: CapacityLedger }
  | { kind: 'decline'; reason: string; details: string[] };

/**
 * Offers every tier of the CFP in full, priced from the site's price list, valid until deadline + award
 * window, only when the ledger can reserve all of it now (reservations of concurrent CFPs counted). Declines
 * a CFP whose deadline is unreadable or already passed, one that asks for nothing, or one that does not fit.
 */
export function decideOffer(cfp: CallForProposalsBody, ledger: CapacityLedger, priceList: PriceList, now: Date, settings: OfferSettings): OfferDecision {
  const deadline = Date.parse(cfp.deadline);
  if (Number.isNaN(deadline)) return decline(`deadline '${cfp.deadline}' is not a date`);
  if (deadline <= now.getTime()) return decline(`deadline ${cfp.deadline} has passed`);
  if (cfp.tiers.length === 0 || cfp.tiers.every((t) => t.instances === 0)) return decline('the call asks for no instances');
  const validUntil = new Date(deadline + (settings.awardWindowMs ?? DEFAULT_AWARD_WINDOW_MS));
  const held = reserve(ledger, settings.reservationId, cfp.tiers, now, validUntil);
  if (!held.ok) return decline(held.reason, held.details);
  const offer: OfferBody = {
    serviceId: cfp.serviceId,
    tiers: cfp.tiers.map((t) => ({ ...t })),
    pricePerHour: priceOf(cfp.tiers, priceList),
    currency: priceList.currency,
    validUntil: validUntil.toISOString(),
  };
  return { kind: 'offer', offer, reservation: held.reservation, ledger: held.ledger };
}

function decline(reason: string, details: string[] = []): OfferDecision {
  return { kind: 'decline', reason, details };
}
