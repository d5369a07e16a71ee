// Public API of cooperation: load-balancing weights per site and the ordering of cooperation updates. Pure;
// see README.md.
export { weights, WEIGHT_DECIMALS, type SiteShare } from './load-balancing';
export { shouldApply } from './revision';
