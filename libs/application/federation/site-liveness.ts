/**
 * Which peer sites are alive: this site broadcasts a Heartbeat every interval, feeds the peers' heartbeats to the
 * pure failure detector (libs/domain/federation/liveness) and ticks it, publishes every state change on
 * `federation.events` and tells the listeners (contracts of a dead peer break). `GET /v1/sites` reads `sites()`.
 */
import { type Envelope, BROADCAST } from '@reservoir/domain/federation/protocol/envelope';
import { FEDERATION_EVENTS_TOPIC } from '@reservoir/domain/federation/protocol/topics';
import {
  type LivenessSettings, type LivenessTransition, type PeerLiveness, observeHeartbeat, siteView, tick, watchPeer,
} from '@reservoir/domain/federation/liveness';
import { type Clock } from '@reservoir/domain/ports/clock.port';
import { type EventBus } from '@reservoir/domain/ports/event-bus.port';
import { type OutboundMessages } from './outbound';

export interface SiteView {
  id: string;
  state: 'alive' | 'suspect' | 'dead';
  lastHeartbeatAt: string | null;
}

/** What `federation.events` carries for a liveness change. */
export interface SiteStateChanged {
  type: 'SiteStateChanged';
  observer: string;
  site: string;
  from: string;
  to: string;
  reason: string;
  at: string;
}

export interface SiteLivenessDeps {
  siteId: string;
  /** The other sites of the federation. */
  peers: readonly string[];
  outbound: Pick<OutboundMessages, 'send'>;
  bus: EventBus;
  clock: Clock;
  settings: LivenessSettings;
  /** Random per process start: peers tell a restart from a replayed old beat. */
  incarnation: string;
  log: (line: string) => void;
  /** Free capacity to advertise in each beat (informative). */
  free?: () => Promise<{ vcpu: number; memoryMiB: number; diskGiB: number } | undefined>;
}

export type LivenessListener = (transition: LivenessTransition) => Promise<void> | void;

export class SiteLivenessMonitor {
  private readonly peers = new Map<string, PeerLiveness>();
  private readonly listeners: LivenessListener[] = [];
  private seq = 0;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> = Promise.resolve();

  constructor(private readonly d: SiteLivenessDeps) {
    const now = d.clock.now();
    for (const site of d.peers) if (site !== d.siteId) this.peers.set(site, watchPeer(site, now));
  }

  onTransition(listener: LivenessListener): void {
    this.listeners.push(listener);
  }

  /** Beats and checks every interval until `stop`; the first beat goes out at once. */
  start(): void {
    if (this.timer) return;
    const round = () => {
      this.running = this.running.then(() => this.round()).catch((err: unknown) => this.d.log(`liveness: ${String(err)}`));
    };
    round();
    this.timer = setInterval(round, this.d.settings.heartbeatIntervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /**
   * One heartbeat out and one silence check (the timer's work; tests call it directly). The check runs even when
   * the beat cannot be sent, so a bus outage here never stops this site from noticing that peers went silent;
   * the beat's error is thrown afterwards.
   */
  async round(): Promise<void> {
    let failed: { error: unknown } | undefined;
    await this.beat().catch((error: unknown) => {
      failed = { error };
    });
    await this.check();
    if (failed) throw failed.error;
  }

  async beat(): Promise<void> {
    this.seq += 1;
    const free = await this.d.free?.().catch(() => undefined);
    await this.d.outbound.send('Heartbeat', BROADCAST, { seq: this.seq, incarnation: this.d.incarnation, ...(free ? { free } : {}) });
  }

  async check(): Promise<void> {
    const now = this.d.clock.now();
    for (const [site, peer] of this.peers) {
      const step = tick(peer, now, this.d.settings);
      this.peers.set(site, step.peer);
      for (const t of step.transitions) await this.announce(t);
    }
  }

  /** A verified Heartbeat from a peer (the inbound gate already checked signature, window and replay). */
  async onHeartbeat(envelope: Envelope<'Heartbeat'>): Promise<void> {
    const peer = this.peers.get(envelope.from);
    if (!peer) return; // a federation member this site does not watch (itself): nothing to track
    const step = observeHeartbeat(peer, { at: this.d.clock.now(), seq: envelope.body.seq, incarnation: envelope.body.incarnation }, this.d.settings);
    this.peers.set(envelope.from, step.peer);
    for (const t of step.transitions) await this.announce(t);
  }

  state(site: string): 'alive' | 'suspect' | 'dead' | undefined {
    return this.peers.get(site)?.state;
  }

  /** Peers believed alive now: the only ones asked for capacity. */
  alivePeers(): string[] {
    return [...this.peers.values()].filter((p) => p.state === 'alive').map((p) => p.site).sort();
  }

  sites(): SiteView[] {
    return [...this.peers.values()]
      .map(siteView)
      .map((v) => ({ id: v.id, state: v.state, lastHeartbeatAt: v.lastHeartbeatAt?.toISOString() ?? null }))
      .sort((a, b) => a.id.localeCompare(b.id));
  }

  private async announce(t: LivenessTransition): Promise<void> {
    this.d.log(`federation: site ${t.site} ${t.from} → ${t.to} (${t.reason})`);
    const event: SiteStateChanged = { type: 'SiteStateChanged', observer: this.d.siteId, site: t.site, from: t.from, to: t.to, reason: t.reason, at: t.at.toISOString() };
    await this.d.bus.publish({ topic: FEDERATION_EVENTS_TOPIC, key: t.site, value: JSON.stringify(event) }).catch((err: unknown) => {
      this.d.log(`federation: could not publish the state change of ${t.site}: ${String(err)}`);
    });
    for (const listener of this.listeners) {
      try {
        await listener(t);
      } catch (err) {
        this.d.log(`federation: a listener failed on ${t.site} → ${t.to}: ${String(err)}`);
      }
    }
  }
}
