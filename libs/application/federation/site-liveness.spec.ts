import { AjvMessageValidator } from '@reservoir/adapters/federation/ajv-message-validator';
import { TestFederation } from '@reservoir/adapters/federation/test-federation';
import { DEFAULT_LIVENESS_SETTINGS, type LivenessTransition } from '@reservoir/domain/federation/liveness';
import { BROADCAST, type Envelope } from '@reservoir/domain/federation/protocol/envelope';
import { FEDERATION_EVENTS_TOPIC } from '@reservoir/domain/federation/protocol/topics';
import { FakeClock, SequentialIds } from '@reservoir/testing/fakes';
import { RecordingBus } from '@reservoir/testing/fakes-federation';
import { OutboundMessages } from './outbound';
import { type SiteLivenessDeps, type SiteStateChanged, SiteLivenessMonitor } from './site-liveness';

const fed = new TestFederation(['site-a', 'site-b', 'site-c']);
const schema = new AjvMessageValidator();
const T0 = new Date('2026-03-02T10:00:00.000Z');
/** Interval 1 s, suspect after 3 missed beats, dead after 10 s, alive after 3 good beats. */
const settings = DEFAULT_LIVENESS_SETTINGS;

describe('SiteLivenessMonitor', () => {
  let clock: FakeClock;
  let bus: RecordingBus;
  let lines: string[];
  let heard: LivenessTransition[];
  let monitor: SiteLivenessMonitor;
  let seq: number;

  const make = (extra: Partial<SiteLivenessDeps> = {}) =>
    new SiteLivenessMonitor({
      siteId: 'site-a',
      peers: ['site-a', 'site-b', 'site-c'],
      outbound: new OutboundMessages({ siteId: 'site-a', signer: fed.signer('site-a'), clock, ids: new SequentialIds(), bus, schema }),
      bus,
      clock,
      settings,
      incarnation: 'inc-a',
      log: (line) => lines.push(line),
      ...extra,
    });
  /** A heartbeat of `from`, sent now. */
  function beat(from: string, beatSeq: number, incarnation = `inc-${from}`): Envelope<'Heartbeat'> {
    seq += 1;
    const id = `beefbeef-0000-4000-8000-${String(seq).padStart(12, '0')}`;
    return fed.message<'Heartbeat'>({ type: 'Heartbeat', from, to: BROADCAST, id, correlationId: id, sentAt: clock.now().toISOString(), body: { seq: beatSeq, incarnation } });
  }
  /** `count` beats of `site`, one per interval. */
  async function steady(site: string, count: number, from = 1): Promise<void> {
    for (let i = 0; i < count; i += 1) {
      clock.advance(settings.heartbeatIntervalMs);
      await monitor.onHeartbeat(beat(site, from + i));
    }
  }
  const events = () => bus.values<SiteStateChanged>(FEDERATION_EVENTS_TOPIC);

  beforeEach(() => {
    clock = new FakeClock(T0);
    bus = new RecordingBus();
    lines = [];
    heard = [];
    seq = 0;
    monitor = make();
    monitor.onTransition((t) => void heard.push(t));
  });

  it('starts every peer (not itself) suspect, never heard from', () => {
    expect(monitor.sites()).toEqual([
      { id: 'site-b', state: 'suspect', lastHeartbeatAt: null },
      { id: 'site-c', state: 'suspect', lastHeartbeatAt: null },
    ]);
    expect(monitor.state('site-a')).toBeUndefined();
    expect(monitor.alivePeers()).toEqual([]);
  });

  it('trusts a peer after m steady heartbeats, and says so on federation.events and to its listeners', async () => {
    await steady('site-b', settings.aliveAfterGoodBeats - 1);
    expect(monitor.state('site-b')).toBe('suspect');
    await steady('site-b', 1, settings.aliveAfterGoodBeats);
    expect(monitor.state('site-b')).toBe('alive');
    expect(monitor.alivePeers()).toEqual(['site-b']);
    const change: SiteStateChanged = {
      type: 'SiteStateChanged', observer: 'site-a', site: 'site-b', from: 'suspect', to: 'alive', reason: '3 good heartbeats in a row', at: '2026-03-02T10:00:03.000Z',
    };
    expect(events()).toEqual([change]);
    expect(bus.published.find((m) => m.topic === FEDERATION_EVENTS_TOPIC)?.key).toBe('site-b');
    expect(heard).toEqual([{ site: 'site-b', from: 'suspect', to: 'alive', reason: change.reason, at: new Date(change.at) }]);
    expect(monitor.sites()).toEqual([
      { id: 'site-b', state: 'alive', lastHeartbeatAt: '2026-03-02T10:00:03.000Z' },
      { id: 'site-c', state: 'suspect', lastHeartbeatAt: null },
    ]);
  });

  it('stays alive under steady heartbeats', async () => {
    await steady('site-b', 20);
    await monitor.check();
    expect(events().filter((e) => e.site === 'site-b').map((e) => e.to)).toEqual(['alive']);
  });

  it('suspects a silent peer after k missed beats, then declares it dead', async () => {
    await steady('site-b', 3);
    const steps: [number, string][] = [];
    for (let t = 1; t <= 10; t += 1) {
      clock.advance(1_000);
      await monitor.check();
      steps.push([t, monitor.state('site-b') as string]);
    }
    expect(steps.filter(([, s]) => s === 'alive').map(([t]) => t)).toEqual([1, 2]);
    expect(steps.find(([, s]) => s === 'dead')?.[0]).toBe(10);
    expect(events().filter((e) => e.site === 'site-b').map((e) => [e.from, e.to, e.at])).toEqual([
      ['suspect', 'alive', '2026-03-02T10:00:03.000Z'],
      ['alive', 'suspect', '2026-03-02T10:00:06.000Z'],
      ['suspect', 'dead', '2026-03-02T10:00:13.000Z'],
    ]);
    expect(heard.filter((t) => t.site === 'site-b').map((t) => t.to)).toEqual(['alive', 'suspect', 'dead']);
    expect(monitor.alivePeers()).toEqual([]);
  });

  it('declares a peer never heard from dead after the dead time since watching began', async () => {
    clock.advance(settings.deadAfterMs);
    await monitor.check();
    expect(monitor.sites().map((s) => s.state)).toEqual(['dead', 'dead']);
    expect(events().map((e) => e.reason)).toEqual(['no heartbeat since watching began 10.0 s ago', 'no heartbeat since watching began 10.0 s ago']);
  });

  it('ignores a repeated or out-of-order beat and its own', async () => {
    clock.advance(1_000);
    await monitor.onHeartbeat(beat('site-b', 5));
    clock.advance(1_000);
    await monitor.onHeartbeat(beat('site-b', 5));
    clock.advance(1_000);
    await monitor.onHeartbeat(beat('site-b', 4));
    await monitor.onHeartbeat(beat('site-a', 1));
    expect(monitor.state('site-b')).toBe('suspect');
    expect(monitor.sites()[0].lastHeartbeatAt).toBe('2026-03-02T10:00:01.000Z');
  });

  it('broadcasts a heartbeat per round, seq growing, with its incarnation and the free capacity when known', async () => {
    monitor = make({ free: async () => ({ vcpu: 8, memoryMiB: 4096, diskGiB: 100 }) });
    await monitor.round();
    await monitor.round();
    const beats = bus.envelopes('Heartbeat');
    expect(beats.map((b) => [b.from, b.to, b.body])).toEqual([
      ['site-a', '*', { seq: 1, incarnation: 'inc-a', free: { vcpu: 8, memoryMiB: 4096, diskGiB: 100 } }],
      ['site-a', '*', { seq: 2, incarnation: 'inc-a', free: { vcpu: 8, memoryMiB: 4096, diskGiB: 100 } }],
    ]);
    expect(bus.published.filter((m) => m.topic === 'rsrs.broadcast')).toHaveLength(2);
  });

  it('beats without `free` when it cannot be read', async () => {
    monitor = make({ free: async () => Promise.reject(new Error('store down')) });
    await monitor.round();
    expect(bus.envelopes('Heartbeat')[0].body).toEqual({ seq: 1, incarnation: 'inc-a' });
  });

  it('still checks for silence when its own beat cannot be sent, then reports the failure', async () => {
    clock.advance(settings.deadAfterMs);
    bus.failWith = new Error('bus down');
    await expect(monitor.round()).rejects.toThrow('bus down');
    expect(monitor.sites().map((s) => s.state)).toEqual(['dead', 'dead']);
    expect(heard.map((t) => t.to)).toEqual(['dead', 'dead']);
    expect(lines.filter((l) => l.includes('could not publish the state change'))).toHaveLength(2);
  });

  it('tells every listener even when one fails', async () => {
    const later: string[] = [];
    monitor.onTransition(() => {
      throw new Error('listener broke');
    });
    monitor.onTransition((t) => void later.push(t.to));
    await steady('site-b', 3);
    expect(later).toEqual(['alive']);
    expect(lines.join('\n')).toContain('a listener failed on site-b → alive: Error: listener broke');
  });
});
