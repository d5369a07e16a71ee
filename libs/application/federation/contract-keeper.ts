/**
 * The contracts' clock: on each period, contracts past their term expire (a provider then removes the replica it
 * ran, a consumer looks for another site), a consumer renews an active contract when less than half its term is
 * left, and a peer declared dead breaks every contract with it.
 */
import { breakContractsOf, expireDue, renew } from '@reservoir/domain/federation/contracts';
import { type Clock } from '@reservoir/domain/ports/clock.port';
import { type ContractStore } from '@reservoir/domain/ports/contract-store.port';
import { type ServiceStore } from '@reservoir/domain/ports/service-store.port';
import { type OutboundMessages } from './outbound';
import { INITIAL_TERM } from './replica-negotiator';

export interface ContractKeeperDeps {
  contracts: ContractStore;
  services: Pick<ServiceStore, 'get'>;
  outbound: Pick<OutboundMessages, 'send'>;
  clock: Clock;
  contractDurationMs: number;
  deleteService(id: string): Promise<void>;
  log: (line: string) => void;
}

export class ContractKeeper {
  constructor(private readonly d: ContractKeeperDeps) {}

  async sweep(): Promise<void> {
    const now = this.d.clock.now();
    const live = await this.d.contracts.listLive();
    for (const change of expireDue(live, now)) {
      if (!(await this.d.contracts.apply(change))) continue;
      this.d.log(`rsrs: contract ${change.contract.id} with ${change.contract.peer} expired`);
      await this.removeReplica(change.contract.id);
    }
    for (const c of await this.d.contracts.listLive({ role: 'consumer' })) {
      if (c.phase !== 'active' || c.expiresAt.getTime() - now.getTime() > this.d.contractDurationMs / 2) continue;
      const until = new Date(now.getTime() + this.d.contractDurationMs);
      if (!(await this.d.contracts.apply(renew(c, until, now)))) continue;
      await this.d.outbound.send('ContractRenew', c.peer, { contractId: c.id, serviceId: c.serviceId, expiresAt: until.toISOString() }, { term: INITIAL_TERM });
    }
  }

  /** The failure detector declared `site` dead: its contracts are broken (the replicas it ran for us are gone). */
  async peerDead(site: string): Promise<void> {
    const now = this.d.clock.now();
    for (const change of breakContractsOf(await this.d.contracts.listLive({ peer: site }), site, now)) {
      if (await this.d.contracts.apply(change)) this.d.log(`rsrs: contract ${change.contract.id} broken: site ${site} is dead`);
    }
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
}
