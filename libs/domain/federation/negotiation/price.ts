/**
 * What capacity costs at a site: its configured price list, applied to the resources an offer reserves.
 */
import { type TierDemand } from '../protocol/envelope';

/** A site's price list (federation config), per hour of reserved resources. */
export interface PriceList {
  vcpuHour: number;
  memoryGiBHour: number;
  /** Omitted: disk is not charged. */
  diskGiBHour?: number;
  currency: string;
}

/** Prices are kept to micro-units so that sums like 0.1 + 0.2 compare equal and ties are real ties. */
export const PRICE_DECIMALS = 6;

/**
 * Price per hour of the whole demand: Σ instances × (vCPU × vcpuHour + memory GiB × memoryGiBHour + disk GiB ×
 * diskGiBHour), in the price list's currency, rounded to PRICE_DECIMALS. Standby instances cost the same as
 * active ones: they hold the same resources.
 */
export function priceOf(tiers: readonly TierDemand[], priceList: PriceList): number {
  let total = 0;
  for (const t of tiers) {
    const perInstance = t.vcpu * priceList.vcpuHour + (t.memoryMiB / 1024) * priceList.memoryGiBHour + t.diskGiB * (priceList.diskGiBHour ?? 0);
    total += t.instances * perInstance;
  }
  return roundPrice(total);
}

export function roundPrice(x: number): number {
  const f = 10 ** PRICE_DECIMALS;
  return Math.round(x * f) / f;
}
