import { randomUUID } from 'node:crypto';
import { type BrokerConfig } from '@reservoir/config';
import { resolveLivenessSettings } from '@reservoir/domain/federation/liveness';
import { type Clock, type IdGenerator } from '@reservoir/domain/ports/clock.port';
import { loadFederationSettings } from '@reservoir/adapters/federation/load-federation';
import { AjvMessageValidator } from '@reservoir/adapters/federation/ajv-message-validator';
import { Ed25519Verifier } from '@reservoir/adapters/federation/ed25519';
import { TypeormContractStore } from '@reservoir/adapters/postgres/typeorm-contract.store';
import { TypeormSeenMessages } from '@reservoir/adapters/postgres/typeorm-seen-messages';
import { type DeployDeps } from '@reservoir/application/deploy/deploy-deps';
import { type DeleteService } from '@reservoir/application/deploy/delete-service';
import { FederatedSite } from '@reservoir/application/federation/federated-site';
import { type SubmitService } from '@reservoir/application/services/submit-service';
import { type UpdateTier } from '@reservoir/application/deploy/update-tier';
import { type Infrastructure } from '../infrastructure';

/**
 * The site's federation part when RESERVOIR_SITE_KEY_FILE and RESERVOIR_FEDERATION_FILE are set, else undefined
 * (a broker that runs alone). Reads the key and federation files now: a wrong file stops the broker at boot.
 */
export function createFederatedSite(
  config: BrokerConfig,
  infra: Infrastructure,
  deps: { deploy: DeployDeps; submit: SubmitService; remove: DeleteService; update: UpdateTier; clock: Clock; ids: IdGenerator },
  log: (line: string) => void,
): FederatedSite | undefined {
  const settings = loadFederationSettings(config);
  const f = config.federation;
  if (!settings || !f) return undefined;
  return new FederatedSite({
    siteId: config.siteId,
    peers: settings.peers,
    signer: settings.signer,
    verifier: new Ed25519Verifier(),
    schema: new AjvMessageValidator(),
    seen: new TypeormSeenMessages(infra.dataSource),
    clockWindowMs: settings.clockWindowMs,
    bus: infra.bus,
    clock: deps.clock,
    ids: deps.ids,
    contracts: new TypeormContractStore(infra.dataSource),
    services: deps.deploy.services,
    vees: deps.deploy.vees,
    hosts: deps.deploy.hosts,
    liveness: resolveLivenessSettings({
      heartbeatIntervalMs: f.heartbeatMs, suspectAfterMissed: f.suspectAfterBeats, deadAfterMs: f.deadAfterMs, aliveAfterGoodBeats: f.aliveAfterBeats,
    }),
    negotiation: {
      cfpWindowMs: f.cfpWindowMs,
      contractDurationMs: f.contractTermMs,
      policy: { preference: f.preference, distanceClass: f.distanceClass, currency: f.prices.currency },
    },
    priceList: { vcpuHour: f.prices.vcpuHour, memoryGiBHour: f.prices.memoryGiBHour, diskGiBHour: f.prices.diskGiBHour, currency: f.prices.currency },
    keeperPeriodMs: Math.max(200, f.heartbeatMs),
    incarnation: randomUUID(),
    submitReplica: (manifest, replicaOf) => deps.submit.execute(manifest, { replicaOf }),
    deleteService: (id) => deps.remove.execute(id),
    applyUpdate: async (id, tier, update, revision) => {
      await deps.update.execute(id, tier, update, { revision, by: 'peer' });
    },
    log,
  });
}
