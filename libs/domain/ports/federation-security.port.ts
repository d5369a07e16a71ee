/**
 * What the RS-RS protocol layer needs from the outside to check and sign messages (docs/rsrs-protocol.md).
 * Owned by libs/domain/federation/protocol (inbound checks) and the application's inbound gate and outbound
 * sealing; adapters in libs/adapters/federation (Ajv, node:crypto Ed25519, memory) and libs/adapters/postgres.
 */
import { type ErrorDetail } from '../shared/domain-error';

/**
 * Validates a parsed RS-RS message against the JSON Schema of its envelope and of its `type`
 * (schemas/rsrs/). Returns every violation found, each with the JSON Pointer of the offending value; an empty
 * list means valid. Unknown members are allowed by the schemas (newer minors add optional fields).
 */
export interface MessageSchemaValidator {
  validate(message: unknown): ErrorDetail[];
}

/** Signs with this site's Ed25519 private key. */
export interface MessageSigner {
  /** This site's public key, as the federation file writes it (base64url of the raw 32 bytes). */
  readonly publicKey: string;
  /** The Ed25519 signature of `bytes`, base64url without padding (86 characters). */
  sign(bytes: Uint8Array): string;
}

/** Checks Ed25519 signatures against a sender's public key. */
export interface SignatureVerifier {
  /**
   * True only when `signature` (base64url, no padding, canonical: no stray bits) is a valid signature of
   * `bytes` by `publicKey` (base64url of the raw 32-byte key). Any malformed input is false, never an error.
   */
  verify(publicKey: string, bytes: Uint8Array, signature: string): boolean;
}

/**
 * The replay guard: ids of messages already accepted, kept at least as long as the clock window lets a copy
 * of them in (see docs/rsrs-protocol.md, "Clock window and replays"). Must be atomic: of two concurrent
 * `remember` calls for one message, exactly one answers true.
 */
export interface SeenMessages {
  /** Records message `id` from site `from`; true the first time, false when it was already recorded. */
  remember(id: string, from: string, sentAt: Date): Promise<boolean>;
  /**
   * Drops one record: the message passed every check but could not be handled (a transient failure), so the
   * bus's redelivery of that same message must pass the replay check again.
   */
  forget(id: string, from: string): Promise<void>;
  /** Drops the records of messages sent before `instant`; answers how many were dropped. */
  forgetBefore(instant: Date): Promise<number>;
}
