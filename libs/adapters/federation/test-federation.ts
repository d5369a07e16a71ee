/**
 * A federation of sites with deterministic keys, for tests, benchmarks and the documented examples: site `X`'s
 * key is derived from SHA-256("reservoir-test-key:X"), so every run (and docs/rsrs-protocol.md) sees the same
 * public keys and, Ed25519 being deterministic, the same signatures. Never use these keys for a real site.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Envelope, type MessageType, PROTOCOL_VERSION, type UnsignedEnvelope } from '@reservoir/domain/federation/protocol/envelope';
import { type Federation, type PeerKeys, peerKeys } from '@reservoir/domain/federation/protocol/federation';
import { signEnvelope } from '@reservoir/domain/federation/protocol/signing';
import { Ed25519Signer, privateKeyFromSeed } from './ed25519';

export class TestFederation {
  readonly federation: Federation;
  readonly peers: PeerKeys;
  private readonly signers = new Map<string, Ed25519Signer>();

  constructor(siteIds: readonly string[], endpoints: Readonly<Record<string, string>> = {}) {
    for (const id of siteIds) this.signers.set(id, TestFederation.signerFor(id));
    this.federation = {
      sites: siteIds.map((id) => ({ id, publicKey: this.signer(id).publicKey, ...(endpoints[id] ? { endpoint: endpoints[id] } : {}) })),
    };
    this.peers = peerKeys(this.federation);
  }

  /** The deterministic signer of site `id`, whether or not it is in this federation (e.g. an outsider). */
  static signerFor(id: string): Ed25519Signer {
    return new Ed25519Signer(privateKeyFromSeed(createHash('sha256').update(`reservoir-test-key:${id}`).digest()));
  }

  signer(id: string): Ed25519Signer {
    const signer = this.signers.get(id);
    if (!signer) throw new Error(`site '${id}' is not in this test federation`);
    return signer;
  }

  /** Signs `unsigned` with its sender's key (an outsider's own deterministic key), or with `by`, to forge. */
  sign<T extends MessageType>(unsigned: UnsignedEnvelope<T>, by?: Ed25519Signer): Envelope<T> {
    return signEnvelope(unsigned, by ?? this.signers.get(unsigned.from) ?? TestFederation.signerFor(unsigned.from));
  }

  /** A signed envelope with defaults for everything but type, from, to and body. */
  message<T extends MessageType>(fields: Pick<UnsignedEnvelope<T>, 'type' | 'from' | 'to' | 'body'> & Partial<UnsignedEnvelope<T>>): Envelope<T> {
    const id = fields.id ?? '6f1c2a4e-0b7d-4c1e-9a53-1d2e3f405162';
    return this.sign({ v: PROTOCOL_VERSION, id, sentAt: '2026-03-02T10:00:00.000Z', correlationId: id, ...fields } as UnsignedEnvelope<T>);
  }

  /**
   * Writes DIR/<site>.key (mode 0600) for every site and DIR/federation.json, as `reservoir keygen` and an
   * operator would; answers their paths.
   */
  writeFiles(dir: string): { keyFiles: Record<string, string>; federationFile: string } {
    mkdirSync(dir, { recursive: true });
    const keyFiles: Record<string, string> = {};
    for (const [id, signer] of this.signers) {
      keyFiles[id] = join(dir, `${id}.key`);
      writeFileSync(keyFiles[id], signer.privateKeyPem(), { mode: 0o600 });
    }
    const federationFile = join(dir, 'federation.json');
    writeFileSync(federationFile, `${JSON.stringify(this.federation, null, 2)}\n`);
    return { keyFiles, federationFile };
  }
}
