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
  /** After a replica got the service definition: bring it to the primary's current revision (tier updates). */
  afterShip?: (peer: string, contractId: string, service: ServiceRecord) => Promise<void>;
  log: (line: string) => void;
}

interface Round {
  cfpId: string;
  cfp: CallForProposalsBody;
  wanted: number;
  offers: ReceivedOffer[];
  timer?: NodeJS.Timeout;
}

export class ReplicaNegotiator {
  /** Open rounds by CFP id; at most one per service. */
  private readonly rounds = new Map<string, Round>();
  /** Services whose round is being opened (between the checks and the CFP going out): one round at a time. */
  private readonly opening = new Set<string>();

  constructor(private readonly d: ReplicaNegotiatorDeps) {}

  /**
   * Starts a round when the service runs here, is not itself a replica, and has fewer live contracts than it
   * wants replicas (and no round open). Resolves once the CFP is out; the round closes on its own timer.
   */
  async ensureReplicas(service: ServiceRecord): Promise<void> {
    const wanted = service.definition.qos.replicas;
    if (service.replicaOf || wanted <= 0 || service.phase !== 'running') return;
    if (this.opening.has(service.id) || this.roundOf(service.id)) return;
    this.opening.add(service.id);
    try {
      await this.openRound(service, wanted);
    } finally {
      this.opening.delete(service.id);
    }
  }

  private async openRound(service: ServiceRecord, wanted: number): Promise<void> {
    const live = await this.liveContracts(service.id);
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
    const round: Round = { cfpId: envelope.id, cfp, wanted: missing, offers: [] };
    this.rounds.set(envelope.id, round);
    this.d.log(`rsrs: CFP ${envelope.id} for ${missing} replica site(s) of ${service.name}; offers until ${cfp.deadline}`);
    round.timer = setTimeout(() => {
      this.close(envelope.id).catch((err: unknown) => this.d.log(`rsrs: closing CFP ${envelope.id} failed: ${String(err)}`));
    }, this.d.settings.cfpWindowMs);
    round.timer.unref();
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

  /**
   * Ranks, awards the best, rejects the rest. Offers from a site that already holds a live contract for the
   * service, or that is no longer alive, are rejected without ranking: a second replica at one site protects
   * nothing, and a failing site gets no new work. One award or reject failing does not stop the others; an
   * award that could not be sent is released here, so the next sweep looks for another site at once instead of
   * waiting a whole term for a confirmation. Public for tests that drive time themselves.
   */
  async close(cfpId: string): Promise<void> {
    const round = this.rounds.get(cfpId);
    if (!round) return;
    this.rounds.delete(cfpId);
    if (round.timer) clearTimeout(round.timer);
    const now = this.d.clock.now();
    const holding = new Set((await this.liveContracts(round.cfp.serviceId)).map((c) => c.peer));
    const alive = new Set(this.d.alivePeers());
    const unwanted = (o: ReceivedOffer) =>
      holding.has(o.from) ? `site ${o.from} already holds a replica of the service` : alive.has(o.from) ? undefined : `site ${o.from} is not alive`;
    const ranking = rankOffers(round.cfp, round.offers.filter((o) => unwanted(o) === undefined), { ...this.d.settings.policy, now });
    const decision = award(ranking, round.wanted);
    const rejected = [
      ...round.offers.flatMap((offer) => {
        const reason = unwanted(offer);
        return reason === undefined ? [] : [{ offer, reason }];
      }),
      ...decision.rejected,
    ];
    const expiresAt = new Date(now.getTime() + this.d.settings.contractDurationMs);
    const awardedTo: string[] = [];
    for (const { offer } of decision.awarded) {
      if (await this.awardOne(round, offer, now, expiresAt)) awardedTo.push(offer.from);
    }
    for (const { offer, reason } of rejected) {
      await this.d.outbound.send('Reject', offer.from, { serviceId: round.cfp.serviceId, offerId: offer.offerId, reason }, { correlationId: cfpId, term: INITIAL_TERM })
        .catch((err: unknown) => this.d.log(`rsrs: could not reject offer ${offer.offerId} of ${offer.from}: ${String(err)}`));
    }
    this.d.log(`rsrs: CFP ${cfpId}: ${round.offers.length} offer(s), awarded ${awardedTo.join(', ') || 'none'}`);
  }

  private async awardOne(round: Round, offer: ReceivedOffer, now: Date, expiresAt: Date): Promise<boolean> {
    const opened = openContract(
      { id: offer.offerId, serviceId: round.cfp.serviceId, role: 'consumer', peer: offer.from, tiers: offer.body.tiers, pricePerHour: offer.body.pricePerHour, currency: offer.body.currency, phase: 'offered', expiresAt: new Date(offer.body.validUntil) },
      { at: now, reason: `offer for CFP ${round.cfpId}`, by: 'negotiation' },
    );
    const awarded = transitionContract(opened.contract, 'awarded', { at: now, reason: 'best offer', by: 'negotiation', expiresAt });
    try {
      await this.d.contracts.create(opened, { correlationId: round.cfpId });
    } catch (err) {
      // e.g. an offer id that names a contract this site already has: nothing of ours to undo
      this.d.log(`rsrs: offer ${offer.offerId} of ${offer.from} not awarded: ${String(err)}`);
      return false;
    }
    try {
      if (!(await this.d.contracts.apply(awarded))) throw new Error(`contract ${offer.offerId} moved while being awarded`);
      await this.d.outbound.send('Award', offer.from, { serviceId: round.cfp.serviceId, offerId: offer.offerId, contractId: offer.offerId, expiresAt: expiresAt.toISOString() }, { correlationId: round.cfpId, term: INITIAL_TERM });
      return true;
    } catch (err) {
      this.d.log(`rsrs: award of offer ${offer.offerId} to ${offer.from} failed; its contract is released: ${String(err)}`);
      const stored = await this.d.contracts.get(offer.offerId).catch(() => undefined);
      if (stored?.phase === 'offered' || stored?.phase === 'awarded') {
        await this.d.contracts.apply(transitionContract(stored, 'released', { at: now, reason: 'the award could not be sent', by: 'negotiation' }))
          .catch((undo: unknown) => this.d.log(`rsrs: could not release contract ${stored.id} after its failed award: ${String(undo)}`));
      }
      return false;
    }
  }

  /** The provider confirmed: the contract is active and the replica gets the service definition. */
  async onContractConfirm(env: Envelope<'ContractConfirm'>): Promise<void> {
    const contract = await this.mine(env.from, env.body.contractId, env.body.serviceId);
    if (!contract) return;
    if (contract.phase === 'awarded') {
      if (this.d.clock.now() >= contract.expiresAt) {
        this.d.log(`rsrs: confirmation of contract ${contract.id} by ${env.from} came after its term ended; ignored`);
        return;
      }
      await this.d.contracts.apply(transitionContract(contract, 'active', { at: this.d.clock.now(), reason: 'confirmed by the provider', by: 'peer' }));
    } else if (contract.phase !== 'active') return;
    const service = await this.d.services.get(env.body.serviceId);
    if (!service) return;
    await this.d.outbound.send('ReplicaShip', env.from, {
      contractId: contract.id, serviceId: service.id, serviceName: service.name,
      manifest: Buffer.from(service.manifest).toString('utf8'), tiers: contract.tiers,
    }, { correlationId: env.correlationId, term: INITIAL_TERM });
    await this.d.afterShip?.(env.from, contract.id, service);
  }

  async onReplicaStatus(env: Envelope<'ReplicaStatus'>): Promise<void> {
    const contract = await this.mine(env.from, env.body.contractId, env.body.serviceId);
    if (!contract) return;
    const { phase, vees, reason } = env.body;
    await this.d.contracts.setReplicaReport(contract.id, { phase, vees, ...(reason === undefined ? {} : { reason }), at: new Date(env.sentAt) });
  }

  /**
   * The service is going: its open round is cancelled (every offer collected so far rejected) and every live
   * contract of it is released, the replica sites told.
   */
  async releaseAll(serviceId: string, reason: string): Promise<void> {
    const round = this.roundOf(serviceId);
    if (round) {
      this.rounds.delete(round.cfpId);
      if (round.timer) clearTimeout(round.timer);
      for (const offer of round.offers) {
        await this.d.outbound.send('Reject', offer.from, { serviceId, offerId: offer.offerId, reason }, { correlationId: round.cfpId, term: INITIAL_TERM })
          .catch((err: unknown) => this.d.log(`rsrs: could not reject offer ${offer.offerId} of ${offer.from}: ${String(err)}`));
      }
    }
    for (const c of await this.d.contracts.listByService(serviceId)) {
      if (c.role !== 'consumer' || !(c.phase === 'awarded' || c.phase === 'active' || c.phase === 'offered')) continue;
      await this.d.contracts.apply(transitionContract(c, 'released', { at: this.d.clock.now(), reason, by: 'negotiation' }));
      await this.d.outbound.send('ContractRelease', c.peer, { contractId: c.id, serviceId, reason }, { term: INITIAL_TERM }).catch((err: unknown) => {
        this.d.log(`rsrs: could not tell ${c.peer} that contract ${c.id} is released: ${String(err)}`);
      });
    }
  }

  stop(): void {
    for (const r of this.rounds.values()) if (r.timer) clearTimeout(r.timer);
    this.rounds.clear();
  }

  private roundOf(serviceId: string): Round | undefined {
    return [...this.rounds.values()].find((r) => r.cfp.serviceId === serviceId);
  }

  /** The consumer contracts of the service that hold (or are about to hold) a replica site. */
  private async liveContracts(serviceId: string): Promise<StoredContract[]> {
    return (await this.d.contracts.listByService(serviceId)).filter((c) => c.role === 'consumer' && (c.phase === 'awarded' || c.phase === 'active'));
  }

  private async mine(peer: string, id: string, serviceId: string): Promise<StoredContract | undefined> {
    const contract = await this.d.contracts.get(id);
    if (contract?.role === 'consumer' && contract.peer === peer && contract.serviceId === serviceId) return contract;
    this.d.log(`rsrs: ${peer} named contract ${id} of service ${serviceId}, which this site has not awarded it; ignored`);
    return undefined;
  }
}
