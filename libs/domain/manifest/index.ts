// Public API of manifest intake's domain half: XML text -> ServiceDefinition, with every problem and its path.
export * from './service-definition';
export { DEFAULT_MANIFEST_LIMITS, resolveManifestLimits, type ManifestLimits } from './limits';
export { preflightManifest, type PreflightResult } from './preflight';
export { analyzeManifestXml, checkManifest, type ManifestAnalysis, type ManifestIntakeResult } from './analyze-manifest';
export { parseManifestTree, type ManifestParse } from './parse-manifest';
export { checkServiceDefinition } from './semantic-rules';
export { findDependencyCycles, type DependencyEdge } from './tier-graph';
export { mergeManifestErrors } from './merge-errors';
export { readXmlTree, type XmlAttribute, type XmlElement, type XmlTree } from './xml-tree';
export { ElementIndex } from './element-index';
export {
  attributePath,
  childPath,
  DOCUMENT_PATH,
  elementOf,
  elementSegment,
  manifestPaths,
  NO_LINES,
  type ElementLocator,
} from './element-paths';
export { AVAILABILITY, BOUNDS, TEXT_RULES, type IntegerBounds, type TextRule } from './bounds';
