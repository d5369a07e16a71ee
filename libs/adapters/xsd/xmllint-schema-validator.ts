import { readFileSync } from 'fs';
import { join } from 'path';
import { findShippedFile } from '@reservoir/config';
import { type ManifestSchemaValidator } from '@reservoir/domain/ports/manifest-schema.port';
import { type ManifestError } from '@reservoir/domain/manifest/service-definition';
import { ElementIndex } from '@reservoir/domain/manifest/element-index';
import { readXmlTree } from '@reservoir/domain/manifest/xml-tree';
import { lineAt } from '@reservoir/domain/manifest/preflight';
import { DOCUMENT_PATH } from '@reservoir/domain/manifest/element-paths';
import { parseXmllintOutput } from './xmllint-errors';
import { XmllintWorkerPool } from './xmllint-worker-pool';
import { type XmllintExit } from './xmllint-worker.source';

/** Where the schema lives, relative to the repository (or deployment) root. */
export const MANIFEST_SCHEMA_PATH = join('schemas', 'service-manifest.xsd');

/** In-memory file names xmllint sees; the manifest's name is what its messages start with. */
const MANIFEST_FILE = 'manifest.xml';
const SCHEMA_FILE = 'service-manifest.xsd';
const DTD_MARKUP = /<!(DOCTYPE|ENTITY)/i;
/** xmllint.wasm is built with 256 pages (16 MiB) of initial memory; xmllint-wasm starts every run with that. */
const INITIAL_MEMORY_PAGES = 256;
const MAX_MEMORY_PAGES = 65536;

/** Options of {@link XmllintSchemaValidator}; every one has a default. */
export interface XmllintSchemaValidatorOptions {
  /** The XSD to load; by default `schemas/service-manifest.xsd` found by {@link locateManifestSchema}. */
  schemaPath?: string;
  /**
   * Most xmllint runs at once: the size of the pool of worker threads, each running one validation at a time
   * with its own WebAssembly memory. Default 2.
   */
  maxConcurrent?: number;
  /** WebAssembly memory ceiling per run, in 64 KiB pages (256 to 65536). Default 512 (32 MiB), ample for a 1 MiB manifest. */
  maxMemoryPages?: number;
  /** A run that has not ended after this many ms is stopped and the validation rejected. Default 10 000. */
  timeoutMs?: number;
  /** A worker thread idle this long is stopped; a new one starts on demand. Default 60 000. */
  idleTimeoutMs?: number;
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
 * xmllint runs in a small pool of long-lived worker threads ({@link XmllintWorkerPool}) sharing one compiled
 * xmllint.wasm: each validation is a fresh xmllint process image (new WebAssembly instance, memory and
 * in-memory file system) in an already running thread, instead of a new thread compiling the WebAssembly
 * anew as xmllint-wasm's `validateXML` does, with the same command line and the same reading of exit codes.
 * Call {@link close} when done; idle workers never keep the process alive anyway.
 *
 * Nothing outside the two in-memory files can be loaded: a manifest with a DTD is refused before xmllint
 * runs (so no entity is ever declared), xmllint runs with `--nonet`, and its Emscripten file system holds only
 * the manifest and the schema (no host file system is mounted). xmllint's messages are mapped to element paths
 * through the manifest's element index (line + element name); the line reported is the element's first line.
 * Rejects (throws) only when xmllint itself fails (or takes longer than `timeoutMs`), never for a bad manifest.
 */
export class XmllintSchemaValidator implements ManifestSchemaValidator {
  private readonly schema: string;
  private readonly maxMemoryPages: number;
  private readonly pool: XmllintWorkerPool;

  constructor(options: XmllintSchemaValidatorOptions = {}) {
    this.schema = readFileSync(options.schemaPath ?? locateManifestSchema(), 'utf8');
    this.maxMemoryPages = checked('maxMemoryPages', options.maxMemoryPages ?? 512, INITIAL_MEMORY_PAGES, MAX_MEMORY_PAGES);
    this.pool = new XmllintWorkerPool({
      size: checked('maxConcurrent', options.maxConcurrent ?? 2, 1, 256),
      timeoutMs: checked('timeoutMs', options.timeoutMs ?? 10_000, 1, 2 ** 31 - 1),
      idleTimeoutMs: checked('idleTimeoutMs', options.idleTimeoutMs ?? 60_000, 1, 2 ** 31 - 1),
    });
  }

  async validate(xml: string): Promise<ManifestError[]> {
    const dtd = DTD_MARKUP.exec(xml);
    if (dtd) return [{ path: DOCUMENT_PATH, line: lineAt(xml, dtd.index), message: 'DTDs are not allowed in a manifest' }];
    const output = await this.runXmllint(xml);
    if (output === '') return [];
    const index = new ElementIndex(readXmlTree(xml).elements);
    return parseXmllintOutput(output, MANIFEST_FILE, index);
  }

  /** Stops the worker threads; validations still pending or made afterwards reject. Safe to call again. */
  close(): Promise<void> {
    return this.pool.close();
  }

  /** xmllint's error output, '' when the manifest is valid. */
  private async runXmllint(xml: string): Promise<string> {
    let exit: XmllintExit;
    try {
      // The command line of xmllint-wasm's validateXML({ xml, schema, modifyArguments: ['--nonet', ...] }).
      exit = await this.pool.run({
        inputFiles: [
          { fileName: MANIFEST_FILE, contents: xml },
          { fileName: SCHEMA_FILE, contents: this.schema },
        ],
        args: ['--nonet', '--schema', SCHEMA_FILE, '--noout', MANIFEST_FILE],
        initialMemoryPages: INITIAL_MEMORY_PAGES,
        maxMemoryPages: this.maxMemoryPages,
      });
    } catch (error) {
      throw new Error(`xmllint failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    }
    // 0: valid; 3 and 4: validation errors (xmllint-wasm's reading). Any other code: xmllint-wasm rejects with
    // stderr as the message, which the validator used to parse still when it names the manifest's lines (as for
    // exit 9, libxml2 out of memory under maxMemoryPages: "manifest.xml:<line>: error: libxml2: out of memory").
    // Kept as it was.
    if (exit.exitCode === 0) return '';
    if (exit.exitCode === 3 || exit.exitCode === 4) return exit.stderr;
    if (exit.stderr.includes(`${MANIFEST_FILE}:`)) return exit.stderr;
    throw new Error(`xmllint failed: ${exit.stderr}`, { cause: Object.assign(new Error(exit.stderr), { code: exit.exitCode }) });
  }
}

function checked(name: string, value: number, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max) throw new RangeError(`${name} must be an integer from ${min} to ${max}, not ${value}`);
  return value;
}
