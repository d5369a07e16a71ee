/**
 * At a replica site: tells the primary how its replica is doing (ReplicaStatus) whenever that changes — the
 * replica service's phase and each VEE's tier, phase and role. Called on every service event of this site and
 * on the keeper's period, so a change the events miss (a VEE that crashed and came back) still gets reported.
 */
import { type ReplicaPhase, type ReplicaStatusBody } from '@reservoir/domain/federation/protocol/envelope';
import { type ContractStore } from '@reservoir/domain/ports/contract-store.port';
import { type ServiceStore } from '@reservoir/domain/ports/service-store.port';
import { type VeeStore } from '@reservoir/domain/ports/vee-store.port';
import { type ServiceRecord } from '@reservoir/domain/service/service-record';
import { type VeeRecord } from '@reservoir/domain/vee/vee-record';
import { type OutboundMessages } from './outbound';
import { INITIAL_TERM } from './replica-negotiator';

export interface ReplicaReporterDeps {
  contracts: Pick<ContractStore, 'listLive' | 'get'>;
  services: Pick<ServiceStore, 'get'>;
  vees: Pick<VeeStore, 'listByService'>;
  outbound: Pick<OutboundMessages, 'send'>;
  log: (line: string) => void;
}

/** The replica's phase as the primary sees it. */
export function replicaPhaseOf(service: ServiceRecord | undefined, vees: readonly VeeRecord[]): ReplicaPhase {
  if (!service || service.phase === 'deleted' || service.phase === 'deleting') return 'released';
  if (service.phase === 'failed') return 'failed';
  if (service.phase !== 'running' && service.phase !== 'degraded') return 'deploying';
  return vees.some((v) => v.role === 'active' && v.phase === 'running') ? 'running' : 'standby';
}

export class ReplicaReporter {
  /** Last status sent per contract (JSON), so only changes go out. */
  private readonly sent = new Map<string, string>();

  constructor(private readonly d: ReplicaReporterDeps) {}

  /** Reports the replica of `serviceId` (a local service) if it is one and its status changed. */
  async reportService(service: ServiceRecord): Promise<void> {
    if (!service.replicaOf) return;
    const contract = await this.d.contracts.get(service.replicaOf.contractId);
    if (contract?.role !== 'provider') return;
    await this.report(contract.id, contract.peer, service.replicaOf.serviceId, service.id);
  }

  /** Every live provider contract with a deployed replica. */
  async reportAll(): Promise<void> {
    for (const c of await this.d.contracts.listLive({ role: 'provider' })) {
      if (c.localServiceId) await this.report(c.id, c.peer, c.serviceId, c.localServiceId);
    }
  }

  private async report(contractId: string, primary: string, primaryServiceId: string, localServiceId: string): Promise<void> {
    const service = await this.d.services.get(localServiceId);
    const vees = service ? (await this.d.vees.listByService(localServiceId)).filter((v) => v.phase !== 'deleted') : [];
    const body: ReplicaStatusBody = {
      contractId,
      serviceId: primaryServiceId,
      phase: replicaPhaseOf(service, vees),
      vees: vees.map((v) => ({ tier: v.tier, phase: v.phase, role: v.role })).sort((a, b) => a.tier.localeCompare(b.tier) || a.phase.localeCompare(b.phase)),
    };
    const text = JSON.stringify(body);
    if (this.sent.get(contractId) === text) return;
    await this.d.outbound.send('ReplicaStatus', primary, body, { term: INITIAL_TERM });
    this.sent.set(contractId, text);
  }
}
