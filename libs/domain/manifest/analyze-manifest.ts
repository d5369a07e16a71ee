import { ElementIndex } from './element-index';
import { DOCUMENT_PATH } from './element-paths';
import { resolveManifestLimits, type ManifestLimits } from './limits';
import { mergeManifestErrors } from './merge-errors';
import { parseManifestTree } from './parse-manifest';
import { preflightManifest } from './preflight';
import { checkServiceDefinition } from './semantic-rules';
import { type ManifestError, type ServiceDefinition } from './service-definition';
import { readXmlTree } from './xml-tree';

/** What the domain alone makes of a manifest's text (everything but the XSD). */
export interface ManifestAnalysis {
  /** Set exactly when `errors` is empty: a ServiceDefinition that satisfies every invariant. */
  definition?: ServiceDefinition;
  errors: ManifestError[];
  /** False when the text is not well-formed XML; the XSD has nothing to add then. */
  wellFormed: boolean;
  /** Element paths and lines of the text, for mapping other checkers' line numbers to paths. */
  index: ElementIndex;
}

/**
 * Parses manifest text (already through preflight) and checks it: structure, types, defaults, then the
 * semantic rules, which still run when the structure has problems, as long as the root is a `<service>`.
 * Semantic errors about values the parser could not read are dropped (the parser already said why).
 * Never throws.
 */
export function analyzeManifestXml(xml: string, limits: Partial<ManifestLimits> = {}): ManifestAnalysis {
  const tree = readXmlTree(xml, resolveManifestLimits(limits).maxDepth);
  const index = new ElementIndex(tree.elements);
  if (tree.error || !tree.root) {
    return { errors: [tree.error ?? { path: DOCUMENT_PATH, message: 'not XML: no root element' }], wellFormed: false, index };
  }
  const parsed = parseManifestTree(tree.root);
  if (!parsed.draft) return { errors: parsed.errors, wellFormed: true, index };
  const gaps = new Set(parsed.gaps);
  const semantic = checkServiceDefinition(parsed.draft, index.locate).filter((e) => !inGap(e.path, gaps));
  const errors = mergeManifestErrors([parsed.errors, semantic]);
  return errors.length === 0 ? { definition: parsed.draft, errors, wellFormed: true, index } : { errors, wellFormed: true, index };
}

/** True when the path or one of its ancestors is a gap. */
function inGap(path: string, gaps: ReadonlySet<string>): boolean {
  for (let p = path; p.length > 1; p = p.slice(0, Math.max(1, p.lastIndexOf('/')))) {
    if (gaps.has(p)) return true;
  }
  return false;
}

/**
 * Outcome of manifest intake: a definition and the decoded text, or every problem found. `tooLarge` is set
 * when the manifest was refused for its size alone (HTTP 413).
 */
export type ManifestIntakeResult =
  | { ok: true; definition: ServiceDefinition; xml: string }
  | { ok: false; errors: ManifestError[]; tooLarge?: boolean };

/**
 * The pure half of manifest intake: preflight, then {@link analyzeManifestXml}. The application adds the
 * XSD (libs/application/manifest-intake); this is what benchmarks and property tests run without it.
 */
export function checkManifest(input: Uint8Array | string, limits: Partial<ManifestLimits> = {}): ManifestIntakeResult {
  const preflight = preflightManifest(input, limits);
  if (!preflight.ok) return preflight;
  const analysis = analyzeManifestXml(preflight.xml, limits);
  return analysis.definition ? { ok: true, definition: analysis.definition, xml: preflight.xml } : { ok: false, errors: analysis.errors };
}
