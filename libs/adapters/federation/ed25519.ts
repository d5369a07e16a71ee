/**
 * Ed25519 with node:crypto (docs/rsrs-protocol.md, "Keys and configuration").
 *
 * Encodings, chosen once for the whole federation:
 *  - private key: a PEM file holding PKCS#8 ("-----BEGIN PRIVATE KEY-----"), what OpenSSL and node write;
 *  - public key: base64url without padding of the raw 32-byte key (RFC 8032), 43 characters, which fits on one
 *    line of the federation file and is the `x` of the key's JWK (RFC 8037);
 *  - signature: base64url without padding of the 64-byte signature, 86 characters.
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject, sign, verify } from 'node:crypto';
import { PUBLIC_KEY_PATTERN } from '@reservoir/domain/federation/protocol/federation';
import { type MessageSigner, type SignatureVerifier } from '@reservoir/domain/ports/federation-security.port';

const SIGNATURE = /^[A-Za-z0-9_-]{85}[AQgw]$/;
/** DER of a PKCS#8 Ed25519 private key up to its 32-byte seed (RFC 8410). */
const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

export interface GeneratedKeyPair {
  /** PKCS#8 PEM, for the site's key file. */
  privateKeyPem: string;
  /** Base64url of the raw public key, for the federation file. */
  publicKey: string;
}

export function generateSiteKeyPair(): GeneratedKeyPair {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return { privateKeyPem: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(), publicKey: rawPublicKey(publicKey) };
}

/** The private key whose RFC 8032 seed is `seed` (32 bytes): deterministic keys for tests and documented examples. */
export function privateKeyFromSeed(seed: Uint8Array): KeyObject {
  if (seed.length !== 32) throw new Error(`an Ed25519 seed is 32 bytes, not ${seed.length}`);
  return createPrivateKey({ key: Buffer.concat([PKCS8_ED25519_PREFIX, seed]), format: 'der', type: 'pkcs8' });
}

/** Reads a PEM PKCS#8 Ed25519 private key; throws an Error saying what is wrong with it. */
export function parsePrivateKeyPem(pem: string): KeyObject {
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: pem, format: 'pem' });
  } catch {
    throw new Error('is not a PEM private key (expected "-----BEGIN PRIVATE KEY-----", PKCS#8)');
  }
  if (key.asymmetricKeyType !== 'ed25519') {
    throw new Error(`holds a${key.asymmetricKeyType ? `n ${key.asymmetricKeyType}` : 'n unknown'} key; Reservoir site keys are Ed25519`);
  }
  return key;
}

/** Base64url of the raw 32 bytes of a public key, or of the public half of a private key. */
export function rawPublicKey(key: KeyObject): string {
  const jwk = (key.type === 'private' ? createPublicKey(key) : key).export({ format: 'jwk' });
  if (jwk.crv !== 'Ed25519' || typeof jwk.x !== 'string') throw new Error('not an Ed25519 key');
  return jwk.x;
}

/** A public key from its federation-file form; throws when the text is not one. */
export function publicKeyFromRaw(publicKey: string): KeyObject {
  if (!PUBLIC_KEY_PATTERN.test(publicKey)) throw new Error('is not base64url of a raw 32-byte Ed25519 public key (43 characters)');
  return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: publicKey }, format: 'jwk' });
}

/** Signs with this site's private key. */
export class Ed25519Signer implements MessageSigner {
  readonly publicKey: string;

  constructor(private readonly privateKey: KeyObject) {
    this.publicKey = rawPublicKey(privateKey);
  }

  static fromPem(pem: string): Ed25519Signer {
    return new Ed25519Signer(parsePrivateKeyPem(pem));
  }

  sign(bytes: Uint8Array): string {
    return sign(null, bytes, this.privateKey).toString('base64url');
  }

  /** The private key as a key file holds it (PEM PKCS#8). */
  privateKeyPem(): string {
    return this.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
  }
}

/** Verifies against federation-file public keys; keys are decoded once and cached. */
export class Ed25519Verifier implements SignatureVerifier {
  private readonly keys = new Map<string, KeyObject | null>();

  verify(publicKey: string, bytes: Uint8Array, signature: string): boolean {
    // The pattern also refuses non-canonical base64url (stray bits in the last character), so one signature
    // has exactly one spelling.
    if (!SIGNATURE.test(signature)) return false;
    const key = this.key(publicKey);
    if (key === null) return false;
    try {
      return verify(null, bytes, key, Buffer.from(signature, 'base64url'));
    } catch {
      return false;
    }
  }

  private key(publicKey: string): KeyObject | null {
    let key = this.keys.get(publicKey);
    if (key === undefined) {
      try {
        key = publicKeyFromRaw(publicKey);
      } catch {
        key = null;
      }
      if (this.keys.size >= 1024) this.keys.clear();
      this.keys.set(publicKey, key);
    }
    return key;
  }
}
