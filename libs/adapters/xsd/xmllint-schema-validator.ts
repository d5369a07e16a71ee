import { readFileSync } from 'fs';
import { join } from 'path';
import { validateXML } from 'xmllint-wasm';
import { findShippedFile } from '@reservoir/config';
import { type ManifestSchemaValidator } from '@reservoir/domain/ports/manifest-schema.port';
import { type ManifestError } from '@reservoir/domain/manifest/service-definition';
import { ElementIndex } from '@reservoir/domain/manifest/element-index';
import { readXmlTree } from '@reservoir/domain/manifest/xml-tree';
import { lineAt } from '@reservoir/domain/manifest/preflight';
import { DOCUMENT_PATH } from '@reservoir/domain/manifest/element-paths';
import { parseXmllintOutput } from './xmllint-errors';

/** Where the schema lives, relative to the repository (or deployment) root. */
export const MANIFEST_SCHEMA_PATH = join('schemas', 'service-manifest.xsd');

/** In-memory file names xmllint sees; the manifest's name is what its messages start with. */
const MANIFEST_FILE = 'manifest.xml';
const SCHEMA_FILE = 'service-manifest.xsd';
const DTD_MARKUP = /<!(DOCTYPE|ENTITY)/i;

/** Options of {@link XmllintSchemaValidator}; every one has a default. */
export interface XmllintSchemaValidatorOptions {
  /** The XSD to load; by default `schemas/service-manifest.xsd` found by {@link locateManifestSchema}. */
  schemaPath?: string;
  /** Most xmllint runs at once; each is a worker thread with its own WebAssembly memory. Default 4. */
  maxConcurrent?: number;
  /** WebAssembly memory ceiling per run, in 64 KiB pages. Default 512 (32 MiB), ample for a 1 MiB manifest. */
  maxMemoryPages?: number;
}

/**
 * Finds `schemas/service-manifest.xsd` by walking up from `startDir` (default: this file's directory), so the
 * same code works from the TypeScript sources (jest, ts-node) and from `dist/libs/adapters/xsd/`.
 */
export function locateManifestSchema(startDir: string = __dirname): string {
  return findShippedFile(MANIFEST_SCHEMA_PATH, startDir);
}

/**
 * ManifestSchemaValidator on libxml2 compiled to WebAssembly (xmllint-wasm). The XSD is read once, in the
 * constructor (a missing schema fails at boot, not on the first request).
 *
 * Nothing outside the two in-memory files can be loaded: a manifest with a DTD is refused before xmllint
 * runs (so no entity is ever declared), xmllint runs with `--nonet`, and its Emscripten file system holds only
 * the manifest and the schema (no host file system is mounted). xmllint's messages are mapped to element paths
 * through the manifest's element index (line + element name); the line reported is the element's first line.
 * Rejects (throws) only when xmllint itself fails, never for a bad manifest.
 */
export class XmllintSchemaValidator implements ManifestSchemaValidator {
  private readonly schema: string;
  private readonly maxMemoryPages: number;
  private readonly slots: Slots;

  constructor(options: XmllintSchemaValidatorOptions = {}) {
    this.schema = readFileSync(options.schemaPath ?? locateManifestSchema(), 'utf8');
    this.maxMemoryPages = options.maxMemoryPages ?? 512;
    this.slots = new Slots(options.maxConcurrent ?? 4);
  }

  async validate(xml: string): Promise<ManifestError[]> {
    const dtd = DTD_MARKUP.exec(xml);
    if (dtd) return [{ path: DOCUMENT_PATH, line: lineAt(xml, dtd.index), message: 'DTDs are not allowed in a manifest' }];
    const output = await this.slots.run(() => this.runXmllint(xml));
    if (output === '') return [];
    const index = new ElementIndex(readXmlTree(xml).elements);
    return parseXmllintOutput(output, MANIFEST_FILE, index);
  }

  /** xmllint's error output, '' when the manifest is valid. */
  private async runXmllint(xml: string): Promise<string> {
    try {
      const result = await validateXML({
        xml: [{ fileName: MANIFEST_FILE, contents: xml }],
        schema: [{ fileName: SCHEMA_FILE, contents: this.schema }],
        modifyArguments: (args) => ['--nonet', ...args],
        maxMemoryPages: this.maxMemoryPages,
      });
      return result.valid ? '' : result.rawOutput;
    } catch (error) {
      // xmllint-wasm rejects on exit codes it does not know; for a manifest that is not well-formed its
      // message is xmllint's stderr, which still names the manifest's lines.
      const message = error instanceof Error ? error.message : String(error);
      if (message.includes(`${MANIFEST_FILE}:`)) return message;
      throw new Error(`xmllint failed: ${message}`, { cause: error });
    }
  }
}

/** A counting semaphore: at most `size` tasks run at once, the others wait in order. */
class Slots {
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly size: number) {}

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.running < this.size) this.running += 1;
    else await new Promise<void>((wake) => this.waiting.push(wake)); // the finishing task hands its slot over
    try {
      return await task();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.running -= 1;
    }
  }
}
