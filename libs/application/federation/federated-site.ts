/**
 * One site's part in the federation, assembled: the inbound gate on its inbox and the broadcast topic, the
 * liveness monitor, the provider (answers CFPs, runs replicas), the negotiator (finds replica sites for its own
 * services), the replica reporter and the contract keeper, plus the service events that drive them.
 */
import { type ContractPhase } from '@reservoir/domain/federation/contracts';
import { type LivenessSettings } from '@reservoir/domain/federation/liveness';
import { type PriceList } from '@reservoir/domain/federation/negotiation';
import { weights } from '@reservoir/domain/federation/cooperation';
import { type CooperationUpdateBody, type Envelope } from '@reservoir/domain/federation/protocol/envelope';
import { FEDERATION_EVENTS_TOPIC } from '@reservoir/domain/federation/protocol/topics';
import { type TierUpdate } from '@reservoir/domain/service/tier-update';
import { type PeerKeys } from '@reservoir/domain/federation/protocol/federation';
import { type Clock, type IdGenerator } from '@reservoir/domain/ports/clock.port';
import { type ContractStore } from '@reservoir/domain/ports/contract-store.port';
import { type EventBus } from '@reservoir/domain/ports/event-bus.port';
import { type MessageSchemaValidator, type MessageSigner, type SeenMessages, type SignatureVerifier } from '@reservoir/domain/ports/federation-security.port';
import { type HostStore } from '@reservoir/domain/ports/host-store.port';
import { type ServiceStore } from '@reservoir/domain/ports/service-store.port';
import { type VeeStore } from '@reservoir/domain/ports/vee-store.port';
import { type ServiceRecord } from '@reservoir/domain/service/service-record';
import { SERVICE_EVENTS_TOPIC, type ServiceLifecycleEvent } from '../services/service-events';
import { CapacityProvider } from './capacity-provider';
import { ContractKeeper } from './contract-keeper';
import { InboundGate } from './inbound-gate';
import { OutboundMessages } from './outbound';
import { INITIAL_TERM, ReplicaNegotiator, type NegotiationSettings } from './replica-negotiator';
import { ReplicaReporter } from './replica-reporter';
import { SiteLivenessMonitor } from './site-liveness';

export interface FederatedSiteDeps {
  siteId: string;
  peers: PeerKeys;
  signer: MessageSigner;
  verifier: SignatureVerifier;
  schema: MessageSchemaValidator;
  seen: SeenMessages;
  clockWindowMs: number;
  bus: EventBus;
  clock: Clock;
  ids: IdGenerator;
  contracts: ContractStore;
  services: Pick<ServiceStore, 'get' | 'list'>;
  vees: Pick<VeeStore, 'listLive' | 'listByService'>;
  hosts: Pick<HostStore, 'list'>;
  liveness: LivenessSettings;
  negotiation: NegotiationSettings;
  priceList: PriceList;
  /** How often contracts are swept, replicas reported and missing replicas looked for. */
  keeperPeriodMs: number;
  incarnation: string;
  submitReplica(manifest: Uint8Array, replicaOf: NonNullable<ServiceRecord['replicaOf']>): Promise<ServiceRecord>;
  /** Applies a primary's tier update to the local replica service (UpdateTier with the primary's revision). */
  applyUpdate(localServiceId: string, tier: string, update: TierUpdate, revision: number): Promise<void>;
  deleteService(id: string): Promise<void>;
  log: (line: string) => void;
}

/** How often a sweep lets the inbound gate drop replay records older than twice the clock window. */
export const FORGET_EXPIRED_EVERY_MS = 60_000;

/** A replica site of a service as the primary shows it. */
export interface ReplicaView {
  site: string;
  /** The replica's last reported phase, or the contract's while nothing was reported yet. */
  phase: string;
  contract: { id: string; phase: ContractPhase; expiresAt: string };
}

export class FederatedSite {
  readonly outbound: OutboundMessages;
  readonly gate: InboundGate;
  readonly liveness: SiteLivenessMonitor;
  readonly provider: CapacityProvider;
  readonly negotiator: ReplicaNegotiator;
  readonly reporter: ReplicaReporter;
  readonly keeper: ContractKeeper;
  private timer: NodeJS.Timeout | undefined;
  private sweeping: Promise<void> = Promise.resolve();
  /** Tier updates that reached a replica before it ran, by local service id, applied once it runs. */
  private readonly pendingUpdates = new Map<string, CooperationUpdateBody[]>();
  /** Last published load-balancing weights per primary service (JSON), so only changes are published. */
  private readonly publishedWeights = new Map<string, string>();
  /** When the gate last dropped its expired replay records (clock time, ms). */
  private forgotAt: number | undefined;

  constructor(private readonly d: FederatedSiteDeps) {
    this.outbound = new OutboundMessages({ siteId: d.siteId, signer: d.signer, clock: d.clock, ids: d.ids, bus: d.bus, schema: d.schema });
    this.gate = new InboundGate(
      { siteId: d.siteId, peers: d.peers, schema: d.schema, verifier: d.verifier, seen: d.seen, clock: d.clock, bus: d.bus, clockWindowMs: d.clockWindowMs, log: d.log },
      (envelope) => this.dispatch(envelope),
    );
    this.liveness = new SiteLivenessMonitor({
      siteId: d.siteId, peers: [...d.peers.keys()], outbound: this.outbound, bus: d.bus, clock: d.clock, settings: d.liveness, incarnation: d.incarnation, log: d.log,
    });
    const peerAlive = (site: string) => this.liveness.state(site) === 'alive';
    this.provider = new CapacityProvider({
      siteId: d.siteId, contracts: d.contracts, hosts: d.hosts, vees: d.vees, services: d.services, outbound: this.outbound, clock: d.clock, ids: d.ids,
      priceList: d.priceList, submitReplica: d.submitReplica, deleteService: d.deleteService, peerAlive, log: d.log,
    });
    this.negotiator = new ReplicaNegotiator({
      siteId: d.siteId, contracts: d.contracts, services: d.services, outbound: this.outbound, clock: d.clock, settings: d.negotiation,
      alivePeers: () => this.liveness.alivePeers(), log: d.log,
      afterShip: (peer, _contractId, service) => this.syncReplica(peer, service),
    });
    this.reporter = new ReplicaReporter({ contracts: d.contracts, services: d.services, vees: d.vees, outbound: this.outbound, log: d.log });
    this.keeper = new ContractKeeper({
      contracts: d.contracts, services: d.services, outbound: this.outbound, clock: d.clock, contractDurationMs: d.negotiation.contractDurationMs,
      confirmTimeoutMs: Math.max(10_000, 4 * d.negotiation.cfpWindowMs),
      deleteService: d.deleteService, log: d.log,
    });
    this.liveness.onTransition(async (t) => {
      if (t.to === 'dead') await this.keeper.peerDead(t.site);
    });
  }

  async start(): Promise<void> {
    await this.gate.subscribe();
    await this.d.bus.subscribe(SERVICE_EVENTS_TOPIC, `reservoir-${this.d.siteId}-federation`, async (message) => {
      const event = JSON.parse(message.value) as ServiceLifecycleEvent;
      if (event.siteId === this.d.siteId) await this.onServiceEvent(event);
    });
    this.liveness.start();
    this.timer = setInterval(() => {
      this.sweeping = this.sweeping.then(() => this.sweep()).catch((err: unknown) => this.d.log(`federation: sweep failed: ${String(err)}`));
    }, this.d.keeperPeriodMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.negotiator.stop();
    await this.liveness.stop();
    await this.sweeping;
  }

  /**
   * Contracts, replica reports, replica sites still missing for the services this site is primary of, and (about
   * once a minute) the gate's expired replay records. Every step runs even when an earlier one fails; the first
   * failure is thrown at the end.
   */
  async sweep(): Promise<void> {
    const failures: unknown[] = [];
    const step = (run: () => Promise<unknown>) => run().catch((err: unknown) => void failures.push(err));
    await step(() => this.keeper.sweep());
    await step(() => this.reporter.reportAll());
    await step(() => this.ensureAllReplicas());
    await step(() => this.forgetExpiredMessages());
    if (failures.length > 0) throw failures[0];
  }

  private async ensureAllReplicas(): Promise<void> {
    for (let offset = 0; ; offset += 200) {
      const page = await this.d.services.list(200, offset);
      for (const s of page.items) {
        if (s.definition.qos.replicas <= 0 || s.replicaOf) continue;
        await this.negotiator.ensureReplicas(s);
        await this.publishWeights(s);
      }
      if (offset + page.items.length >= page.total || page.items.length === 0) break;
    }
  }

  private async forgetExpiredMessages(): Promise<void> {
    const now = this.d.clock.now().getTime();
    if (this.forgotAt !== undefined && now - this.forgotAt < FORGET_EXPIRED_EVERY_MS) return;
    this.forgotAt = now;
    const dropped = await this.gate.forgetExpired();
    if (dropped > 0) this.d.log(`rsrs: forgot ${dropped} replay record(s) older than the clock window`);
  }

  /**
   * A tier update accepted here: when this site is the service's primary, every replica site under an active
   * contract gets it (CooperationUpdate with the revision), so replicas run what the primary runs.
   */
  async propagateUpdate(service: ServiceRecord, tier: string, update: TierUpdate, revision: number): Promise<void> {
    if (service.replicaOf) return;
    for (const c of await this.d.contracts.listByService(service.id)) {
      if (c.role !== 'consumer' || c.phase !== 'active') continue;
      await this.outbound.send('CooperationUpdate', c.peer, { serviceId: service.id, revision, tier: { name: tier, ...update } }, { term: INITIAL_TERM });
    }
  }

  /** A replica just shipped the original manifest: every tier as it runs now, at the current revision. */
  private async syncReplica(peer: string, service: ServiceRecord): Promise<void> {
    const revision = service.revision ?? 0;
    if (revision === 0) return;
    for (const t of service.definition.tiers) {
      const tier = { name: t.name, image: { ref: t.image.ref, ...(t.image.sha256 ? { sha256: t.image.sha256 } : {}) }, software: t.software, configuration: t.configuration };
      await this.outbound.send('CooperationUpdate', peer, {
        serviceId: service.id, revision,
        tier: { ...tier, ...(tier.software.length === 0 ? { software: undefined } : {}), ...(tier.configuration.length === 0 ? { configuration: undefined } : {}) },
      }, { term: INITIAL_TERM });
    }
  }

  /** The replica sites of a service, for its JSON. */
  async replicas(serviceId: string): Promise<ReplicaView[]> {
    const contracts = (await this.d.contracts.listByService(serviceId)).filter((c) => c.role === 'consumer' && (c.phase === 'awarded' || c.phase === 'active'));
    return contracts
      .map((c) => ({ site: c.peer, phase: c.replica?.phase ?? (c.phase === 'active' ? 'deploying' : 'awarded'), contract: { id: c.id, phase: c.phase, expiresAt: c.expiresAt.toISOString() } }))
      .sort((a, b) => a.site.localeCompare(b.site));
  }

  /** Load-balancing weights over this site (when it runs the service) and its healthy, running replicas. */
  async loadBalancing(service: ServiceRecord): Promise<Record<string, number>> {
    const replicas = await this.replicas(service.id);
    const self = { site: this.d.siteId, healthy: service.phase === 'running', phase: 'running' as const, capacityShare: 1 };
    const others = replicas.map((r) => ({
      site: r.site, healthy: this.liveness.state(r.site) === 'alive', phase: (r.phase === 'running' ? 'running' : 'standby') as 'running' | 'standby', capacityShare: 1,
    }));
    return weights([self, ...others]);
  }

  private async onServiceEvent(event: ServiceLifecycleEvent): Promise<void> {
    const service = await this.d.services.get(event.serviceId);
    if (event.to === 'deleting' || event.to === 'deleted') await this.negotiator.releaseAll(event.serviceId, 'the service was deleted at its primary');
    if (!service) return;
    if (service.replicaOf) {
      await this.reporter.reportService(service);
      if (service.phase === 'running') await this.applyPending(service.id);
    } else if (event.to === 'running') await this.negotiator.ensureReplicas(service);
  }

  /** A primary's update for the replica it runs here: applied now, or once the replica runs. */
  private async onCooperationUpdate(env: Envelope<'CooperationUpdate'>): Promise<void> {
    const contract = (await this.d.contracts.listByService(env.body.serviceId)).find((c) => c.role === 'provider' && c.peer === env.from && c.phase === 'active');
    if (!contract?.localServiceId) {
      this.d.log(`rsrs: CooperationUpdate ${env.id} from ${env.from} names no replica of service ${env.body.serviceId} here; ignored`);
      return;
    }
    if (!env.body.tier) return; // weights only: informative at a replica
    const local = await this.d.services.get(contract.localServiceId);
    if (!local) return;
    const queue = this.pendingUpdates.get(local.id) ?? [];
    queue.push(env.body);
    this.pendingUpdates.set(local.id, queue);
    if (local.phase === 'running') await this.applyPending(local.id);
  }

  /** The oldest pending update of a replica (one at a time: each rolls through a tier; the next waits for running). */
  private async applyPending(localServiceId: string): Promise<void> {
    const next = this.pendingUpdates.get(localServiceId)?.shift();
    if (!next?.tier) return;
    const { name, ...update } = next.tier;
    await this.d.applyUpdate(localServiceId, name, update, next.revision);
  }

  /** Load-balancing weights of a primary service, on federation.events whenever they change. */
  private async publishWeights(service: ServiceRecord): Promise<void> {
    const weights = await this.loadBalancing(service);
    const text = JSON.stringify(weights);
    if (this.publishedWeights.get(service.id) === text) return;
    this.publishedWeights.set(service.id, text);
    const event = { type: 'LoadBalancingChanged', site: this.d.siteId, serviceId: service.id, weights, at: this.d.clock.now().toISOString() };
    await this.d.bus.publish({ topic: FEDERATION_EVENTS_TOPIC, key: service.id, value: JSON.stringify(event) });
  }

  private async dispatch(envelope: Envelope): Promise<void> {
    switch (envelope.type) {
      case 'Heartbeat': return this.liveness.onHeartbeat(envelope as Envelope<'Heartbeat'>);
      case 'CallForProposals': return this.provider.onCallForProposals(envelope as Envelope<'CallForProposals'>);
      case 'Offer': return this.negotiator.onOffer(envelope as Envelope<'Offer'>);
      case 'Award': return this.provider.onAward(envelope as Envelope<'Award'>);
      case 'Reject': return this.provider.onReject(envelope as Envelope<'Reject'>);
      case 'ContractConfirm': return this.negotiator.onContractConfirm(envelope as Envelope<'ContractConfirm'>);
      case 'ReplicaShip': return this.provider.onReplicaShip(envelope as Envelope<'ReplicaShip'>);
      case 'ReplicaStatus': return this.negotiator.onReplicaStatus(envelope as Envelope<'ReplicaStatus'>);
      case 'ContractRenew': return this.provider.onContractRenew(envelope as Envelope<'ContractRenew'>);
      case 'ContractRelease': return this.provider.onContractRelease(envelope as Envelope<'ContractRelease'>);
      case 'CooperationUpdate': return this.onCooperationUpdate(envelope as Envelope<'CooperationUpdate'>);
      default: {
        const unreachable: never = envelope.type;
        return unreachable;
      }
    }
  }
}
