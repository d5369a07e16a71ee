/** DI tokens for ports and configuration (interfaces have no runtime identity). */
export const BROKER_CONFIG = Symbol('BROKER_CONFIG');
export const SERVICE_STORE = Symbol('SERVICE_STORE');
export const EVENT_BUS = Symbol('EVENT_BUS');
export const DATA_SOURCE = Symbol('DATA_SOURCE');
export const CLOCK = Symbol('CLOCK');
export const ID_GENERATOR = Symbol('ID_GENERATOR');
export const DEPLOY_DEPS = Symbol('DEPLOY_DEPS');
/** The site's FederatedSite, or null for a broker that runs alone. */
export const FEDERATED_SITE = Symbol('FEDERATED_SITE');
/** The site's CheckpointStore (checkpoint records and group cuts). */
export const CHECKPOINT_STORE = Symbol('CHECKPOINT_STORE');
/** The CheckpointRecovery for failover (restore-checkpoint actions): the CheckpointService. */
export const CHECKPOINT_RECOVERY = Symbol('CHECKPOINT_RECOVERY');
/**
 * Optional StandbyInfoProvider (the live-standby service): fills `standby` in a live-standby VEE's JSON. Unbound
 * until that service is wired; the VEE JSON leaves `standby` out meanwhile.
 */
export const STANDBY_INFO = Symbol('STANDBY_INFO');
