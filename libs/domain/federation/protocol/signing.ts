/**
 * Signing and verifying envelopes: Ed25519 (through the ports) over {@link canonicalEnvelopeBytes}, the
 * envelope without its `sig`. See docs/rsrs-protocol.md, "Signature".
 */
import { canonicalEnvelopeBytes } from './canonical';
import { type Envelope, type MessageType, type UnsignedEnvelope } from './envelope';
import { type MessageSigner, type SignatureVerifier } from '../../ports/federation-security.port';

export function signEnvelope<T extends MessageType>(unsigned: UnsignedEnvelope<T>, signer: MessageSigner): Envelope<T> {
  return { ...unsigned, sig: signer.sign(canonicalEnvelopeBytes(unsigned)) } as Envelope<T>;
}

/** True when `envelope.sig` is the signature of the rest of it by `publicKey`; false also when it cannot be encoded. */
export function verifyEnvelope(envelope: Envelope | Readonly<Record<string, unknown>>, publicKey: string, verifier: SignatureVerifier): boolean {
  const sig = (envelope as { sig?: unknown }).sig;
  if (typeof sig !== 'string') return false;
  let bytes: Uint8Array;
  try {
    bytes = canonicalEnvelopeBytes(envelope as Readonly<Record<string, unknown>>);
  } catch {
    return false;
  }
  return verifier.verify(publicKey, bytes, sig);
}
