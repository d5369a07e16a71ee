/**
 * Authentication of the site-to-site HTTP data channel (docs/rsrs-protocol.md, "Data channel"): every request is
 * signed by the sending site with its Ed25519 site key over a canonical string of the request, and the receiver
 * checks it before it stores anything. Pure: signing and verifying go through the ports, the replay store too.
 *
 * Checks, in this order (the first failure decides):
 *
 *   headers well-formed → sender known → signature → clock window → replay (nonce) … and, once the body is in,
 *   body digest = signed `x-reservoir-content-sha256`
 *
 * As for RS-RS messages, the nonce is recorded only after the signature and the clock window passed, so a forged
 * request can never burn the nonce of a genuine one.
 */
import { type PeerKeys, SITE_ID_PATTERN } from './federation';
import { parseInstant } from './instant';
import { type MessageSigner, type SeenMessages, type SignatureVerifier } from '../../ports/federation-security.port';

/** The request headers of the data channel (lower case, as Node hands them out). */
export const DATA_HEADERS = {
  site: 'x-reservoir-site',
  date: 'x-reservoir-date',
  nonce: 'x-reservoir-nonce',
  contentSha256: 'x-reservoir-content-sha256',
  signature: 'x-reservoir-signature',
} as const;

/** First line of the canonical string: the scheme and its version. */
export const DATA_CHANNEL_SCHEME = 'RESERVOIR-DATA-1';

const NONCE = /^[A-Za-z0-9_-]{16,128}$/;
const SHA256_HEX = /^[0-9a-f]{64}$/;
const SIGNATURE = /^[A-Za-z0-9_-]{86}$/;
const PATH = /^\/[\x21-\x7e]*$/;

/** What a signature covers. `path` is the request target as sent: path and query, percent-encoded, no host. */
export interface DataRequest {
  method: string;
  path: string;
  /** The sending site. */
  site: string;
  /** When it was signed: an RS-RS instant (ISO 8601 UTC). */
  date: string;
  /** Fresh per request (16-128 of A-Z a-z 0-9 _ -): the replay guard's key. */
  nonce: string;
  /** sha256 of the request body (of the empty string when there is none), 64 lower-case hex digits. */
  contentSha256: string;
}

/**
 * The canonical string: seven lines joined by '\n' (no trailing newline): the scheme, the method in upper case,
 * the path, the site, the date, the nonce, the content digest. No field may contain a line break (the checks
 * refuse them), so two different requests never share a canonical string.
 */
export function canonicalDataRequest(r: DataRequest): string {
  return [DATA_CHANNEL_SCHEME, r.method.toUpperCase(), r.path, r.site, r.date, r.nonce, r.contentSha256].join('\n');
}

/** The headers that authenticate `r`, signed with this site's key. */
export function signDataRequest(r: DataRequest, signer: MessageSigner): Record<string, string> {
  return {
    [DATA_HEADERS.site]: r.site,
    [DATA_HEADERS.date]: r.date,
    [DATA_HEADERS.nonce]: r.nonce,
    [DATA_HEADERS.contentSha256]: r.contentSha256,
    [DATA_HEADERS.signature]: signer.sign(new TextEncoder().encode(canonicalDataRequest(r))),
  };
}

/** Why a data-channel request was refused; the edge maps each to a status (see the protocol doc). */
export type DataAuthRefusal = 'missing-header' | 'unknown-site' | 'bad-signature' | 'outside-clock-window' | 'replay' | 'content-mismatch';

export type DataAuthDecision = { ok: true; request: DataRequest } | { ok: false; reason: DataAuthRefusal; detail: string };

export interface DataAuthContext {
  /** Every site of the federation and its public key. */
  peers: PeerKeys;
  verifier: SignatureVerifier;
  /** The receiver's clock at receipt. */
  now: Date;
  /** How far the date may be from `now`, either way (RESERVOIR_CLOCK_WINDOW_MS). */
  clockWindowMs: number;
}

/** Header lookup: one value per name, undefined when absent (a repeated header is refused as missing). */
export type HeaderValues = Readonly<Record<string, string | readonly string[] | undefined>>;

/** Every check but the replay: well-formed headers, a known sender, its valid signature, a date inside the window. */
export function checkDataRequest(method: string, path: string, headers: HeaderValues, ctx: DataAuthContext): DataAuthDecision {
  const parsed = parseHeaders(method, path, headers);
  if (!parsed.ok) return parsed;
  const r = parsed.request;
  const publicKey = ctx.peers.get(r.site);
  if (publicKey === undefined) return refuse('unknown-site', `site '${r.site}' is not in the federation`);
  const signature = single(headers, DATA_HEADERS.signature) ?? '';
  if (!ctx.verifier.verify(publicKey, new TextEncoder().encode(canonicalDataRequest(r)), signature)) {
    return refuse('bad-signature', `the signature is not site '${r.site}''s over this request`);
  }
  const skew = (parseInstant(r.date) as number) - ctx.now.getTime();
  if (Math.abs(skew) > ctx.clockWindowMs) {
    return refuse('outside-clock-window', `date ${r.date} is ${Math.round(Math.abs(skew) / 1000)} s ${skew < 0 ? 'behind' : 'ahead of'} this site's clock (window ${ctx.clockWindowMs} ms)`);
  }
  return { ok: true, request: r };
}

/** {@link checkDataRequest}, then the replay check: the nonce is recorded, and a nonce seen before is refused. */
export async function authenticateDataRequest(
  method: string, path: string, headers: HeaderValues, ctx: DataAuthContext & { seen: SeenMessages },
): Promise<DataAuthDecision> {
  const decision = checkDataRequest(method, path, headers, ctx);
  if (!decision.ok) return decision;
  const r = decision.request;
  const first = await ctx.seen.remember(dataNonceId(r.nonce), r.site, new Date(parseInstant(r.date) as number));
  return first ? decision : refuse('replay', `nonce ${r.nonce} from site '${r.site}' was already used`);
}

/** The body as received against the signed digest. */
export function checkContentDigest(r: Pick<DataRequest, 'contentSha256'>, receivedSha256: string): DataAuthDecision | undefined {
  return receivedSha256 === r.contentSha256
    ? undefined
    : refuse('content-mismatch', `the body's sha256 is ${receivedSha256}, not ${r.contentSha256} as signed`);
}

/** The id a nonce is remembered under in the replay store (apart from RS-RS message ids). */
export function dataNonceId(nonce: string): string {
  return `data:${nonce}`;
}

function parseHeaders(method: string, path: string, headers: HeaderValues): { ok: true; request: DataRequest } | { ok: false; reason: DataAuthRefusal; detail: string } {
  const site = single(headers, DATA_HEADERS.site);
  const date = single(headers, DATA_HEADERS.date);
  const nonce = single(headers, DATA_HEADERS.nonce);
  const contentSha256 = single(headers, DATA_HEADERS.contentSha256);
  const signature = single(headers, DATA_HEADERS.signature);
  const bad: string[] = [];
  if (site === undefined || !SITE_ID_PATTERN.test(site)) bad.push(`${DATA_HEADERS.site} (a site id)`);
  if (date === undefined || parseInstant(date) === undefined) bad.push(`${DATA_HEADERS.date} (an ISO 8601 UTC instant)`);
  if (nonce === undefined || !NONCE.test(nonce)) bad.push(`${DATA_HEADERS.nonce} (16-128 of A-Z a-z 0-9 _ -)`);
  if (contentSha256 === undefined || !SHA256_HEX.test(contentSha256)) bad.push(`${DATA_HEADERS.contentSha256} (64 lower-case hex digits)`);
  if (signature === undefined || !SIGNATURE.test(signature)) bad.push(`${DATA_HEADERS.signature} (base64url Ed25519 signature)`);
  if (!/^[A-Z]{1,16}$/.test(method.toUpperCase()) || !PATH.test(path)) bad.push('request line');
  if (bad.length > 0) return refuse('missing-header', `missing or malformed: ${bad.join(', ')}`);
  return { ok: true, request: { method: method.toUpperCase(), path, site: site as string, date: date as string, nonce: nonce as string, contentSha256: contentSha256 as string } };
}

function single(headers: HeaderValues, name: string): string | undefined {
  const value = headers[name];
  return typeof value === 'string' ? value : undefined;
}

function refuse(reason: DataAuthRefusal, detail: string): { ok: false; reason: DataAuthRefusal; detail: string } {
  return { ok: false, reason, detail };
}
