import { resolveManifestLimits, type ManifestLimits } from './limits';
import { type ManifestError } from './service-definition';

/**
 * Result of the checks run on a manifest's raw bytes before any XML parser sees them.
 * `xml` is the decoded text without a byte-order mark and with line ends normalised to LF (so every XML
 * processor counts the same lines); `bytes` is the input's size. `tooLarge` is set only when the size limit was hit,
 * so the HTTP edge can answer 413 instead of 400.
 */
export type PreflightResult =
  | { ok: true; xml: string; bytes: number }
  | { ok: false; errors: ManifestError[]; tooLarge?: true };

const ROOT = '/';
const UTF8 = new TextDecoder('utf-8', { fatal: true });
const DTD_MARKUP = /<!(DOCTYPE|ENTITY)/i;
const DECLARATION_START = /^<\?xml[\s?]/i;
const LATER_DECLARATION = /[^]<\?xml[\s?]/i;
const XML_DECLARATION =
  /^<\?xml\s+version\s*=\s*(["'])1\.[0-9]+\1(?:\s+encoding\s*=\s*(["'])([A-Za-z][A-Za-z0-9._-]*)\2)?(?:\s+standalone\s*=\s*(["'])(?:yes|no)\4)?\s*\?>/;
// Characters outside the XML 1.0 `Char` production (lone surrogates are refused while measuring the size).
// eslint-disable-next-line no-control-regex
const NON_XML_CHAR = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/;

/**
 * Cheap checks on a manifest before parsing: empty body, size over `maxBytes` (checked first, before decoding),
 * not UTF-8, any DTD (`<!DOCTYPE`, `<!ENTITY`, anywhere, any case: no entity can ever be expanded), characters
 * XML forbids, a non-UTF-8 encoding declaration, nesting deeper than `maxDepth`, and text that is not XML at
 * all. Never throws; reports every problem it can see at once (size and encoding problems stop the checks).
 */
export function preflightManifest(input: Uint8Array | string, limits: Partial<ManifestLimits> = {}): PreflightResult {
  const { maxBytes, maxDepth } = resolveManifestLimits(limits);
  const size = typeof input === 'string' ? utf8Length(input, maxBytes) : input.byteLength;
  if (size === 0) return fail('manifest is empty');
  if (size > maxBytes) return { ok: false, errors: [rootError(tooLargeMessage(size, maxBytes))], tooLarge: true };
  if (size < 0) return fail('manifest is not valid Unicode text (lone UTF-16 surrogate)');
  const xml = decode(input);
  if (xml === undefined) return fail('manifest is not valid UTF-8');
  if (xml.trim() === '') return fail('manifest is empty');
  const errors = textProblems(xml, maxDepth);
  return errors.length > 0 ? { ok: false, errors } : { ok: true, xml, bytes: size };
}

function textProblems(xml: string, maxDepth: number): ManifestError[] {
  const errors: ManifestError[] = [];
  const dtd = DTD_MARKUP.exec(xml);
  if (dtd) errors.push(errorAt(xml, dtd.index, `DTDs are not allowed (found '<!${dtd[1]}'); a manifest declares no entities`));
  const bad = NON_XML_CHAR.exec(xml);
  if (bad) errors.push(errorAt(xml, bad.index, `character ${codePoint(bad[0])} is not allowed in XML`));
  errors.push(...declarationProblems(xml));
  if (!xml.trimStart().startsWith('<')) return [...errors, rootError('not XML: a manifest starts with \'<\'')];
  const scan = scanElements(xml, maxDepth);
  if (scan.tooDeepAt !== undefined) {
    errors.push(errorAt(xml, scan.tooDeepAt, `elements are nested deeper than the limit of ${maxDepth} levels`));
  } else if (scan.elements === 0) {
    errors.push(rootError('not XML: no root element'));
  }
  return errors;
}

/**
 * The XML declaration, if any, must come first and be well-formed: version 1.x, then optionally an encoding
 * (which must be UTF-8) and standalone, each once, in that order. A second declaration is an error too.
 */
function declarationProblems(xml: string): ManifestError[] {
  const problems: ManifestError[] = [];
  const later = LATER_DECLARATION.exec(xml);
  if (later) problems.push(errorAt(xml, later.index + 1, 'the XML declaration (<?xml ...?>) must come first in the document, once'));
  if (!DECLARATION_START.test(xml)) return problems;
  const declaration = XML_DECLARATION.exec(xml);
  if (!declaration) return [...problems, { path: ROOT, line: 1, message: 'malformed XML declaration: expected <?xml version="1.0" encoding="UTF-8"?>' }];
  const encoding = declaration[3];
  if (encoding !== undefined && encoding.toLowerCase() !== 'utf-8') {
    problems.push({ path: ROOT, line: 1, message: `encoding must be UTF-8, the XML declaration says '${encoding}'` });
  }
  return problems;
}

/** Outcome of {@link scanElements}: how many start tags were seen, and where the depth limit was first passed. */
interface ElementScan {
  elements: number;
  tooDeepAt?: number;
}

/**
 * Counts start tags and tracks nesting without parsing: skips comments, CDATA, processing instructions and
 * quoted attribute values. Stops at the first element deeper than `maxDepth`. Linear in the input.
 */
export function scanElements(xml: string, maxDepth: number): ElementScan {
  let depth = 0;
  let elements = 0;
  let i = xml.indexOf('<');
  while (i >= 0 && i < xml.length) {
    const next = xml[i + 1];
    if (next === '!' || next === '?') {
      i = skipMarkup(xml, i);
    } else if (next === '/') {
      depth = Math.max(0, depth - 1);
      i = endOf(xml, '>', i + 2);
    } else {
      elements += 1;
      if (depth + 1 > maxDepth) return { elements, tooDeepAt: i };
      const end = tagEnd(xml, i + 1);
      if (xml[end - 1] !== '/') depth += 1;
      i = end + 1;
    }
    i = xml.indexOf('<', i);
  }
  return { elements };
}

function skipMarkup(xml: string, start: number): number {
  if (xml.startsWith('<!--', start)) return endOf(xml, '-->', start + 4);
  if (xml.startsWith('<![CDATA[', start)) return endOf(xml, ']]>', start + 9);
  if (xml[start + 1] === '?') return endOf(xml, '?>', start + 2);
  return endOf(xml, '>', start + 2);
}

/** Index just past `marker` at or after `from`, or the input length when it never comes. */
function endOf(xml: string, marker: string, from: number): number {
  const at = xml.indexOf(marker, from);
  return at < 0 ? xml.length : at + marker.length;
}

/** Index of the `>` closing a start tag, skipping quoted attribute values (which may contain `>`). */
function tagEnd(xml: string, from: number): number {
  let quote = '';
  for (let i = from; i < xml.length; i += 1) {
    const c = xml[i];
    if (quote !== '') {
      if (c === quote) quote = '';
    } else if (c === '"' || c === "'") {
      quote = c;
    } else if (c === '>') {
      return i;
    }
  }
  return xml.length;
}

/**
 * UTF-8 length of a JS string without encoding it; stops counting once past `limit` (the exact size of a
 * string that is too large does not matter). Returns -1 for a lone surrogate, which has no UTF-8 form.
 */
function utf8Length(text: string, limit: number): number {
  if (text.length > limit) return text.length;
  let bytes = 0;
  for (let i = 0; i < text.length && bytes <= limit; i += 1) {
    const c = text.charCodeAt(i);
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c < 0xd800 || c > 0xdfff) bytes += 3;
    else if (c <= 0xdbff && isLowSurrogate(text.charCodeAt(i + 1))) {
      bytes += 4;
      i += 1;
    } else return -1;
  }
  return bytes;
}

function isLowSurrogate(c: number): boolean {
  return c >= 0xdc00 && c <= 0xdfff;
}

/** Decoded text without a byte-order mark, line ends normalised to LF as XML 1.0 (2.11) requires. */
function decode(input: Uint8Array | string): string | undefined {
  let text: string;
  if (typeof input === 'string') {
    text = input.startsWith('\uFEFF') ? input.slice(1) : input;
  } else {
    try {
      text = UTF8.decode(input);
    } catch {
      return undefined;
    }
  }
  return text.includes('\r') ? text.replace(/\r\n?/g, '\n') : text;
}

function codePoint(char: string): string {
  return `U+${(char.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}`;
}

function tooLargeMessage(size: number, maxBytes: number): string {
  return `manifest is larger than the limit of ${maxBytes} bytes (at least ${size} bytes)`;
}

/** 1-based line of a character offset. */
export function lineAt(text: string, offset: number): number {
  let line = 1;
  for (let i = text.indexOf('\n'); i >= 0 && i < offset; i = text.indexOf('\n', i + 1)) line += 1;
  return line;
}

function errorAt(xml: string, offset: number, message: string): ManifestError {
  return { path: ROOT, line: lineAt(xml, offset), message };
}

function rootError(message: string): ManifestError {
  return { path: ROOT, message };
}

function fail(message: string): PreflightResult {
  return { ok: false, errors: [rootError(message)] };
}
