import { parser as saxParser, type QualifiedAttribute, type QualifiedTag, type SAXParser } from 'sax';
import { DEFAULT_MANIFEST_LIMITS } from './limits';
import { childPath, DOCUMENT_PATH } from './element-paths';
import { type ManifestError } from './service-definition';

/** An attribute as written, namespace declarations (`xmlns`, `xmlns:p`) excluded. */
export interface XmlAttribute {
  readonly qname: string;
  readonly local: string;
  /** Namespace of a prefixed attribute; '' for an unprefixed one (manifest attributes are unprefixed). */
  readonly uri: string;
  readonly value: string;
}

/** One element of a manifest, with its element path and where it sits in the text. */
export interface XmlElement {
  readonly local: string;
  readonly uri: string;
  readonly qname: string;
  readonly attributes: readonly XmlAttribute[];
  readonly children: XmlElement[];
  /** Character data directly inside the element, only when some of it is not whitespace; '' otherwise. */
  text: string;
  readonly path: string;
  /** 1-based line of `<name`. */
  readonly line: number;
  /** 1-based line of the `>` that ends the start tag (libxml2 reports this one). */
  readonly tagEndLine: number;
  /** 1-based line of the end tag (same as `tagEndLine` for `<empty/>`), or of the error that cut the element short. */
  closeLine: number;
}

/**
 * A parsed manifest text: the root, every element in document order, and the first well-formedness error.
 * After an error the tree holds what was read before it.
 */
export interface XmlTree {
  root?: XmlElement;
  elements: XmlElement[];
  error?: ManifestError;
}

const XMLNS_URI = 'http://www.w3.org/2000/xmlns/';

/** Thrown inside sax callbacks to stop at the first error; never escapes {@link readXmlTree}. */
class StopParsing {}

interface Frame {
  element: XmlElement;
  positions: Map<string, number>;
}

/**
 * Builds the element tree with sax (strict, namespace-aware, only the five XML entities). Sax is xml2js's own
 * tokenizer; it is used directly because xml2js drops what a validator must see: it keeps the last of two
 * same-named attributes, silently loses an attribute called `__proto__`, accepts a second root element and
 * records no line numbers. All of these are well-formedness errors here. A DOCTYPE stops parsing, so no
 * entity is ever declared or expanded. Never throws.
 */
export function readXmlTree(xml: string, maxDepth: number = DEFAULT_MANIFEST_LIMITS.maxDepth): XmlTree {
  const sax = saxParser(true, { xmlns: true, position: true, strictEntities: true });
  const builder = new TreeBuilder(sax, maxDepth);
  try {
    sax.write(xml).close();
  } catch (thrown) {
    if (!(thrown instanceof StopParsing)) builder.record(`not well-formed XML: ${firstLine(thrown)}`);
  }
  return builder.result();
}

class TreeBuilder {
  private readonly elements: XmlElement[] = [];
  private readonly stack: Frame[] = [];
  private readonly rootPositions = new Map<string, number>();
  private attributes: XmlAttribute[] = [];
  private readonly attributeNames = new Set<string>();
  private startLine = 1;
  private root?: XmlElement;
  private error?: ManifestError;

  constructor(
    private readonly sax: SAXParser,
    private readonly maxDepth: number,
  ) {
    sax.onopentagstart = () => this.openStart();
    sax.onattribute = (a) => this.attribute(a);
    sax.onopentag = (tag) => this.open(tag);
    sax.onclosetag = () => this.close();
    sax.ontext = (text) => this.text(text);
    sax.oncdata = (text) => this.text(text);
    sax.ondoctype = () => this.fail('DTDs are not allowed in a manifest');
    sax.onerror = (e) => this.fail(`not well-formed XML: ${firstLine(e)}`);
  }

  result(): XmlTree {
    return { root: this.root, elements: this.elements, error: this.error };
  }

  /** Records the first error, at the innermost open element; the elements still open end at its line. */
  record(message: string): void {
    if (this.error) return;
    const line = this.sax.line + 1;
    this.error = { path: this.current()?.path ?? DOCUMENT_PATH, line, message };
    for (const frame of this.stack) frame.element.closeLine = line;
  }

  /** Records the error and stops the parser. */
  private fail(message: string): never {
    this.record(message);
    throw new StopParsing();
  }

  private current(): XmlElement | undefined {
    return this.stack[this.stack.length - 1]?.element;
  }

  private openStart(): void {
    // Sax reports the start once the name is complete; if a line break ended the name, column is 0 and
    // the `<name` was on the line before.
    this.startLine = this.sax.line + (this.sax.column === 0 ? 0 : 1);
    this.attributes = [];
    this.attributeNames.clear();
  }

  private attribute(a: QualifiedAttribute): void {
    if (this.attributeNames.has(a.name)) this.fail(`not well-formed XML: attribute '${a.name}' is repeated`);
    this.attributeNames.add(a.name);
    if (a.uri === XMLNS_URI || a.name === 'xmlns') return;
    this.attributes.push({ qname: a.name, local: a.local, uri: a.uri, value: a.value });
  }

  private open(tag: QualifiedTag): void {
    if (this.stack.length === 0 && this.root) this.fail('not well-formed XML: a second root element');
    if (this.stack.length + 1 > this.maxDepth) this.fail(`elements are nested deeper than the limit of ${this.maxDepth} levels`);
    const parent = this.stack[this.stack.length - 1];
    const positions = parent?.positions ?? this.rootPositions;
    const position = (positions.get(tag.local) ?? 0) + 1;
    positions.set(tag.local, position);
    const name = this.attributes.find((a) => a.qname === 'name')?.value;
    const line = this.sax.line + 1;
    const element: XmlElement = {
      local: tag.local,
      uri: tag.uri,
      qname: tag.name,
      attributes: this.attributes,
      children: [],
      text: '',
      path: childPath(parent?.element.path ?? DOCUMENT_PATH, tag.local, name, position),
      line: this.startLine,
      tagEndLine: line,
      closeLine: line,
    };
    this.elements.push(element);
    if (parent) parent.element.children.push(element);
    else this.root = element;
    this.stack.push({ element, positions: new Map() });
  }

  private close(): void {
    const frame = this.stack.pop();
    if (frame) frame.element.closeLine = this.sax.line + 1;
  }

  private text(text: string): void {
    const element = this.current();
    if (element && (element.text !== '' || text.trim() !== '')) element.text += text;
  }
}

function firstLine(thrown: unknown): string {
  const message = thrown instanceof Error ? thrown.message : String(thrown);
  return message.split('\n', 1)[0] ?? message;
}
