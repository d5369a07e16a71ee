// Public API of placement: hosts x tier demands x policy -> plan (filters, weighers, anti-affinity), plus the
// capacity arithmetic the hosts API shows. Pure; see README.md.
export * from './placement-types';
export { planPlacement } from './plan-placement';
export { applyPlacement } from './apply-placement';
export {
  allocatableCapacity,
  CAPACITY_EPSILON,
  freeCapacity,
  hostOvercommit,
  hostUsage,
  usedCapacity,
  veeDemand,
  type HostUsage,
} from './host-capacity';
