// The protocol side of bench/negotiation.ts: N sites in this process, each its own Kafka client (KafkaEventBus),
// assembled from the real federation pieces (OutboundMessages, InboundGate with Ajv schemas, Ed25519 and a
// MemorySeenMessages replay store, CapacityProvider, ReplicaNegotiator), in-memory stores for contracts, hosts and
// VEEs. Site 0 is the consumer (primary) of every round; sites 1..N-1 are providers.
//
// A round: ReplicaNegotiator.ensureReplicas(service) broadcasts the CFP on rsrs.broadcast; every provider's
// CapacityProvider reserves and answers an Offer to rsrs.<site0>; as soon as the (N-1)th offer has passed site 0's
// gate, close(cfpId) ranks them, awards the best `replicas` and rejects the rest (their inboxes); each awarded
// provider answers ContractConfirm. Latency = just before ensureReplicas → the last ContractConfirm handled by
// the negotiator. The round is settled once every provider has handled its Award or Reject too; then the
// contract stores are emptied so every round starts from the same state.
import { randomUUID } from 'node:crypto';
import { type AjvMessageValidator } from '@reservoir/adapters/federation/ajv-message-validator';
import { Ed25519Verifier } from '@reservoir/adapters/federation/ed25519';
import { MemorySeenMessages } from '@reservoir/adapters/federation/memory-seen-messages';
import { TestFederation } from '@reservoir/adapters/federation/test-federation';
import { KafkaEventBus } from '@reservoir/adapters/kafka/kafka-event-bus';
import { CapacityProvider } from '@reservoir/application/federation/capacity-provider';
import { type GateOutcome, InboundGate } from '@reservoir/application/federation/inbound-gate';
import { OutboundMessages } from '@reservoir/application/federation/outbound';
import { ReplicaNegotiator } from '@reservoir/application/federation/replica-negotiator';
import { BROADCAST, type Envelope, type MessageType } from '@reservoir/domain/federation/protocol/envelope';
import { inboxTopic, RSRS_BROADCAST_TOPIC } from '@reservoir/domain/federation/protocol/topics';
import { type Clock, type IdGenerator } from '@reservoir/domain/ports/clock.port';
import { type BusMessage } from '@reservoir/domain/ports/event-bus.port';
import { type ServiceRecord } from '@reservoir/domain/service/service-record';
import { webShopDefinition } from '@reservoir/testing/deploy-builders';
import { InMemoryHostStore, InMemoryVeeStore } from '@reservoir/testing/fakes-deploy';
import { FakeContractStore } from '@reservoir/testing/fakes-federation';
import { Signal, until, within } from './negotiation-util';

export const systemClock: Clock = { now: () => new Date() };
export const uuids: IdGenerator = { next: () => randomUUID() };

/** Negotiation settings of every site: the CFP deadline is far enough ahead that rounds always close early. */
const CFP_WINDOW_MS = 30_000;
const CONTRACT_MS = 3_600_000;
const HOSTS_PER_SITE = 4;

export interface ProtocolOptions {
  /** Site id prefix, unique per run and size (site ids `<prefix>-s0` …). */
  prefix: string;
  sites: number;
  replicas: number;
  brokers: string[];
  partitions: number;
  schema: AjvMessageValidator;
}

export type RoundResult = { ok: true; ms: number } | { ok: false; why: string };

interface OpenRound {
  serviceId: string;
  t0: number;
  tEnd: number;
  offers: number;
  decided: number;
  confirms: number;
  confirmed: Signal;
  settled: Signal;
}

class ProtocolSite {
  readonly bus: KafkaEventBus;
  readonly outbound: OutboundMessages;
  readonly gate: InboundGate;
  readonly provider: CapacityProvider;
  readonly negotiator: ReplicaNegotiator;
  readonly contracts = new FakeContractStore();
  readonly hosts = new InMemoryHostStore();
  readonly probed = { inbox: false, broadcast: false };
  private seq = 0;

  constructor(
    readonly id: string,
    readonly index: number,
    private readonly fed: ProtocolFederation,
    keys: TestFederation,
  ) {
    const o = fed.options;
    this.bus = new KafkaEventBus({ clientId: `bench-${id}`, brokers: o.brokers, partitions: o.partitions, replicationFactor: 1 });
    const log = (line: string) => fed.note(id, line);
    this.outbound = new OutboundMessages({ siteId: id, signer: keys.signer(id), clock: systemClock, ids: uuids, bus: this.bus, schema: o.schema });
    this.gate = new InboundGate(
      { siteId: id, peers: keys.peers, schema: o.schema, verifier: new Ed25519Verifier(), seen: new MemorySeenMessages(), clock: systemClock, bus: this.bus, log },
      (envelope, message) => this.dispatch(envelope, message),
    );
    const peers = fed.siteIds.filter((s) => s !== id);
    this.provider = new CapacityProvider({
      siteId: id, contracts: this.contracts, hosts: this.hosts, vees: new InMemoryVeeStore(), services: { get: async () => undefined },
      outbound: this.outbound, clock: systemClock, ids: uuids,
      // Site i is a little dearer than site i-1: the ranking (and so the award) is the same every round.
      priceList: { vcpuHour: 0.02 + 0.001 * index, memoryGiBHour: 0.005, diskGiBHour: 0.0001, currency: 'EUR' },
      submitReplica: async () => {
        throw new Error('the benchmark ships no replicas');
      },
      deleteService: async () => undefined,
      peerAlive: () => true,
      log,
    });
    this.negotiator = new ReplicaNegotiator({
      siteId: id, contracts: this.contracts,
      // No service found at ContractConfirm: the negotiator stops there instead of sending ReplicaShip, which is
      // the next flow (replica shipping), not part of the negotiation round measured here.
      services: { get: async () => undefined },
      outbound: this.outbound, clock: systemClock,
      settings: { cfpWindowMs: CFP_WINDOW_MS, contractDurationMs: CONTRACT_MS, policy: { currency: 'EUR' } },
      alivePeers: () => peers,
      log,
    });
  }

  async start(): Promise<void> {
    const now = new Date();
    for (let h = 0; h < HOSTS_PER_SITE; h += 1) {
      await this.hosts.create({
        id: randomUUID(), name: `h${h}`, uri: `sim://h${h}?vcpu=64&memory-mib=262144&disk-gib=4000`, failureDomain: `rack${h}`, labels: {},
        overcommit: { cpu: 4, memory: 1 }, capacity: { vcpu: 64, memoryMiB: 262_144, diskGiB: 4000 }, features: { bandwidthQoS: { enforced: true } },
        health: 'up', createdAt: now, updatedAt: now,
      });
    }
    // What InboundGate.subscribe() does, with the outcome counted (same topics and consumer groups).
    const handler = async (message: BusMessage): Promise<void> => this.fed.outcome(this, message, await this.gate.receive(message));
    await this.bus.subscribe(inboxTopic(this.id), `reservoir-${this.id}-rsrs-inbox`, handler);
    await this.bus.subscribe(RSRS_BROADCAST_TOPIC, `reservoir-${this.id}-rsrs-broadcast`, handler);
  }

  /** A Heartbeat to `to` (a site's inbox, or `*`): the probe that shows consumers have joined. */
  async beat(to: string): Promise<void> {
    this.seq += 1;
    await this.outbound.send('Heartbeat', to, { seq: this.seq, incarnation: this.fed.options.prefix });
  }

  clearContracts(): void {
    this.contracts.contracts.clear();
    this.contracts.histories.length = 0;
  }

  private async dispatch(envelope: Envelope, message: BusMessage): Promise<void> {
    const fed = this.fed;
    fed.sizes.set(envelope.type, Buffer.byteLength(message.value, 'utf8'));
    switch (envelope.type) {
      case 'Heartbeat':
        this.probed[message.topic === RSRS_BROADCAST_TOPIC ? 'broadcast' : 'inbox'] = true;
        return;
      case 'CallForProposals':
        return this.provider.onCallForProposals(envelope as Envelope<'CallForProposals'>);
      case 'Offer':
        await this.negotiator.onOffer(envelope as Envelope<'Offer'>);
        fed.offerIn(this, envelope as Envelope<'Offer'>);
        return;
      case 'Award':
        await this.provider.onAward(envelope as Envelope<'Award'>);
        fed.decisionIn((envelope as Envelope<'Award'>).body.serviceId);
        return;
      case 'Reject':
        await this.provider.onReject(envelope as Envelope<'Reject'>);
        fed.decisionIn((envelope as Envelope<'Reject'>).body.serviceId);
        return;
      case 'ContractConfirm':
        await this.negotiator.onContractConfirm(envelope as Envelope<'ContractConfirm'>);
        fed.confirmIn((envelope as Envelope<'ContractConfirm'>).body.serviceId);
        return;
      default:
        fed.note(this.id, `unexpected ${envelope.type} ${envelope.id} from ${envelope.from}`);
    }
  }
}

export class ProtocolFederation {
  readonly siteIds: string[];
  readonly sites: ProtocolSite[];
  /** Bytes of the last message of each type that passed a gate (the raw baseline's message sizes). */
  readonly sizes = new Map<MessageType, number>();
  /** Gate outcomes other than dispatched, by reason, and the log lines worth a look. */
  readonly refusals = new Map<string, number>();
  readonly notes: string[] = [];
  private readonly rounds = new Map<string, OpenRound>();
  private serial = 0;

  constructor(readonly options: ProtocolOptions) {
    this.siteIds = Array.from({ length: options.sites }, (_, i) => `${options.prefix}-s${i}`);
    const keys = new TestFederation(this.siteIds);
    this.sites = this.siteIds.map((id, i) => new ProtocolSite(id, i, this, keys));
  }

  get consumer(): ProtocolSite {
    return this.sites[0] as ProtocolSite;
  }

  /** The topics and consumer groups this federation made, for clean-up (rsrs.broadcast is shared and stays). */
  get owned(): { topics: string[]; groups: string[] } {
    return {
      topics: this.siteIds.map(inboxTopic),
      groups: this.siteIds.flatMap((id) => [`reservoir-${id}-rsrs-inbox`, `reservoir-${id}-rsrs-broadcast`]),
    };
  }

  /** Message legs of one round: CFP to each provider, their offers, award/reject each, the confirms. */
  get legs(): number {
    return 3 * (this.options.sites - 1) + this.options.replicas;
  }

  async start(): Promise<void> {
    await this.consumer.bus.ensureTopics([RSRS_BROADCAST_TOPIC, ...this.siteIds.map(inboxTopic)]);
    for (const site of this.sites) await site.start();
  }

  /**
   * Waits until every site's inbox and broadcast consumers have joined their groups and read from the end:
   * site 0 broadcasts heartbeats, site 1 sends one to every other inbox and site 0 one to site 1's, repeated
   * until each consumer has seen one (a group that has not joined yet misses what is sent before).
   */
  async waitUntilJoined(timeoutMs: number): Promise<void> {
    const [first, second] = this.sites as [ProtocolSite, ProtocolSite];
    await until(`all ${this.sites.length * 2} protocol consumers joined`, () => this.sites.every((s) => s.probed.inbox && s.probed.broadcast), timeoutMs, async () => {
      if (this.sites.some((s) => !s.probed.broadcast)) await first.beat(BROADCAST);
      for (const s of this.sites) if (!s.probed.inbox) await (s === second ? first : second).beat(s.id);
    }, 500);
  }

  /** One negotiation round; `timeoutMs` for it to confirm and again to settle. */
  async round(timeoutMs: number): Promise<RoundResult> {
    this.serial += 1;
    const name = `bench-${this.serial}`;
    const now = new Date();
    const definition = webShopDefinition(name);
    const service: ServiceRecord = {
      id: randomUUID(), siteId: this.consumer.id, name, phase: 'running', definition: { ...definition, qos: { ...definition.qos, replicas: this.options.replicas } },
      manifest: new Uint8Array(), createdAt: now, updatedAt: now,
    };
    const round: OpenRound = { serviceId: service.id, t0: 0, tEnd: 0, offers: 0, decided: 0, confirms: 0, confirmed: new Signal(), settled: new Signal() };
    this.rounds.set(service.id, round);
    try {
      round.t0 = performance.now();
      await this.consumer.negotiator.ensureReplicas(service);
      if (!(await within(round.confirmed, timeoutMs))) return { ok: false, why: this.describe(round) };
      if (!(await within(round.settled, timeoutMs))) return { ok: false, why: this.describe(round) };
      const wrong = this.contractsWrong();
      return wrong ? { ok: false, why: wrong } : { ok: true, ms: round.tEnd - round.t0 };
    } finally {
      this.rounds.delete(service.id);
      for (const s of this.sites) s.clearContracts();
    }
  }

  async close(): Promise<void> {
    for (const s of this.sites) s.negotiator.stop();
    await Promise.allSettled(this.sites.map((s) => s.bus.close()));
  }

  // ---- called by the sites' dispatchers

  offerIn(site: ProtocolSite, offer: Envelope<'Offer'>): void {
    const round = this.rounds.get(offer.body.serviceId);
    if (!round || site !== this.consumer) return;
    round.offers += 1;
    // All offers are in: close now rather than at the deadline. Not awaited, so this handler returns and the
    // inbox consumer goes on (the confirms arrive on the same partition while close() still sends).
    if (round.offers === this.options.sites - 1) {
      this.consumer.negotiator.close(offer.correlationId).catch((err: unknown) => this.note(site.id, `close failed: ${String(err)}`));
    }
  }

  decisionIn(serviceId: string): void {
    const round = this.rounds.get(serviceId);
    if (!round) return;
    round.decided += 1;
    this.checkSettled(round);
  }

  confirmIn(serviceId: string): void {
    const round = this.rounds.get(serviceId);
    if (!round) return;
    round.confirms += 1;
    if (round.confirms === this.options.replicas) {
      round.tEnd = performance.now();
      round.confirmed.resolve();
    }
    this.checkSettled(round);
  }

  outcome(site: ProtocolSite, message: BusMessage, outcome: GateOutcome): void {
    if (outcome.status === 'dispatched') return;
    if (outcome.status === 'ignored') {
      if (message.topic === RSRS_BROADCAST_TOPIC) site.probed.broadcast = true;
      return;
    }
    // E.g. another user's messages on the shared rsrs.broadcast topic ('unknown-sender').
    this.refusals.set(outcome.reason, (this.refusals.get(outcome.reason) ?? 0) + 1);
  }

  note(site: string, line: string): void {
    if (/^rsrs: CFP /.test(line)) return; // one per round, expected
    if (this.notes.length < 1000) this.notes.push(`${site}: ${line}`);
  }

  private checkSettled(round: OpenRound): void {
    if (round.confirms >= this.options.replicas && round.decided >= this.options.sites - 1) round.settled.resolve();
  }

  /** After a settled round: `replicas` active contracts on each side, the other offers released; else why not. */
  private contractsWrong(): string | undefined {
    const phases = (sites: ProtocolSite[], phase: string) => sites.flatMap((s) => [...s.contracts.contracts.values()]).filter((c) => c.phase === phase).length;
    const providers = this.sites.slice(1);
    const want = { consumerActive: this.options.replicas, providerActive: this.options.replicas, providerReleased: this.options.sites - 1 - this.options.replicas };
    const got = { consumerActive: phases([this.consumer], 'active'), providerActive: phases(providers, 'active'), providerReleased: phases(providers, 'released') };
    const same = (Object.keys(want) as (keyof typeof want)[]).every((k) => want[k] === got[k]);
    return same ? undefined : `contracts after the round: ${JSON.stringify(got)}, expected ${JSON.stringify(want)}`;
  }

  private describe(r: OpenRound): string {
    const n = this.options.sites - 1;
    return `offers ${r.offers}/${n}, awards+rejects handled ${r.decided}/${n}, confirms ${r.confirms}/${this.options.replicas}`;
  }
}
