/**
 * The decision on receipt of an RS-RS message (docs/rsrs-protocol.md, "Checks on receipt"): pure, with the
 * schema, signature and replay checks behind ports. The checks run in this order and the first failure decides:
 *
 *   size → JSON parse → version → schema → addressee → sender known → signature → own message → clock window
 *   → replay
 *
 * The replay check comes last, after the signature, so a forged or tampered message can never record an id
 * and shut out the genuine message that carries it. A correctly signed message from this site itself (its own
 * broadcast coming back) is reported as `own-message`, which callers ignore without dead-lettering.
 */
import { BROADCAST, type Envelope, PROTOCOL_VERSION } from './envelope';
import { canonicalEnvelopeBytes } from './canonical';
import { type PeerKeys, SITE_ID_PATTERN } from './federation';
import { parseInstant } from './instant';
import { isCompatibleVersion } from './version';
import { type MessageSchemaValidator, type SeenMessages, type SignatureVerifier } from '../../ports/federation-security.port';

/** Why a message was rejected; every one of these is dead-lettered. */
export type RejectReason =
  | 'malformed-json'
  | 'unknown-version'
  | 'invalid-schema'
  | 'misaddressed'
  | 'unknown-sender'
  | 'bad-signature'
  | 'outside-clock-window'
  | 'replay';

/** `own-message`: this site's own message (a broadcast read back); ignored, not dead-lettered. */
export type RefusalReason = RejectReason | 'own-message';

export type InboundDecision =
  | { ok: true; envelope: Envelope }
  | {
      ok: false;
      reason: RefusalReason;
      /** What exactly was wrong, for the dead letter and the log. */
      detail: string;
      /** The `from` the message claims, when it parsed and looks like a site id (unverified unless past the signature). */
      claimedFrom?: string;
    };

/** How far a message's `sentAt` may be from the receiver's clock, either way: 5 minutes. */
export const DEFAULT_CLOCK_WINDOW_MS = 300_000;
/** Largest accepted message, in UTF-8 bytes: 1 MiB, Kafka's default largest record. */
export const DEFAULT_MAX_MESSAGE_BYTES = 1_048_576;

export interface InboundContext {
  /** This site's id. */
  self: string;
  /** Every site of the federation (this one included) and its public key. */
  peers: PeerKeys;
  schema: MessageSchemaValidator;
  verifier: SignatureVerifier;
  seen: SeenMessages;
  /** The receiver's clock at receipt. */
  now: Date;
  /** Default {@link DEFAULT_CLOCK_WINDOW_MS}. */
  clockWindowMs?: number;
  /** Default {@link DEFAULT_MAX_MESSAGE_BYTES}. */
  maxMessageBytes?: number;
}

type Refusal = Extract<InboundDecision, { ok: false }>;

/** Checks one received message (the bus value, as text); never throws for bad input, only when a port fails. */
export async function checkInbound(raw: string, ctx: InboundContext): Promise<InboundDecision> {
  const parsed = parseMessage(raw, ctx.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES);
  if ('reason' in parsed) return parsed;
  const claimedFrom = claimedSender(parsed.message);
  const refused = checkStructure(parsed.message, ctx) ?? checkOrigin(parsed.message as unknown as Envelope, ctx);
  if (refused) return { ...refused, ...(claimedFrom !== undefined ? { claimedFrom } : {}) };
  const envelope = parsed.message as unknown as Envelope;
  if (!(await ctx.seen.remember(envelope.id, envelope.from, new Date(parseInstant(envelope.sentAt) as number)))) {
    return { ok: false, reason: 'replay', detail: `message ${envelope.id} from '${envelope.from}' was already received`, claimedFrom };
  }
  return { ok: true, envelope };
}

function parseMessage(raw: string, maxBytes: number): { message: Record<string, unknown> } | Refusal {
  const size = utf8Length(raw, maxBytes);
  if (size > maxBytes) return { ok: false, reason: 'invalid-schema', detail: `message is larger than ${maxBytes} bytes` };
  let message: unknown;
  try {
    message = JSON.parse(raw);
  } catch (err) {
    return { ok: false, reason: 'malformed-json', detail: err instanceof Error ? err.message : String(err) };
  }
  if (typeof message !== 'object' || message === null || Array.isArray(message)) {
    return { ok: false, reason: 'invalid-schema', detail: '/: a message must be a JSON object' };
  }
  return { message: message as Record<string, unknown> };
}

/** Version, schema and addressee: what can be said about the message without trusting anyone. */
function checkStructure(message: Record<string, unknown>, ctx: InboundContext): Refusal | undefined {
  if (!isCompatibleVersion(message.v)) {
    return { ok: false, reason: 'unknown-version', detail: `version ${JSON.stringify(message.v)} is not ${major(PROTOCOL_VERSION)}.x` };
  }
  const problems = ctx.schema.validate(message);
  if (problems.length > 0) {
    const shown = problems.slice(0, 5).map((p) => `${p.path}: ${p.message}`);
    if (problems.length > shown.length) shown.push(`and ${problems.length - shown.length} more`);
    return { ok: false, reason: 'invalid-schema', detail: shown.join('; ') };
  }
  if (parseInstant(message.sentAt) === undefined) {
    return { ok: false, reason: 'invalid-schema', detail: `/sentAt: ${JSON.stringify(message.sentAt)} is not a real instant` };
  }
  if (message.to !== ctx.self && message.to !== BROADCAST) {
    return { ok: false, reason: 'misaddressed', detail: `addressed to '${String(message.to)}', this is site '${ctx.self}'` };
  }
  return undefined;
}

/** Sender, signature, own message, clock window: who sent it, and when. */
function checkOrigin(envelope: Envelope, ctx: InboundContext): Refusal | undefined {
  const publicKey = ctx.peers.get(envelope.from);
  if (publicKey === undefined) {
    return { ok: false, reason: 'unknown-sender', detail: `site '${envelope.from}' is not in the federation` };
  }
  let bytes: Uint8Array;
  try {
    bytes = canonicalEnvelopeBytes(envelope as unknown as Record<string, unknown>);
  } catch (err) {
    return { ok: false, reason: 'invalid-schema', detail: err instanceof Error ? err.message : String(err) };
  }
  if (!ctx.verifier.verify(publicKey, bytes, envelope.sig)) {
    return { ok: false, reason: 'bad-signature', detail: `signature does not verify with the key of site '${envelope.from}'` };
  }
  if (envelope.from === ctx.self) return { ok: false, reason: 'own-message', detail: `sent by this site (${envelope.type} ${envelope.id})` };
  const windowMs = ctx.clockWindowMs ?? DEFAULT_CLOCK_WINDOW_MS;
  const skewMs = ctx.now.getTime() - (parseInstant(envelope.sentAt) as number);
  if (Math.abs(skewMs) > windowMs) {
    const when = skewMs > 0 ? `${skewMs} ms ago` : `${-skewMs} ms ahead`;
    return { ok: false, reason: 'outside-clock-window', detail: `sent ${when}, outside the ${windowMs} ms window` };
  }
  return undefined;
}

function claimedSender(message: Record<string, unknown>): string | undefined {
  return typeof message.from === 'string' && SITE_ID_PATTERN.test(message.from) ? message.from : undefined;
}

function major(version: string): string {
  return version.split('.')[0] ?? version;
}

/** UTF-8 length of `text`, or any number above `cap` once it is known to exceed it. */
export function utf8Length(text: string, cap = Number.MAX_SAFE_INTEGER): number {
  if (text.length > cap) return text.length;
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit < 0x80) bytes += 1;
    else if (unit < 0x800) bytes += 2;
    else if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      bytes += next >= 0xdc00 && next <= 0xdfff ? 4 : 3;
      if (next >= 0xdc00 && next <= 0xdfff) i++;
    } else bytes += 3;
    if (bytes > cap) return bytes;
  }
  return bytes;
}
