import { attributePath } from './element-paths';
import { type ManifestError } from './service-definition';
import { type XmlElement } from './xml-tree';

/**
 * Where the parser puts what it finds: errors, and gaps, the paths of values it could not read and replaced
 * with a placeholder (NaN, '' or a default enum member). Semantic errors at or below a gap are dropped, since
 * they would only repeat the parser's complaint about the placeholder.
 */
export class ParseSink {
  readonly errors: ManifestError[] = [];
  readonly gaps: string[] = [];

  report(path: string, line: number | undefined, message: string): void {
    this.errors.push(line === undefined ? { path, message } : { path, line, message });
  }

  gap(path: string): void {
    this.gaps.push(path);
  }
}

const XSI = 'http://www.w3.org/2001/XMLSchema-instance';
const SCHEMA_HINTS: ReadonlySet<string> = new Set(['schemaLocation', 'noNamespaceSchemaLocation']);
const INTEGER = /^[+-]?\d+$/;
const DECIMAL = /^[+-]?(\d+(\.\d*)?|\.\d+)$/;
// XML Schema collapses whitespace around numbers and enumerations: space, tab, CR and LF only.
const XML_SPACE = /^[ \t\r\n]+|[ \t\r\n]+$/g;

/**
 * Reads the attributes of one element as typed values, reporting a missing required attribute or an
 * unreadable value at the attribute's path, and (in {@link finish}) every attribute that was never read.
 * Values are taken lexically as XML Schema does (`xs:int`, `xs:decimal`, enumerations); bounds and name
 * syntax are semantic rules. Unreadable values come back as placeholders recorded as gaps.
 */
export class AttributeReader {
  private readonly used = new Set<string>();

  constructor(
    private readonly element: XmlElement,
    private readonly sink: ParseSink,
  ) {}

  /** A required string; '' (a gap) when missing. */
  text(name: string): string {
    return this.optText(name) ?? this.missing(name, '');
  }

  optText(name: string): string | undefined {
    this.used.add(name);
    return this.element.attributes.find((a) => a.uri === '' && a.local === name)?.value;
  }

  /** A required `xs:int`-like integer; NaN (a gap) when missing or not an integer. */
  int(name: string): number {
    return this.optInt(name) ?? this.missing(name, Number.NaN);
  }

  optInt(name: string): number | undefined {
    return this.number(name, INTEGER, 'an integer');
  }

  /** A required `xs:decimal`; NaN (a gap) when missing or not a decimal number. */
  decimal(name: string): number {
    return this.optDecimal(name) ?? this.missing(name, Number.NaN);
  }

  optDecimal(name: string): number | undefined {
    return this.number(name, DECIMAL, 'a decimal number');
  }

  /** A required enumeration member, matched exactly (`xs:string` keeps whitespace); `placeholder` (a gap) otherwise. */
  oneOf<T extends string>(name: string, members: readonly T[], placeholder: T, explain = listMembers(members)): T {
    const raw = this.optText(name);
    if (raw === undefined) return this.missing(name, placeholder);
    const member = members.find((m) => m === raw);
    return member !== undefined ? member : this.invalid(name, explain(raw), placeholder);
  }

  /**
   * Reports every attribute not read so far (unknown, or prefixed: a prefixed attribute keeps its prefix in
   * the path, `/@x:vcpu`, so it is not confused with `vcpu`), except xsi schema-location hints.
   */
  finish(): void {
    for (const a of this.element.attributes) {
      if (a.uri === '' && this.used.has(a.local)) continue;
      if (a.uri === XSI && SCHEMA_HINTS.has(a.local)) continue;
      const path = attributePath(this.element.path, a.qname);
      this.sink.report(path, this.element.line, `unknown attribute '${a.qname}' on <${this.element.local}>`);
    }
  }

  private number(name: string, syntax: RegExp, what: string): number | undefined {
    const raw = this.optText(name);
    if (raw === undefined) return undefined;
    const value = raw.replace(XML_SPACE, '');
    return syntax.test(value) ? Number(value) : this.invalid(name, `${quote(raw)} is not ${what}`, Number.NaN);
  }

  private missing<T>(name: string, placeholder: T): T {
    return this.invalid(name, `missing required attribute '${name}' on <${this.element.local}>`, placeholder);
  }

  private invalid<T>(name: string, message: string, placeholder: T): T {
    const path = attributePath(this.element.path, name);
    this.sink.report(path, this.element.line, message);
    this.sink.gap(path);
    return placeholder;
  }
}

function listMembers(members: readonly string[]): (raw: string) => string {
  return (raw) => `${quote(raw)} is not one of: ${members.join(', ')}`;
}

const MAX_QUOTED = 64;

/** A user-supplied value for a message: quoted, and cut short so a hostile value cannot flood the answer. */
export function quote(value: string): string {
  const shown = value.length > MAX_QUOTED ? `${value.slice(0, MAX_QUOTED)}…` : value;
  return `'${shown}'`;
}
