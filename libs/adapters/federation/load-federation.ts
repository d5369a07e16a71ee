/**
 * Everything a federated site needs for RS-RS security, read once at boot from the files the configuration
 * names (libs/config: RESERVOIR_SITE_KEY_FILE, RESERVOIR_FEDERATION_FILE, RESERVOIR_CLOCK_WINDOW_MS).
 */
import { type BrokerConfig, ConfigError } from '@reservoir/config';
import { type Federation, type PeerKeys, peerKeys } from '@reservoir/domain/federation/protocol/federation';
import { type MessageSigner } from '@reservoir/domain/ports/federation-security.port';
import { FEDERATION_FILE_VARIABLE, readFederationFile } from './federation-file';
import { readSiteKeyFile, SITE_KEY_VARIABLE } from './key-files';

export interface FederationSettings {
  siteId: string;
  /** Signs with this site's private key; `signer.publicKey` is this site's entry in the federation file. */
  signer: MessageSigner;
  federation: Federation;
  /** Every site's public key, this site's included. */
  peers: PeerKeys;
  clockWindowMs: number;
}

/**
 * Reads the key and federation files; undefined for a broker that runs alone (neither configured). Throws a
 * ConfigError naming the variable when a file is missing or wrong, when this site is not in the federation
 * file, or when its listed key is not the public half of the key file.
 */
export function loadFederationSettings(config: Pick<BrokerConfig, 'siteId' | 'federation'>): FederationSettings | undefined {
  if (config.federation === undefined) return undefined;
  const { siteKeyFile, federationFile, clockWindowMs } = config.federation;
  const signer = readSiteKeyFile(siteKeyFile);
  const federation = readFederationFile(federationFile);
  const self = federation.sites.find((s) => s.id === config.siteId);
  if (self === undefined) {
    throw new ConfigError([
      `${FEDERATION_FILE_VARIABLE}=${federationFile}: this site '${config.siteId}' (RESERVOIR_SITE_ID) is not listed; add the line \`reservoir keygen\` printed`,
    ]);
  }
  if (self.publicKey !== signer.publicKey) {
    throw new ConfigError([
      `${SITE_KEY_VARIABLE}=${siteKeyFile}: its public key ${signer.publicKey} is not the one ${FEDERATION_FILE_VARIABLE} lists for site '${config.siteId}' (${self.publicKey})`,
    ]);
  }
  return { siteId: config.siteId, signer, federation, peers: peerKeys(federation), clockWindowMs };
}
