// Public API of deploy: dependency order, domain specs, the deployment plan and one reconcile pass. Pure; see README.md.
export { deploymentOrder, type OrderedTier } from './tier-order';
export { buildDomainSpec, consoleLogPath, domainName, effectiveStorage, segmentName, DOMAIN_PREFIX, type VeeIdentity } from './domain-spec';
export { planDeployment, tierDemand, type DeploymentInput, type DeploymentPlan, type PlacementError, type PlannedVee, type TierStep } from './plan-deployment';
export {
  reconcileSite, SUPERVISED_PHASES, type DesiredVee, type ObservedHost, type ReconcileAction, type ReconcilePass, type VeeCheck,
} from './reconcile-site';
