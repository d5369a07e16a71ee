/**
 * The canonical encoding that RS-RS signatures cover (docs/rsrs-protocol.md, "Canonical encoding").
 *
 * It follows RFC 8785 (JSON Canonicalization Scheme) for the JSON that RS-RS messages contain: object members
 * sorted by key, compared as UTF-16 code units, at every depth; no whitespace; strings escaped as ECMAScript's
 * `JSON.stringify` does; numbers in ECMAScript's shortest round-trip form (`-0` is written `0`). Members whose
 * value is `undefined` are left out, as `JSON.stringify` leaves them out. Values JSON cannot carry faithfully
 * (NaN, ±Infinity, bigint, functions, symbols, `undefined` inside an array) are refused with a
 * {@link CanonicalEncodingError}: a sender must never sign something the receiver would decode differently.
 *
 * The bytes signed are the UTF-8 encoding of that text, for the envelope without its `sig` member (every other
 * member, including ones this version does not know, so a newer minor's fields are covered too).
 */
import { type UnsignedEnvelope } from './envelope';

/** A value cannot be encoded canonically; `path` is a JSON Pointer to it. */
export class CanonicalEncodingError extends Error {
  constructor(
    readonly path: string,
    reason: string,
  ) {
    super(`cannot encode ${path || '/'} canonically: ${reason}`);
    this.name = 'CanonicalEncodingError';
  }
}

/** The canonical JSON text of `value` (see the file comment). */
export function canonicalJson(value: unknown): string {
  return encode(value, '');
}

/**
 * The canonical text of an envelope without its signature: every member but `sig`, whatever else it holds.
 * Accepts a parsed received message as well as an {@link UnsignedEnvelope}.
 */
export function canonicalEnvelopeText(envelope: UnsignedEnvelope | Readonly<Record<string, unknown>>): string {
  const unsigned: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(envelope)) if (key !== 'sig') unsigned[key] = value;
  return canonicalJson(unsigned);
}

/** The bytes a signature covers: UTF-8 of {@link canonicalEnvelopeText}. */
export function canonicalEnvelopeBytes(envelope: UnsignedEnvelope | Readonly<Record<string, unknown>>): Uint8Array {
  return new TextEncoder().encode(canonicalEnvelopeText(envelope));
}

function encode(value: unknown, path: string): string {
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      if (!Number.isFinite(value)) throw new CanonicalEncodingError(path, `${value} is not a finite number`);
      return JSON.stringify(value);
    case 'object':
      if (value === null) return 'null';
      return Array.isArray(value) ? encodeArray(value, path) : encodeObject(value as Record<string, unknown>, path);
    default:
      throw new CanonicalEncodingError(path, `a ${typeof value} is not JSON`);
  }
}

function encodeArray(items: readonly unknown[], path: string): string {
  const parts = items.map((item, i) => {
    if (item === undefined) throw new CanonicalEncodingError(`${path}/${i}`, 'undefined inside an array');
    return encode(item, `${path}/${i}`);
  });
  return `[${parts.join(',')}]`;
}

function encodeObject(object: Record<string, unknown>, path: string): string {
  const proto = Object.getPrototypeOf(object) as unknown;
  if (proto !== Object.prototype && proto !== null) throw new CanonicalEncodingError(path, 'only plain objects are JSON');
  // Default sort compares UTF-16 code units, as RFC 8785 section 3.2.3 requires.
  const keys = Object.keys(object).filter((k) => object[k] !== undefined).sort();
  const members = keys.map((k) => `${JSON.stringify(k)}:${encode(object[k], `${path}/${escapePointer(k)}`)}`);
  return `{${members.join(',')}}`;
}

function escapePointer(key: string): string {
  return key.replace(/~/g, '~0').replace(/\//g, '~1');
}
