/**
 * The contracts' clock: on each period, contracts past their term expire (a provider then removes the replica it
 * ran, a consumer looks for another site), a consumer renews an active contract when less than half its term is
 * left, and a peer declared dead breaks every contract with it.
 */
import { breakContractsOf, type ContractChange, expireDue, renew, transitionContract } from '@reservoir/domain/federation/contracts';
import { type Clock } from '@reservoir/domain/ports/clock.port';
import { type ContractStore, type StoredContract } from '@reservoir/domain/ports/contract-store.port';
import { type ServiceStore } from '@reservoir/domain/ports/service-store.port';
import { type OutboundMessages } from './outbound';
import { INITIAL_TERM } from './replica-negotiator';

export interface ContractKeeperDeps {
  contracts: ContractStore;
  services: Pick<ServiceStore, 'get'>;
  outbound: Pick<OutboundMessages, 'send'>;
  clock: Clock;
  contractDurationMs: number;
  /** How long a consumer waits for the provider's ContractConfirm before it gives the award up. */
  confirmTimeoutMs: number;
  deleteService(id: string): Promise<void>;
  log: (line: string) => void;
}

export class ContractKeeper {
  constructor(private readonly d: ContractKeeperDeps) {}

  /**
   * One pass. A contract whose step fails (store or bus) is logged and left for the next pass; the others are
   * still handled.
   */
  async sweep(): Promise<void> {
    const now = this.d.clock.now();
    for (const change of expireDue(await this.d.contracts.listLive(), now)) {
      await this.step(change.contract.id, 'expire', () => this.expire(change));
    }
    for (const c of await this.d.contracts.listLive({ role: 'consumer' })) {
      if (c.phase !== 'active' || c.expiresAt.getTime() - now.getTime() > this.d.contractDurationMs / 2) continue;
      await this.step(c.id, 'renew', () => this.renew(c, now));
    }
    for (const c of await this.d.contracts.listLive({ role: 'consumer' })) {
      if (c.phase !== 'awarded' || now.getTime() - c.updatedAt.getTime() < this.d.confirmTimeoutMs) continue;
      await this.step(c.id, 'give up the award', () => this.abandon(c, now));
    }
  }

  /**
   * An award the provider never confirmed (it crashed, or the Award was lost): released here and there, so the
   * next sweep's negotiation can look for another site instead of waiting out the whole term.
   */
  private async abandon(c: StoredContract, now: Date): Promise<void> {
    const reason = `no confirmation within ${Math.round(this.d.confirmTimeoutMs / 1000)} s of the award`;
    if (!(await this.d.contracts.apply(transitionContract(c, 'released', { at: now, reason, by: 'expiry' })))) return;
    this.d.log(`rsrs: contract ${c.id} with ${c.peer} released: ${reason}`);
    await this.d.outbound.send('ContractRelease', c.peer, { contractId: c.id, serviceId: c.serviceId, reason }, { term: INITIAL_TERM });
  }

  /** The failure detector declared `site` dead: its contracts are broken (the replicas it ran for us are gone). */
  async peerDead(site: string): Promise<void> {
    const now = this.d.clock.now();
    for (const change of breakContractsOf(await this.d.contracts.listLive({ peer: site }), site, now)) {
      if (await this.d.contracts.apply(change)) this.d.log(`rsrs: contract ${change.contract.id} broken: site ${site} is dead`);
    }
  }

  /** The replica goes first: if that fails, the contract stays live (holding nothing) and the next pass retries. */
  private async expire(change: ContractChange): Promise<void> {
    await this.removeReplica(change.contract.id);
    if (await this.d.contracts.apply(change)) this.d.log(`rsrs: contract ${change.contract.id} with ${change.contract.peer} expired`);
  }

  /**
   * The provider is told first and the renewal recorded after: if the message cannot go out, the local term is
   * unchanged and the next pass tries again (recorded first, the contract would look renewed here while the
   * provider let it expire under the replica). A repeated ContractRenew only ever extends the provider's term.
   */
  private async renew(c: StoredContract, now: Date): Promise<void> {
    const until = new Date(now.getTime() + this.d.contractDurationMs);
    const change = renew(c, until, now);
    await this.d.outbound.send('ContractRenew', c.peer, { contractId: c.id, serviceId: c.serviceId, expiresAt: until.toISOString() }, { term: INITIAL_TERM });
    await this.d.contracts.apply(change);
  }

  /**
   * A provider's replica goes with its contract's expiry. A broken contract keeps it: the primary may be the one
   * that died, and the replica is what the service has left.
   */
  private async removeReplica(contractId: string): Promise<void> {
    const contract = await this.d.contracts.get(contractId);
    if (contract?.role !== 'provider' || !contract.localServiceId) return;
    if (await this.d.services.get(contract.localServiceId)) await this.d.deleteService(contract.localServiceId);
  }

  private async step(contractId: string, what: string, run: () => Promise<void>): Promise<void> {
    try {
      await run();
    } catch (err) {
      this.d.log(`rsrs: could not ${what} contract ${contractId} (next sweep retries): ${String(err)}`);
    }
  }
}
