// Types for the part of `sax` (xml2js's own tokenizer, sax 1.x) that the manifest reader uses; sax ships none.
declare module 'sax' {
  export interface SAXOptions {
    /** Namespace-aware mode: tags and attributes carry `local` and `uri`. */
    xmlns?: boolean;
    /** Track line and column (default true). */
    position?: boolean;
    /** Only the five XML entities; no HTML entities. */
    strictEntities?: boolean;
  }

  /** An attribute in namespace-aware mode. */
  export interface QualifiedAttribute {
    name: string;
    value: string;
    prefix: string;
    local: string;
    uri: string;
  }

  /** A start tag in namespace-aware mode. */
  export interface QualifiedTag {
    name: string;
    prefix: string;
    local: string;
    uri: string;
    isSelfClosing: boolean;
  }

  export interface SAXParser {
    /** 0-based line of the current position. */
    line: number;
    column: number;
    onopentagstart: ((tag: { name: string }) => void) | null;
    onattribute: ((attribute: QualifiedAttribute) => void) | null;
    onopentag: ((tag: QualifiedTag) => void) | null;
    onclosetag: ((name: string) => void) | null;
    ontext: ((text: string) => void) | null;
    oncdata: ((text: string) => void) | null;
    ondoctype: ((doctype: string) => void) | null;
    onerror: ((error: Error) => void) | null;
    write(chunk: string): SAXParser;
    close(): SAXParser;
  }

  export function parser(strict: boolean, options?: SAXOptions): SAXParser;
}
