/**
 * The provider side of RS-RS: this site answers calls for proposals with capacity it really has, keeps the
 * contracts it is awarded, deploys the replica a primary ships, and removes it when the contract ends.
 *
 * Offers are decided one at a time (a mutex per site) on a ledger rebuilt from the hosts, the VEEs they hold and
 * every live contract whose replica is not deployed yet: two concurrent CFPs never book the same capacity.
 * Every handler is idempotent (the bus delivers at least once) and trusts only the contract's own peer. A
 * message that cannot be acted on (a lapsed offer awarded, an unreadable date) is logged and dropped, never
 * thrown: a throw means "redeliver", and redelivering it would never help.
 */
import { openContract, transitionContract, renew } from '@reservoir/domain/federation/contracts';
import { type CapacityLedger, decideOffer, type PriceList, reserve } from '@reservoir/domain/federation/negotiation';
import { type Envelope } from '@reservoir/domain/federation/protocol/envelope';
import { type Clock, type IdGenerator } from '@reservoir/domain/ports/clock.port';
import { type ContractStore, type StoredContract } from '@reservoir/domain/ports/contract-store.port';
import { type HostStore } from '@reservoir/domain/ports/host-store.port';
import { type ServiceStore } from '@reservoir/domain/ports/service-store.port';
import { type VeeStore } from '@reservoir/domain/ports/vee-store.port';
import { type ServiceRecord } from '@reservoir/domain/service/service-record';
import { DomainError } from '@reservoir/domain/shared/domain-error';
import { KeyedMutex } from '../deploy/keyed-mutex';
import { toHostStates } from '../deploy/site-hosts';
import { type OutboundMessages } from './outbound';

export interface CapacityProviderDeps {
  siteId: string;
  contracts: ContractStore;
  hosts: Pick<HostStore, 'list'>;
  vees: Pick<VeeStore, 'listLive'>;
  services: Pick<ServiceStore, 'get'>;
  outbound: Pick<OutboundMessages, 'send' | 'seal' | 'publish'>;
  clock: Clock;
  ids: IdGenerator;
  priceList: PriceList;
  /** Accepts the shipped manifest as a replica service (SubmitService.execute with `replicaOf`). */
  submitReplica(manifest: Uint8Array, replicaOf: NonNullable<ServiceRecord['replicaOf']>): Promise<ServiceRecord>;
  /** Deletes a replica service (DeleteService). */
  deleteService(id: string): Promise<void>;
  /** Whether a peer may be dealt with now (alive); a suspect or dead caller gets no offer. */
  peerAlive(site: string): boolean;
  log: (line: string) => void;
}

export class CapacityProvider {
  private readonly mutex = new KeyedMutex();

  constructor(private readonly d: CapacityProviderDeps) {}

  /** Offers, or stays silent (the reason goes to the log), for one call for proposals. */
  async onCallForProposals(env: Envelope<'CallForProposals'>): Promise<void> {
    if (!this.d.peerAlive(env.from)) {
      this.d.log(`rsrs: no offer to ${env.from} for service ${env.body.serviceId}: it is not alive here`);
      return;
    }
    await this.mutex.run('ledger', async () => {
      // A redelivered CFP is answered already, unless its offer was released: the undo of an offer that could not
      // be sent (a Reject comes at the deadline, when a redelivered CFP is declined anyway).
      const known = (await this.d.contracts.listByService(env.body.serviceId)).find((c) => c.role === 'provider' && c.correlationId === env.id && c.phase !== 'released');
      if (known) return;
      const now = this.d.clock.now();
      const decision = decideOffer(env.body, await this.ledger(now), this.d.priceList, now, { reservationId: this.d.ids.next() });
      if (decision.kind === 'decline') {
        this.d.log(`rsrs: no offer to ${env.from} for service ${env.body.serviceName}: ${decision.reason}${decision.details.length ? ` (${decision.details.join('; ')})` : ''}`);
        return;
      }
      const { offer } = decision;
      // Both sides name the contract by the Offer's envelope id (the Award's offerId and contractId).
      const sealed = this.d.outbound.seal('Offer', env.from, offer, { correlationId: env.id, term: env.term ?? 1 });
      const opened = openContract(
        { id: sealed.id, serviceId: offer.serviceId, role: 'provider', peer: env.from, tiers: offer.tiers, pricePerHour: offer.pricePerHour, currency: offer.currency, phase: 'offered', expiresAt: new Date(offer.validUntil) },
        { at: now, reason: `offered for CFP ${env.id}`, by: 'negotiation' },
      );
      await this.d.contracts.create(opened, { correlationId: env.id });
      try {
        await this.d.outbound.publish(sealed);
      } catch (err) {
        // Undo the reservation: the redelivered CFP must find no contract, or it would be taken as answered.
        await this.d.contracts.apply(transitionContract(opened.contract, 'released', { at: now, reason: 'the offer could not be sent', by: 'negotiation' }));
        throw err;
      }
    });
  }

  /**
   * Award: the offer becomes a contract (awarded, then active once confirmed to the consumer). Each step is
   * resumed on redelivery, so a contract left `awarded` by a failure still gets confirmed. An award for an offer
   * whose validity lapsed is refused: its capacity is no longer held, and may have been offered to another.
   */
  async onAward(env: Envelope<'Award'>): Promise<void> {
    const contract = await this.findOwn(env.from, env.body.contractId, env.body.serviceId);
    if (!contract) return;
    const now = this.d.clock.now();
    const expiresAt = new Date(env.body.expiresAt);
    if (contract.phase === 'offered') {
      const refusal = whyNotAward(contract, expiresAt, now);
      if (refusal !== undefined) {
        this.d.log(`rsrs: award of contract ${contract.id} by ${env.from} ignored: ${refusal}`);
        return;
      }
      const awarded = transitionContract(contract, 'awarded', { at: now, reason: `awarded for CFP ${env.correlationId}`, by: 'peer', expiresAt });
      if (!(await this.d.contracts.apply(awarded))) return;
    }
    let current = await this.d.contracts.get(contract.id);
    if (current?.phase === 'awarded' && now < current.expiresAt) {
      await this.d.contracts.apply(transitionContract(current, 'active', { at: now, reason: 'confirmed', by: 'negotiation' }));
      current = await this.d.contracts.get(contract.id);
    }
    if (current?.phase !== 'active') return;
    await this.d.outbound.send('ContractConfirm', env.from, { contractId: env.body.contractId, serviceId: env.body.serviceId, expiresAt: current.expiresAt.toISOString() }, { correlationId: env.correlationId, term: env.term ?? 1 });
  }

  /** Reject: the offer's reservation goes at once. */
  async onReject(env: Envelope<'Reject'>): Promise<void> {
    const contract = await this.findOwn(env.from, env.body.offerId, env.body.serviceId);
    if (contract?.phase !== 'offered') return;
    await this.d.contracts.apply(transitionContract(contract, 'released', { at: this.d.clock.now(), reason: `rejected: ${env.body.reason}`, by: 'peer' }));
  }

  /**
   * The primary's service definition: deployed here as a replica, once per contract (deliveries of the same
   * contract are serialised). A manifest this site refuses for good (invalid, its name taken here) is reported
   * to the primary as a failed replica instead of being thrown back at the bus forever.
   */
  async onReplicaShip(env: Envelope<'ReplicaShip'>): Promise<void> {
    await this.mutex.run(`contract:${env.body.contractId}`, async () => {
      const contract = await this.activeFor(env.from, env.body.contractId, env.body.serviceId);
      if (!contract || contract.localServiceId) return;
      let replica: ServiceRecord;
      try {
        replica = await this.d.submitReplica(Buffer.from(env.body.manifest, 'utf8'), { site: env.from, serviceId: env.body.serviceId, contractId: contract.id });
      } catch (err) {
        if (!isPermanent(err)) throw err;
        this.d.log(`rsrs: the replica of ${env.body.serviceName} for ${env.from} (contract ${contract.id}) was refused: ${err.message}`);
        await this.d.outbound.send('ReplicaStatus', env.from, {
          contractId: contract.id, serviceId: env.body.serviceId, phase: 'failed', vees: [], reason: `replica refused: ${err.message}`.slice(0, 500),
        }, { correlationId: env.correlationId, term: env.term ?? 1 });
        return;
      }
      await this.d.contracts.setLocalService(contract.id, replica.id);
    });
  }

  async onContractRenew(env: Envelope<'ContractRenew'>): Promise<void> {
    const contract = await this.activeFor(env.from, env.body.contractId, env.body.serviceId);
    const until = new Date(env.body.expiresAt);
    const now = this.d.clock.now();
    if (!contract || Number.isNaN(until.getTime()) || until <= contract.expiresAt) return;
    if (now >= contract.expiresAt) {
      this.d.log(`rsrs: renewal of contract ${contract.id} by ${env.from} ignored: it lapsed at ${contract.expiresAt.toISOString()}`);
      return;
    }
    await this.d.contracts.apply(renew(contract, until, now, 'peer'));
  }

  /** The contract ends: the replica service goes, the capacity with it. */
  async onContractRelease(env: Envelope<'ContractRelease'>): Promise<void> {
    const contract = await this.findOwn(env.from, env.body.contractId, env.body.serviceId);
    if (!contract) return;
    if (contract.localServiceId && (await this.d.services.get(contract.localServiceId))) await this.d.deleteService(contract.localServiceId);
    if (contract.phase === 'released' || contract.phase === 'expired' || contract.phase === 'broken') return;
    await this.d.contracts.apply(transitionContract(contract, 'released', { at: this.d.clock.now(), reason: `released by ${env.from}: ${env.body.reason}`, by: 'peer' }));
  }

  /**
   * Capacity as offers see it: every host with the VEEs it holds, and every live provider contract that has no
   * deployed replica yet holding its demand (a deployed replica's VEEs hold the capacity themselves).
   */
  private async ledger(now: Date): Promise<CapacityLedger> {
    const hosts = await this.d.hosts.list();
    const vees = await this.d.vees.listLive();
    let ledger: CapacityLedger = { hosts: toHostStates(hosts, vees, new Set(hosts.filter((h) => h.health === 'up').map((h) => h.id))), reservations: [] };
    for (const c of await this.d.contracts.listLive({ role: 'provider' })) {
      if (c.expiresAt <= now) continue; // lapsed (the keeper expires it soon): holds nothing
      if (c.localServiceId && vees.some((v) => v.serviceId === c.localServiceId)) continue;
      const held = reserve(ledger, c.id, c.tiers, now, c.expiresAt);
      if (held.ok) ledger = held.ledger;
      else this.d.log(`rsrs: contract ${c.id} of ${c.peer} no longer fits this site's hosts: ${held.reason}`);
    }
    return ledger;
  }

  private async activeFor(peer: string, contractId: string, serviceId: string): Promise<StoredContract | undefined> {
    const contract = await this.findOwn(peer, contractId, serviceId);
    return contract?.phase === 'active' ? contract : undefined;
  }

  /** This site's provider contract `id` for the service, when `peer` is its consumer; else logged and ignored. */
  private async findOwn(peer: string, id: string, serviceId: string): Promise<StoredContract | undefined> {
    const contract = await this.d.contracts.get(id);
    if (contract?.role === 'provider' && contract.peer === peer && contract.serviceId === serviceId) return contract;
    this.d.log(`rsrs: ${peer} named contract ${id} of service ${serviceId}, which this site does not provide to it; ignored`);
    return undefined;
  }
}

/** Why an offered contract cannot be awarded with this term now; undefined when it can. */
function whyNotAward(contract: StoredContract, term: Date, now: Date): string | undefined {
  if (now >= contract.expiresAt) return `the offer lapsed at ${contract.expiresAt.toISOString()}`;
  if (Number.isNaN(term.getTime())) return 'its expiresAt is not a date';
  if (term <= now) return `its term ended at ${term.toISOString()}`;
  return undefined;
}

/** A refusal that a redelivery would meet again: an invalid manifest, a clash with what this site holds. */
function isPermanent(err: unknown): err is DomainError {
  return err instanceof DomainError && !err.retryable && (err.code === 'invalid-input' || err.code === 'conflict');
}
