/**
 * What this site knows about one peer's liveness, and the silence check (`tick`). Plain data: the application
 * keeps one value per configured peer, feeds it heartbeats (`observeHeartbeat`) and clock ticks, and acts on
 * the transitions returned (a `dead` peer's contracts become broken). Times are inputs; nothing reads a clock.
 */
import { type LivenessSettings, suspectAfterMs } from './liveness-settings';

/** The states `GET /v1/sites` shows. */
export type SiteLiveness = 'alive' | 'suspect' | 'dead';

export interface PeerLiveness {
  site: string;
  state: SiteLiveness;
  /** When this broker started watching the peer: silence of a peer never heard from counts from here. */
  watchingSince: Date;
  /** The last state change (or `watchingSince`). */
  changedAt: Date;
  /** Receive time (local clock) of the last accepted beat; null until one arrives. */
  lastHeartbeatAt: Date | null;
  /** The sender process of the last accepted beat, and the one it replaced (its late beats are ignored). */
  incarnation: string | null;
  previousIncarnation: string | null;
  /** Highest accepted `seq` of `incarnation`; 0 before any. */
  seq: number;
  /** Good beats in a row since the peer last left `alive`; it returns to `alive` at `aliveAfterGoodBeats`. */
  goodBeats: number;
}

/** One state change, for the log, `federation.events` and the use cases that react to it. */
export interface LivenessTransition {
  site: string;
  from: SiteLiveness;
  to: SiteLiveness;
  at: Date;
  reason: string;
}

export interface LivenessStep {
  peer: PeerLiveness;
  transitions: LivenessTransition[];
}

/**
 * A configured peer this broker has not heard from yet starts `suspect`: not trusted with new work (no CFPs,
 * no awards) but not `dead` either, so a broker restart never breaks every contract before the first beats
 * arrive. It goes `dead` after `deadAfterMs` of silence counted from `now`, like any silent peer.
 */
export function watchPeer(site: string, now: Date): PeerLiveness {
  return {
    site,
    state: 'suspect',
    watchingSince: now,
    changedAt: now,
    lastHeartbeatAt: null,
    incarnation: null,
    previousIncarnation: null,
    seq: 0,
    goodBeats: 0,
  };
}

/**
 * The silence check, run by the application every check period (a fraction of the heartbeat interval) and
 * before each heartbeat is applied: silence ≥ deadAfterMs → `dead` (straight from `alive` when checks were
 * sparse: one transition, not two); silence ≥ interval × suspectAfterMissed → `suspect` from `alive`.
 * Leaving `alive` clears the good-beat run, so every return to `alive` takes m fresh beats.
 */
export function tick(peer: PeerLiveness, now: Date, settings: LivenessSettings): LivenessStep {
  const since = peer.lastHeartbeatAt ?? peer.watchingSince;
  const silenceMs = now.getTime() - since.getTime();
  if (peer.state !== 'dead' && silenceMs >= settings.deadAfterMs) {
    return move(peer, 'dead', now, silenceReason(peer, silenceMs, settings));
  }
  if (peer.state === 'alive' && silenceMs >= suspectAfterMs(settings)) {
    return move(peer, 'suspect', now, silenceReason(peer, silenceMs, settings));
  }
  return { peer, transitions: [] };
}

/** Ticks every peer; transitions in input order. */
export function tickAll(peers: readonly PeerLiveness[], now: Date, settings: LivenessSettings): { peers: PeerLiveness[]; transitions: LivenessTransition[] } {
  const transitions: LivenessTransition[] = [];
  const next = peers.map((p) => {
    const step = tick(p, now, settings);
    transitions.push(...step.transitions);
    return step.peer;
  });
  return { peers: next, transitions };
}

/** The peer as `GET /v1/sites` lists it. */
export interface SiteView {
  id: string;
  state: SiteLiveness;
  lastHeartbeatAt: Date | null;
}

export function siteView(peer: PeerLiveness): SiteView {
  return { id: peer.site, state: peer.state, lastHeartbeatAt: peer.lastHeartbeatAt };
}

/** The peer in state `to`, with the transition that got it there. */
export function move(peer: PeerLiveness, to: SiteLiveness, at: Date, reason: string): LivenessStep {
  const next: PeerLiveness = { ...peer, state: to, changedAt: at, goodBeats: to === 'alive' ? peer.goodBeats : 0 };
  return { peer: next, transitions: [{ site: peer.site, from: peer.state, to, at, reason }] };
}

function silenceReason(peer: PeerLiveness, silenceMs: number, s: LivenessSettings): string {
  const seconds = (silenceMs / 1000).toFixed(1);
  if (peer.lastHeartbeatAt === null) return `no heartbeat since watching began ${seconds} s ago`;
  const missed = Math.floor(silenceMs / s.heartbeatIntervalMs);
  return `no heartbeat for ${seconds} s (${missed} beat${missed === 1 ? '' : 's'} missed)`;
}
