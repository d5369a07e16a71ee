// Public API of liveness: the heartbeat failure detector with hysteresis (alive | suspect | dead per peer site).
// Pure, in virtual time; see README.md.
export { DEFAULT_LIVENESS_SETTINGS, resolveLivenessSettings, suspectAfterMs, type LivenessSettings } from './liveness-settings';
export {
  siteView,
  tick,
  tickAll,
  watchPeer,
  type LivenessStep,
  type LivenessTransition,
  type PeerLiveness,
  type SiteLiveness,
  type SiteView,
} from './peer-liveness';
export { observeHeartbeat, type ObserveStep, type ObservedBeat } from './observe-heartbeat';
