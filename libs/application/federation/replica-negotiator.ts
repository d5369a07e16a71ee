/**
 * The consumer side of RS-RS, for a service this site is primary of: `<service-QoS replicas="N">` asks for N
 * replica sites. A round broadcasts a call for proposals, collects offers until the deadline, ranks them by the
 * documented policy (libs/domain/federation/negotiation/README.md), awards the best N and rejects the others;
 * each confirmed contract gets the service definition (ReplicaShip), and the replica's ReplicaStatus messages
 * are kept on the contract for `GET /v1/services/:id`. Deleting the service releases its contracts.
 */
import { openContract, transitionContract } from '@reservoir/domain/federation/contracts';
import { award, demandOf, rankOffers, type ReceivedOffer, type RankingPolicy } from '@reservoir/domain/federation/negotiation';
import { BROADCAST, type CallForProposalsBody, type Envelope } from '@reservoir/domain/federation/protocol/envelope';
import { type Clock } from '@reservoir/domain/ports/clock.port';
import { type ContractStore, type StoredContract } from '@reservoir/domain/ports/contract-store.port';
import { type ServiceStore } from '@reservoir/domain/ports/service-store.port';
import { type ServiceRecord } from '@reservoir/domain/service/service-record';
import { type OutboundMessages } from './outbound';

/** Until primary failover exists, every service's primary term is the first. */
export const INITIAL_TERM = 1;

export interface NegotiationSettings {
  /** How long a CFP collects offers. */
  cfpWindowMs: number;
  /** Contract term asked for and awarded. */
  contractDurationMs: number;
  /** Site preference, distance classes and currency (federation config). */
  policy: Omit<RankingPolicy, 'now'>;
}

export interface ReplicaNegotiatorDeps {
  siteId: string;
  contracts: ContractStore;
  services: Pick<ServiceStore, 'get'>;
  outbound: Pick<OutboundMessages, 'send'>;
  clock: Clock;
  settings: NegotiationSettings;
  /** Peers alive now: a CFP goes out only when there are some. */
  alivePeers(): string[];
  log: (line: string) => void;
}

interface Round {
  cfpId: string;
  cfp: CallForProposalsBody;
  wanted: number;
  offers: ReceivedOffer[];
}

export class ReplicaNegotiator {
  /** Open rounds by CFP id; at most one per service. */
  private readonly rounds = new Map<string, Round>();
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(private readonly d: ReplicaNegotiatorDeps) {}

  /**
   * Starts a round when the service runs here, is not itself a replica, and has fewer live contracts than it
   * wants replicas (and no round open). Resolves once the CFP is out; the round closes on its own timer.
   */
  async ensureReplicas(service: ServiceRecord): Promise<void> {
    const wanted = service.definition.qos.replicas;
    if (service.replicaOf || wanted <= 0 || service.phase !== 'running') return;
    if ([...this.rounds.values()].some((r) => r.cfp.serviceId === service.id)) return;
    const live = (await this.d.contracts.listByService(service.id)).filter((c) => c.role === 'consumer' && (c.phase === 'awarded' || c.phase === 'active'));
    const missing = wanted - live.length;
    const candidates = this.d.alivePeers().filter((p) => !live.some((c) => c.peer === p));
    if (missing <= 0 || candidates.length === 0) return;
    const now = this.d.clock.now();
    const cfp: CallForProposalsBody = {
      serviceId: service.id,
      serviceName: service.name,
      purpose: 'replica',
      tiers: demandOf(service.definition),
      deadline: new Date(now.getTime() + this.d.settings.cfpWindowMs).toISOString(),
      durationS: Math.round(this.d.settings.contractDurationMs / 1000),
    };
    const envelope = await this.d.outbound.send('CallForProposals', BROADCAST, cfp, { term: INITIAL_TERM });
    this.rounds.set(envelope.id, { cfpId: envelope.id, cfp, wanted: missing, offers: [] });
    this.d.log(`rsrs: CFP ${envelope.id} for ${missing} replica site(s) of ${service.name}; offers until ${cfp.deadline}`);
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      this.close(envelope.id).catch((err: unknown) => this.d.log(`rsrs: closing CFP ${envelope.id} failed: ${String(err)}`));
    }, this.d.settings.cfpWindowMs);
    timer.unref();
    this.timers.add(timer);
  }

  /** Offers are only collected here; the round decides at its deadline. */
  async onOffer(env: Envelope<'Offer'>): Promise<void> {
    const round = this.rounds.get(env.correlationId);
    if (!round) {
      this.d.log(`rsrs: offer ${env.id} from ${env.from} answers no open CFP (${env.correlationId}); ignored`);
      return;
    }
    if (round.offers.some((o) => o.offerId === env.id)) return;
    round.offers.push({ offerId: env.id, from: env.from, body: env.body, receivedAt: this.d.clock.now() });
  }

  /** Ranks, awards the best, rejects the rest. Public for tests that drive time themselves. */
  async close(cfpId: string): Promise<void> {
    const round = this.rounds.get(cfpId);
    if (!round) return;
    this.rounds.delete(cfpId);
    const now = this.d.clock.now();
    const ranking = rankOffers(round.cfp, round.offers, { ...this.d.settings.policy, now });
    const decision = award(ranking, round.wanted);
    const expiresAt = new Date(now.getTime() + this.d.settings.contractDurationMs);
    for (const { offer } of decision.awarded) {
      const opened = openContract(
        { id: offer.offerId, serviceId: round.cfp.serviceId, role: 'consumer', peer: offer.from, tiers: offer.body.tiers, pricePerHour: offer.body.pricePerHour, currency: offer.body.currency, phase: 'offered', expiresAt: new Date(offer.body.validUntil) },
        { at: now, reason: `offer for CFP ${cfpId}`, by: 'negotiation' },
      );
      await this.d.contracts.create(opened, { correlationId: cfpId });
      await this.d.contracts.apply(transitionContract(opened.contract, 'awarded', { at: now, reason: 'best offer', by: 'negotiation', expiresAt }));
      await this.d.outbound.send('Award', offer.from, { serviceId: round.cfp.serviceId, offerId: offer.offerId, contractId: offer.offerId, expiresAt: expiresAt.toISOString() }, { correlationId: cfpId, term: INITIAL_TERM });
    }
    for (const { offer, reason } of decision.rejected) {
      await this.d.outbound.send('Reject', offer.from, { serviceId: round.cfp.serviceId, offerId: offer.offerId, reason }, { correlationId: cfpId, term: INITIAL_TERM });
    }
    this.d.log(`rsrs: CFP ${cfpId}: ${round.offers.length} offer(s), awarded ${decision.awarded.map((a) => a.offer.from).join(', ') || 'none'}`);
  }

  /** The provider confirmed: the contract is active and the replica gets the service definition. */
  async onContractConfirm(env: Envelope<'ContractConfirm'>): Promise<void> {
    const contract = await this.mine(env.from, env.body.contractId, env.body.serviceId);
    if (!contract) return;
    if (contract.phase === 'awarded') {
      await this.d.contracts.apply(transitionContract(contract, 'active', { at: this.d.clock.now(), reason: 'confirmed by the provider', by: 'peer' }));
    } else if (contract.phase !== 'active') return;
    const service = await this.d.services.get(env.body.serviceId);
    if (!service) return;
    await this.d.outbound.send('ReplicaShip', env.from, {
      contractId: contract.id, serviceId: service.id, serviceName: service.name,
      manifest: Buffer.from(service.manifest).toString('utf8'), tiers: contract.tiers,
    }, { correlationId: env.correlationId, term: INITIAL_TERM });
  }

  async onReplicaStatus(env: Envelope<'ReplicaStatus'>): Promise<void> {
    const contract = await this.mine(env.from, env.body.contractId, env.body.serviceId);
    if (!contract) return;
    const { phase, vees, reason } = env.body;
    await this.d.contracts.setReplicaReport(contract.id, { phase, vees, ...(reason === undefined ? {} : { reason }), at: new Date(env.sentAt) });
  }

  /** The service is going: every live contract of it is released, the replica sites told. */
  async releaseAll(serviceId: string, reason: string): Promise<void> {
    for (const c of await this.d.contracts.listByService(serviceId)) {
      if (c.role !== 'consumer' || !(c.phase === 'awarded' || c.phase === 'active' || c.phase === 'offered')) continue;
      await this.d.contracts.apply(transitionContract(c, 'released', { at: this.d.clock.now(), reason, by: 'negotiation' }));
      await this.d.outbound.send('ContractRelease', c.peer, { contractId: c.id, serviceId, reason }, { term: INITIAL_TERM }).catch((err: unknown) => {
        this.d.log(`rsrs: could not tell ${c.peer} that contract ${c.id} is released: ${String(err)}`);
      });
    }
  }

  stop(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.rounds.clear();
  }

  private async mine(peer: string, id: string, serviceId: string): Promise<StoredContract | undefined> {
    const contract = await this.d.contracts.get(id);
    if (contract?.role === 'consumer' && contract.peer === peer && contract.serviceId === serviceId) return contract;
    this.d.log(`rsrs: ${peer} named contract ${id} of service ${serviceId}, which this site has not awarded it; ignored`);
    return undefined;
  }
}
