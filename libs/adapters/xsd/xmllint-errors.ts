import { type ManifestError, MANIFEST_NAMESPACE } from '@reservoir/domain/manifest/service-definition';
import { attributePath, DOCUMENT_PATH } from '@reservoir/domain/manifest/element-paths';
import { type ElementIndex } from '@reservoir/domain/manifest/element-index';
import { type XmlElement } from '@reservoir/domain/manifest/xml-tree';

/** `Element '{ns}local'` or `Element 'local'`, optionally `, attribute 'name'`, then `: ` and the message. */
const ELEMENT_MESSAGE = /^Element '(?:\{[^}]*\})?([^']+)'(?:, attribute '([^']+)')?: (.*)$/;
const MISSING_ATTRIBUTE = /^The attribute '([^']+)' is required but missing/;
const IDENTITY_CONSTRAINT = /(?:identity-constraint|keyref) '(?:\{[^}]*\})?([^']+)'/;
const REDUNDANT = /is not a valid value of the (?:local )?atomic type/;
const NAMESPACE_IN_BRACES = new RegExp(`\\{${MANIFEST_NAMESPACE.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\}`, 'g');

/** The attribute each identity constraint of the XSD is about (see `xs:key`, `xs:keyref`, `xs:unique`). */
const CONSTRAINED_ATTRIBUTE: Readonly<Record<string, string>> = {
  'tier-name': 'name',
  'relation-from-tier': 'from',
  'relation-to-tier': 'to',
  'storage-name': 'name',
  'network-name': 'name',
  'property-name': 'name',
};

/**
 * Turns xmllint's stderr into ManifestErrors. Only `<file>:<line>: ... error ...` lines of the manifest
 * count (context and caret lines, warnings and the final "fails to validate" are skipped). Each message is
 * tied to an element through the index (the element of that name whose start tag spans the line, or whose
 * end tag is on it), and to one of its attributes when the message names one. When xmllint follows a
 * facet message with "is not a valid value of the atomic type" for the same attribute, only the first is kept.
 * Throws when the output has no usable line: xmllint failed, the manifest was not judged.
 */
export function parseXmllintOutput(output: string, fileName: string, index: ElementIndex): ManifestError[] {
  const prefix = `${fileName}:`;
  const errors: ManifestError[] = [];
  for (const raw of output.split('\n')) {
    if (!raw.startsWith(prefix)) continue;
    const match = /^(\d+): (.*)$/.exec(raw.slice(prefix.length));
    if (!match || !/error/i.test(match[2] ?? '')) continue;
    errors.push(toManifestError(Number(match[1]), match[2] ?? '', index));
  }
  if (errors.length === 0) throw new Error(`xmllint reported no usable error: ${output.slice(0, 500)}`);
  return withoutRedundant(errors);
}

function toManifestError(line: number, text: string, index: ElementIndex): ManifestError {
  const body = text.replace(/^Schemas validity error : /, '').replace(NAMESPACE_IN_BRACES, '');
  if (/^(parser|namespace) error : /.test(body)) return notWellFormed(line, body, index);
  const match = ELEMENT_MESSAGE.exec(body);
  if (!match) return { path: DOCUMENT_PATH, line, message: body };
  const [, local = '', attribute, message = body] = match;
  const element = index.atLine(line, local)[0];
  const path = element?.path ?? DOCUMENT_PATH;
  const about = attribute ?? attributeNamedIn(message);
  return {
    path: about === undefined || element === undefined ? path : attributePath(path, about),
    line: element?.line ?? line,
    message,
  };
}

/** The attribute a message without `, attribute '…'` is still about: a missing one or an identity constraint's. */
function attributeNamedIn(message: string): string | undefined {
  const missing = MISSING_ATTRIBUTE.exec(message)?.[1];
  if (missing !== undefined) return missing;
  const constraint = IDENTITY_CONSTRAINT.exec(message)?.[1];
  return constraint === undefined ? undefined : CONSTRAINED_ATTRIBUTE[constraint];
}

/** A well-formedness error: at the innermost element that spans the line, if any. */
function notWellFormed(line: number, body: string, index: ElementIndex): ManifestError {
  const spanning: XmlElement | undefined = index.elements.filter((e) => e.line <= line && line <= e.closeLine).pop();
  return { path: spanning?.path ?? DOCUMENT_PATH, line, message: `not well-formed XML: ${body.replace(/^\w+ error : /, '')}` };
}

function withoutRedundant(errors: ManifestError[]): ManifestError[] {
  const precise = new Set(errors.filter((e) => !REDUNDANT.test(e.message)).map((e) => e.path));
  return errors.filter((error) => !REDUNDANT.test(error.message) || !precise.has(error.path));
}
