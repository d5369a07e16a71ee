/**
 * Element paths: the XPath-like addresses every ManifestError carries, e.g.
 * `/service/tier[@name='db']/VEE-requirement/@memory-mib` or `/service/inter-tier-configuration/relation[2]/@to`.
 *
 * One rule, used both while reading XML and when checking a typed ServiceDefinition, so an error found by
 * the XSD, by the parser or by a semantic rule about the same spot gets the same path (that is how errors
 * are de-duplicated):
 * - elements identified by a name attribute (tier, software, storage, network, property) get `[@name='…']`,
 *   or their 1-based position `[n]` among siblings of the same element name when the name is missing, empty,
 *   longer than {@link MAX_NAME_IN_PATH} or contains a quote;
 * - `relation` always gets its position `[n]`;
 * - any other element gets no predicate the first time it occurs under a parent and `[n]` after that;
 * - attributes are `/@name`; the document as a whole (or nothing finer) is `/`.
 * Names are local names: a namespace prefix never appears in a path.
 */

/** Path of the document as a whole. */
export const DOCUMENT_PATH = '/';

/** Elements addressed by their `name` attribute. */
export const NAMED_ELEMENTS: ReadonlySet<string> = new Set(['tier', 'software', 'storage', 'network', 'property']);

/** Elements addressed by position only. */
export const POSITIONAL_ELEMENTS: ReadonlySet<string> = new Set(['relation']);

/** Longer names are addressed by position, so a hostile name cannot blow up every path. */
export const MAX_NAME_IN_PATH = 128;

/** Finds the 1-based line of the `occurrence`-th element (default 1) with this element path, if known. */
export type ElementLocator = (elementPath: string, occurrence?: number) => number | undefined;

/** A locator that knows no lines. */
export const NO_LINES: ElementLocator = () => undefined;

/**
 * One path segment for an element.
 * @param local local name of the element
 * @param name its `name` attribute, if any
 * @param position 1-based position among siblings with the same local name
 */
export function elementSegment(local: string, name: string | undefined, position: number): string {
  if (NAMED_ELEMENTS.has(local) && usableName(name)) return `${local}[@name='${name}']`;
  if (NAMED_ELEMENTS.has(local) || POSITIONAL_ELEMENTS.has(local) || position > 1) return `${local}[${position}]`;
  return local;
}

/** Path of a child element below `parentPath`. */
export function childPath(parentPath: string, local: string, name: string | undefined, position: number): string {
  const segment = elementSegment(local, name, position);
  return parentPath === DOCUMENT_PATH ? `/${segment}` : `${parentPath}/${segment}`;
}

/** Path of an attribute of the element at `elementPath`. */
export function attributePath(elementPath: string, attribute: string): string {
  return `${elementPath}/@${attribute}`;
}

/** The element part of a path: strips a trailing `/@attribute`. */
export function elementOf(path: string): string {
  const at = path.lastIndexOf('/@');
  return at < 0 ? path : path.slice(0, at) || DOCUMENT_PATH;
}

/** True when `path` is `ancestor` itself or lies below it. */
export function isWithin(path: string, ancestor: string): boolean {
  return path === ancestor || path.startsWith(ancestor === DOCUMENT_PATH ? '/' : `${ancestor}/`);
}

function usableName(name: string | undefined): name is string {
  return name !== undefined && name !== '' && name.length <= MAX_NAME_IN_PATH && !name.includes("'");
}

/** Paths of the parts of a typed ServiceDefinition, built with the same rule as paths read from XML. */
export const manifestPaths = {
  service: '/service',
  tier: (name: string, index: number): string => childPath('/service', 'tier', name, index + 1),
  vee: (tierPath: string): string => `${tierPath}/VEE-requirement`,
  image: (tierPath: string): string => `${tierPath}/image`,
  software: (tierPath: string, name: string, index: number): string => childPath(tierPath, 'software', name, index + 1),
  storage: (tierPath: string, name: string, index: number): string => childPath(tierPath, 'storage', name, index + 1),
  network: (tierPath: string, name: string, index: number): string => childPath(tierPath, 'network', name, index + 1),
  property: (tierPath: string, name: string, index: number): string =>
    childPath(`${tierPath}/configuration`, 'property', name, index + 1),
  tierQos: (tierPath: string): string => `${tierPath}/tier-QoS`,
  checkpointOn: (tierQosPath: string, index: number): string => childPath(tierQosPath, 'checkpoint-on', undefined, index + 1),
  relation: (index: number): string => childPath('/service/inter-tier-configuration', 'relation', undefined, index + 1),
  serviceQos: '/service/service-QoS',
} as const;
