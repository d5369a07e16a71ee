/**
 * Applying one received heartbeat to a peer's liveness. The silence check runs first at the beat's receive
 * time, so the outcome never depends on how often the application ticks.
 */
import { type LivenessSettings } from './liveness-settings';
import { type LivenessStep, move, type PeerLiveness, tick } from './peer-liveness';

/** A heartbeat as received: local receive time, and the sender's `seq` and `incarnation` from its body. */
export interface ObservedBeat {
  at: Date;
  seq: number;
  incarnation: string;
}

export interface ObserveStep extends LivenessStep {
  /** False when the beat was ignored; `ignored` then says why and the peer is only ticked. */
  accepted: boolean;
  ignored?: string;
  /** The beat came from a new sender process (a restart): its `seq` starts again. */
  restarted: boolean;
}

/**
 * Accepts a beat unless it is a duplicate or out of order (`seq` not above the last accepted one of the same
 * incarnation), a late beat of the incarnation just replaced, or received before the last accepted beat.
 * A new incarnation is a restart and is accepted whatever its `seq`.
 *
 * An accepted beat refreshes `lastHeartbeatAt`. While the peer is not `alive` it also extends or restarts the
 * run of good beats: a beat `[goodGapMin, goodGapMax] × interval` after the previous one extends it, a later
 * one starts a new run of one, an earlier one (a burst) neither extends nor breaks it. At
 * `aliveAfterGoodBeats` the peer is `alive` again.
 */
export function observeHeartbeat(peer: PeerLiveness, beat: ObservedBeat, settings: LivenessSettings): ObserveStep {
  const checked = tick(peer, beat.at, settings);
  const current = checked.peer;
  const refusal = whyIgnore(current, beat);
  if (refusal !== undefined) return { ...checked, accepted: false, ignored: refusal, restarted: false };
  const restarted = current.incarnation !== null && beat.incarnation !== current.incarnation;
  const goodBeats = current.state === 'alive' ? 0 : nextRun(current, beat.at, settings);
  const beaten: PeerLiveness = {
    ...current,
    lastHeartbeatAt: beat.at,
    seq: beat.seq,
    incarnation: beat.incarnation,
    previousIncarnation: restarted ? current.incarnation : current.previousIncarnation,
    goodBeats,
  };
  if (beaten.state !== 'alive' && goodBeats >= settings.aliveAfterGoodBeats) {
    const step = move(beaten, 'alive', beat.at, `${goodBeats} good heartbeat${goodBeats === 1 ? '' : 's'} in a row`);
    return { peer: { ...step.peer, goodBeats: 0 }, transitions: [...checked.transitions, ...step.transitions], accepted: true, restarted };
  }
  return { peer: beaten, transitions: checked.transitions, accepted: true, restarted };
}

function whyIgnore(peer: PeerLiveness, beat: ObservedBeat): string | undefined {
  if (peer.lastHeartbeatAt !== null && beat.at.getTime() < peer.lastHeartbeatAt.getTime()) {
    return 'received before the last accepted heartbeat';
  }
  if (beat.incarnation === peer.incarnation && beat.seq <= peer.seq) {
    return `seq ${beat.seq} is not above ${peer.seq} (duplicate or out of order)`;
  }
  if (beat.incarnation === peer.previousIncarnation) return `late heartbeat of replaced incarnation ${beat.incarnation}`;
  return undefined;
}

/** The good-beat run after a beat at `at`, while the peer is not alive. */
function nextRun(peer: PeerLiveness, at: Date, s: LivenessSettings): number {
  if (peer.lastHeartbeatAt === null) return 1;
  const gap = at.getTime() - peer.lastHeartbeatAt.getTime();
  if (gap > s.heartbeatIntervalMs * s.goodGapMax) return 1;
  if (gap < s.heartbeatIntervalMs * s.goodGapMin) return Math.max(peer.goodBeats, 1);
  return peer.goodBeats + 1;
}
