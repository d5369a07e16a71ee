import { DomainError } from '../../shared/domain-error';
import { DEFAULT_LIVENESS_SETTINGS, resolveLivenessSettings, type LivenessSettings } from './liveness-settings';
import { observeHeartbeat } from './observe-heartbeat';
import { siteView, tick, tickAll, watchPeer, type PeerLiveness, type SiteLiveness } from './peer-liveness';

const S = DEFAULT_LIVENESS_SETTINGS;
const T0 = Date.parse('2025-01-01T00:00:00.000Z');
const at = (ms: number): Date => new Date(T0 + ms);

/** Feeds beats at the given offsets (ms), seq 1.., incarnation 'i1'. */
function beats(peer: PeerLiveness, offsets: number[], settings: LivenessSettings = S, incarnation = 'i1'): PeerLiveness {
  let p = peer;
  for (const ms of offsets) p = observeHeartbeat(p, { at: at(ms), seq: p.incarnation === incarnation ? p.seq + 1 : 1, incarnation }, settings).peer;
  return p;
}

function alivePeer(): PeerLiveness {
  const p = beats(watchPeer('b', at(0)), [0, 1000, 2000]);
  expect(p.state).toBe('alive');
  return p;
}

describe('watchPeer and siteView', () => {
  it('starts a never-heard-from peer as suspect with no heartbeat', () => {
    const p = watchPeer('b', at(0));
    expect(siteView(p)).toEqual({ id: 'b', state: 'suspect', lastHeartbeatAt: null });
  });

  it('shows the receive time of the last accepted beat', () => {
    expect(siteView(alivePeer())).toEqual({ id: 'b', state: 'alive', lastHeartbeatAt: at(2000) });
  });
});

describe('tick (silence check)', () => {
  const table: [string, SiteLiveness, number, SiteLiveness][] = [
    // [case, state at last beat t=2000, check time, expected state]
    ['alive, 2.9 s silent', 'alive', 4900, 'alive'],
    ['alive, 3 s silent (k beats missed)', 'alive', 5000, 'suspect'],
    ['alive, 9.9 s silent', 'alive', 11_900, 'suspect'],
    ['alive, 10 s silent: straight to dead', 'alive', 12_000, 'dead'],
  ];
  it.each(table)('%s', (_label, _from, checkAt, expected) => {
    expect(tick(alivePeer(), at(checkAt), S).peer.state).toBe(expected);
  });

  it('moves alive → suspect → dead with one transition each, reasons naming the silence', () => {
    const first = tick(alivePeer(), at(5000), S);
    expect(first.transitions).toEqual([{ site: 'b', from: 'alive', to: 'suspect', at: at(5000), reason: 'no heartbeat for 3.0 s (3 beats missed)' }]);
    const second = tick(first.peer, at(12_000), S);
    expect(second.transitions).toEqual([{ site: 'b', from: 'suspect', to: 'dead', at: at(12_000), reason: 'no heartbeat for 10.0 s (10 beats missed)' }]);
    expect(tick(second.peer, at(60_000), S).transitions).toEqual([]);
  });

  it('declares a never-heard-from peer dead after deadAfterMs from when watching began', () => {
    const p = watchPeer('c', at(0));
    expect(tick(p, at(9999), S).transitions).toEqual([]);
    expect(tick(p, at(10_000), S).transitions).toEqual([
      { site: 'c', from: 'suspect', to: 'dead', at: at(10_000), reason: 'no heartbeat since watching began 10.0 s ago' },
    ]);
  });

  it('honours configured timings', () => {
    const s = resolveLivenessSettings({ heartbeatIntervalMs: 500, suspectAfterMissed: 2, deadAfterMs: 2000 });
    const p = beats(watchPeer('b', at(0)), [0, 500, 1000], s);
    expect(p.state).toBe('alive');
    expect(tick(p, at(1999), s).peer.state).toBe('alive');
    expect(tick(p, at(2000), s).peer.state).toBe('suspect');
    expect(tick(p, at(3000), s).peer.state).toBe('dead');
  });

  it('tickAll ticks every peer and gathers transitions in order', () => {
    const r = tickAll([alivePeer(), watchPeer('c', at(0))], at(10_500), S);
    expect(r.peers.map((p) => p.state)).toEqual(['suspect', 'dead']);
    expect(r.transitions.map((t) => `${t.site}:${t.from}->${t.to}`)).toEqual(['b:alive->suspect', 'c:suspect->dead']);
  });
});

describe('observeHeartbeat (hysteresis)', () => {
  it('needs m good beats to trust a new peer, and says so', () => {
    let p = watchPeer('b', at(0));
    const r1 = observeHeartbeat(p, { at: at(100), seq: 1, incarnation: 'i1' }, S);
    const r2 = observeHeartbeat((p = r1.peer), { at: at(1100), seq: 2, incarnation: 'i1' }, S);
    const r3 = observeHeartbeat((p = r2.peer), { at: at(2100), seq: 3, incarnation: 'i1' }, S);
    expect([r1, r2, r3].map((r) => [r.peer.state, r.peer.goodBeats])).toEqual([['suspect', 1], ['suspect', 2], ['alive', 0]]);
    expect(r3.transitions).toEqual([{ site: 'b', from: 'suspect', to: 'alive', at: at(2100), reason: '3 good heartbeats in a row' }]);
  });

  const recovery: [string, number[], SiteLiveness][] = [
    // dead peer (last beat 2000, dead at 12 000) beating again at these offsets
    ['three on-time beats', [20_000, 21_000, 22_000], 'alive'],
    ['two beats are not enough', [20_000, 21_000], 'dead'],
    ['a late beat restarts the run', [20_000, 21_000, 22_600, 23_600], 'dead'],
    ['... and the run completes after it', [20_000, 21_000, 22_600, 23_600, 24_600], 'alive'],
    ['jitter within the window', [20_000, 21_400, 22_000], 'alive'],
    ['a backlog delivered at once is one beat', [20_000, 20_001, 20_002, 20_003, 20_004], 'dead'],
    ['backlog then on-time beats', [20_000, 20_001, 20_002, 21_000, 22_000], 'alive'],
  ];
  it.each(recovery)('dead peer: %s', (_label, offsets, expected) => {
    const dead = tick(alivePeer(), at(12_000), S).peer;
    expect(beats(dead, offsets).state).toBe(expected);
  });

  it('also needs m good beats to clear a suspicion', () => {
    const suspect = tick(alivePeer(), at(5000), S).peer;
    expect(beats(suspect, [5500]).state).toBe('suspect');
    expect(beats(suspect, [5500, 6500]).state).toBe('suspect');
    expect(beats(suspect, [5500, 6500, 7500]).state).toBe('alive');
  });

  it('runs the silence check at the beat time first, whatever the tick cadence', () => {
    const r = observeHeartbeat(alivePeer(), { at: at(15_000), seq: 4, incarnation: 'i1' }, S);
    expect(r.transitions.map((t) => t.to)).toEqual(['dead']);
    expect(r.peer).toMatchObject({ state: 'dead', goodBeats: 1, lastHeartbeatAt: at(15_000) });
  });

  it('keeps an alive peer alive through a late beat', () => {
    const r = observeHeartbeat(alivePeer(), { at: at(4500), seq: 4, incarnation: 'i1' }, S);
    expect(r).toMatchObject({ accepted: true, transitions: [], peer: { state: 'alive' } });
  });

  const ignored: [string, { seq: number; incarnation: string; ms: number }, string][] = [
    ['a duplicate seq', { seq: 3, incarnation: 'i1', ms: 2500 }, 'seq 3 is not above 3 (duplicate or out of order)'],
    ['an older seq', { seq: 1, incarnation: 'i1', ms: 2500 }, 'seq 1 is not above 3 (duplicate or out of order)'],
    ['a beat received before the last one', { seq: 9, incarnation: 'i1', ms: 1500 }, 'received before the last accepted heartbeat'],
  ];
  it.each(ignored)('ignores %s', (_label, b, reason) => {
    const p = alivePeer();
    const r = observeHeartbeat(p, { at: at(b.ms), seq: b.seq, incarnation: b.incarnation }, S);
    expect(r).toEqual({ peer: p, transitions: [], accepted: false, ignored: reason, restarted: false });
  });

  it('accepts a restart (new incarnation, seq from 1) and then ignores the old incarnation', () => {
    const p = alivePeer();
    const r = observeHeartbeat(p, { at: at(3000), seq: 1, incarnation: 'i2' }, S);
    expect(r).toMatchObject({ accepted: true, restarted: true, peer: { state: 'alive', incarnation: 'i2', previousIncarnation: 'i1', seq: 1 } });
    const late = observeHeartbeat(r.peer, { at: at(3100), seq: 4, incarnation: 'i1' }, S);
    expect(late).toMatchObject({ accepted: false, ignored: 'late heartbeat of replaced incarnation i1' });
  });

  it('does not count a restart as a first beat', () => {
    const r = observeHeartbeat(watchPeer('b', at(0)), { at: at(10), seq: 7, incarnation: 'i9' }, S);
    expect(r).toMatchObject({ accepted: true, restarted: false, peer: { seq: 7, goodBeats: 1 } });
  });

  it('never mutates its input', () => {
    const p = alivePeer();
    const copy = structuredClone(p);
    observeHeartbeat(p, { at: at(20_000), seq: 9, incarnation: 'i2' }, S);
    tick(p, at(30_000), S);
    expect(p).toEqual(copy);
  });
});

describe('resolveLivenessSettings', () => {
  it('fills defaults and keeps what is set', () => {
    expect(resolveLivenessSettings()).toEqual(S);
    expect(resolveLivenessSettings({ aliveAfterGoodBeats: 5, deadAfterMs: undefined })).toEqual({ ...S, aliveAfterGoodBeats: 5 });
  });

  const bad: [Partial<LivenessSettings>, string[]][] = [
    [{ heartbeatIntervalMs: 0 }, ['heartbeatIntervalMs']],
    [{ suspectAfterMissed: 1.5 }, ['suspectAfterMissed']],
    [{ aliveAfterGoodBeats: 0 }, ['aliveAfterGoodBeats']],
    [{ deadAfterMs: 3000 }, ['deadAfterMs']],
    [{ goodGapMin: 2, goodGapMax: 1.5 }, ['goodGapMax']],
    [{ goodGapMax: 0.9, goodGapMin: 0.5 }, ['goodGapMax']],
    [{ heartbeatIntervalMs: Number.NaN, aliveAfterGoodBeats: -1 }, ['heartbeatIntervalMs', 'aliveAfterGoodBeats', 'deadAfterMs']],
  ];
  it.each(bad)('refuses %j, listing every bad field', (partial, paths) => {
    try {
      resolveLivenessSettings(partial);
      throw new Error('expected a refusal');
    } catch (e) {
      expect(e).toBeInstanceOf(DomainError);
      expect((e as DomainError).code).toBe('invalid-input');
      expect((e as DomainError).details.map((d) => d.path)).toEqual(paths);
    }
  });
});
