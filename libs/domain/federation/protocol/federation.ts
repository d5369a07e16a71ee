/**
 * The federation as a site knows it: every site's id, Ed25519 public key and HTTP endpoint, from the federation
 * file (RESERVOIR_FEDERATION_FILE, docs/rsrs-protocol.md "Keys and configuration"). A receiver accepts messages
 * only from sites listed here, checked against the key listed here.
 */

/** Site ids: 1-63 of a-z, 0-9 and -, starting with a letter (the same rule as RESERVOIR_SITE_ID). */
export const SITE_ID_PATTERN = /^[a-z][a-z0-9-]{0,62}$/;

/**
 * An Ed25519 public key as the federation file writes it: base64url without padding of the raw 32-byte key
 * (RFC 8032), so 43 characters; the last one carries 2 unused bits, which must be zero.
 */
export const PUBLIC_KEY_PATTERN = /^[A-Za-z0-9_-]{42}[AEIMQUYcgkosw048]$/;

export interface FederationSite {
  id: string;
  /** Base64url of the raw 32-byte Ed25519 public key ({@link PUBLIC_KEY_PATTERN}). */
  publicKey: string;
  /** The site's HTTP base URL (bulk data channel, API), when it has one. */
  endpoint?: string;
}

export interface Federation {
  sites: FederationSite[];
}

/** Site id → public key: what the inbound checks need to know about peers. */
export type PeerKeys = ReadonlyMap<string, string>;

export function peerKeys(federation: Federation): PeerKeys {
  return new Map(federation.sites.map((s) => [s.id, s.publicKey]));
}
