import { randomBytes } from 'node:crypto';
import { type BrokerConfig } from '@reservoir/config';
import { type PeerKeys } from '@reservoir/domain/federation/protocol/federation';
import { type CheckpointStore } from '@reservoir/domain/ports/checkpoint-store.port';
import { type Clock } from '@reservoir/domain/ports/clock.port';
import { type SeenMessages, type SignatureVerifier } from '@reservoir/domain/ports/federation-security.port';
import { loadFederationSettings } from '@reservoir/adapters/federation/load-federation';
import { Ed25519Verifier } from '@reservoir/adapters/federation/ed25519';
import { TypeormContractStore } from '@reservoir/adapters/postgres/typeorm-contract.store';
import { TypeormSeenMessages } from '@reservoir/adapters/postgres/typeorm-seen-messages';
import { type DeployDeps } from '@reservoir/application/deploy/deploy-deps';
import { CheckpointReceiver } from '@reservoir/application/federation/checkpoint-receiver';
import { CheckpointShipper } from '@reservoir/application/federation/checkpoint-shipper';
import { sha256Hex } from '@reservoir/application/protection/checkpoint-deps';
import { type Infrastructure } from '../infrastructure';
import { fetchTransport } from './fetch-transport';

/** DI token of the site's {@link DataChannel}, or null for a broker that runs alone. */
export const DATA_CHANNEL = Symbol('DATA_CHANNEL');

/**
 * The site-to-site HTTP data channel (docs/rsrs-protocol.md, "Data channel"): what the receiving controller needs to
 * authenticate and store shipments, and the shipper that sends this site's checkpoints to its replica sites.
 */
export interface DataChannel {
  receiver: CheckpointReceiver;
  shipper: CheckpointShipper;
  peers: PeerKeys;
  verifier: SignatureVerifier;
  seen: SeenMessages;
  clock: Clock;
  clockWindowMs: number;
  /** Largest file accepted (RESERVOIR_DATA_MAX_BYTES). */
  maxBytes: number;
}

/** The data channel of a federated site (key and federation files set), else undefined. */
export function createDataChannel(
  config: BrokerConfig,
  infra: Infrastructure,
  deps: { deploy: DeployDeps; checkpoints: CheckpointStore; replicaSites(serviceId: string): Promise<string[]> },
  log: (line: string) => void,
): DataChannel | undefined {
  const settings = loadFederationSettings(config);
  if (!settings || !config.federation) return undefined;
  const { deploy, checkpoints } = deps;
  const endpoints = new Map(settings.federation.sites.map((s) => [s.id, s.endpoint]));
  const receiver = new CheckpointReceiver({
    siteId: config.siteId, dir: config.checkpoints.dir, keep: config.checkpoints.keep,
    contracts: new TypeormContractStore(infra.dataSource), hosts: deploy.hosts, connections: deploy.connections,
    checkpoints, sha256: sha256Hex, clock: deploy.clock, log,
  });
  const shipper = new CheckpointShipper({
    siteId: config.siteId, signer: settings.signer, replicaSites: deps.replicaSites, endpoint: (site) => endpoints.get(site),
    checkpoints, hosts: deploy.hosts, connections: deploy.connections, transport: fetchTransport, sha256: sha256Hex,
    nonce: () => randomBytes(18).toString('base64url'), clock: deploy.clock, log,
  });
  return {
    receiver, shipper, peers: settings.peers, verifier: new Ed25519Verifier(), seen: new TypeormSeenMessages(infra.dataSource),
    clock: deploy.clock, clockWindowMs: settings.clockWindowMs, maxBytes: config.federation.dataMaxBytes,
  };
}
