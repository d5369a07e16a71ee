import { AttributeReader, ParseSink, quote } from './attribute-reader';
import { readChildren } from './content-reader';
import { attributePath } from './element-paths';
import {
  HOST_EVENT_TYPES,
  IMAGE_FORMATS,
  MANIFEST_NAMESPACE,
  PROTECTION_LEVELS,
  type ConfigurationProperty,
  type ImageRef,
  type ManifestError,
  type NetworkItem,
  type ServiceDefinition,
  type ServiceQoS,
  type SoftwareItem,
  type StorageItem,
  type TierDefinition,
  type TierQoS,
  type TierRelation,
  type VeeRequirement,
} from './service-definition';
import { type XmlElement } from './xml-tree';

/**
 * What the parser made of a manifest tree. `draft` exists whenever the root is a manifest `<service>`, even
 * when `errors` is not empty: values it could not read are placeholders (NaN, '' or a default enum member)
 * and their paths are listed in `gaps`, so the semantic rules can still run on the rest of the manifest.
 * A draft is a valid ServiceDefinition only once `errors` is empty and the semantic rules pass.
 */
export interface ManifestParse {
  draft?: ServiceDefinition;
  errors: ManifestError[];
  gaps: string[];
}

/**
 * Reads a manifest element tree into a ServiceDefinition: structure (content models, unknown elements and
 * attributes), lexical types and defaults (min/max-instances = instances, replicas = 0). Bounds, name syntax
 * and cross-field rules are left to semantic-rules.ts. Never throws.
 */
export function parseManifestTree(root: XmlElement): ManifestParse {
  const sink = new ParseSink();
  if (root.local !== 'service' || root.uri !== MANIFEST_NAMESPACE) {
    sink.report(root.path, root.line, rootProblem(root));
    return { errors: sink.errors, gaps: sink.gaps };
  }
  return { draft: readService(root, sink), errors: sink.errors, gaps: sink.gaps };
}

function rootProblem(root: XmlElement): string {
  if (root.local !== 'service') return `the root element must be <service>, found <${root.qname}>`;
  const found = root.uri === '' ? 'no namespace' : `namespace ${quote(root.uri)}`;
  return `<service> must be in namespace ${MANIFEST_NAMESPACE}, found ${found}`;
}

function readService(element: XmlElement, sink: ParseSink): ServiceDefinition {
  const attributes = new AttributeReader(element, sink);
  const name = attributes.text('name');
  const version = attributes.oneOf('version', ['1'] as const, '1', (v) => `unsupported manifest version ${quote(v)}; version 1 is the only one`);
  attributes.finish();
  const children = readChildren(element, sink);
  return {
    name,
    version,
    tiers: children.all('tier').map((tier) => readTier(tier, sink)),
    relations: readRelations(children.first('inter-tier-configuration'), sink),
    qos: readServiceQos(children.first('service-QoS'), sink),
  };
}

function readTier(element: XmlElement, sink: ParseSink): TierDefinition {
  const attributes = new AttributeReader(element, sink);
  const name = attributes.text('name');
  attributes.finish();
  const children = readChildren(element, sink);
  const configuration = children.first('configuration');
  return {
    name,
    vee: readVee(children.first('VEE-requirement'), sink),
    image: readImage(children.first('image'), sink),
    software: children.all('software').map((e) => readSoftware(e, sink)),
    storage: children.all('storage').map((e) => readStorage(e, sink)),
    networks: children.all('network').map((e) => readNetwork(e, sink)),
    configuration: configuration ? readChildren(configuration, sink).all('property').map((e) => readProperty(e, sink)) : [],
    qos: readTierQos(children.first('tier-QoS'), sink),
  };
}

function readVee(element: XmlElement | undefined, sink: ParseSink): VeeRequirement {
  if (!element) return { vcpu: Number.NaN, memoryMiB: Number.NaN, instances: Number.NaN, minInstances: Number.NaN, maxInstances: Number.NaN };
  return leaf(element, sink, (a) => {
    const vcpu = a.int('vcpu');
    const memoryMiB = a.int('memory-mib');
    const instances = a.int('instances');
    const minInstances = a.optInt('min-instances');
    const maxInstances = a.optInt('max-instances');
    if (Number.isNaN(instances)) {
      // The defaults below copy a placeholder: nothing more to say about them.
      if (minInstances === undefined) sink.gap(attributePath(element.path, 'min-instances'));
      if (maxInstances === undefined) sink.gap(attributePath(element.path, 'max-instances'));
    }
    return {
      vcpu,
      memoryMiB,
      instances,
      minInstances: minInstances ?? instances,
      maxInstances: maxInstances ?? instances,
    };
  });
}

function readImage(element: XmlElement | undefined, sink: ParseSink): ImageRef {
  if (!element) return { ref: '', format: 'qcow2' };
  return leaf(element, sink, (a) => {
    const image: ImageRef = { ref: a.text('ref'), format: a.oneOf('format', IMAGE_FORMATS, 'qcow2') };
    const sha256 = a.optText('sha256');
    return sha256 === undefined ? image : { ...image, sha256: sha256.toLowerCase() };
  });
}

function readSoftware(element: XmlElement, sink: ParseSink): SoftwareItem {
  return leaf(element, sink, (a) => ({ name: a.text('name'), version: a.text('version') }));
}

function readStorage(element: XmlElement, sink: ParseSink): StorageItem {
  return leaf(element, sink, (a) => ({ name: a.text('name'), sizeGiB: a.int('size-gib') }));
}

function readNetwork(element: XmlElement, sink: ParseSink): NetworkItem {
  return leaf(element, sink, (a) => {
    const network: NetworkItem = { name: a.text('name') };
    const bandwidthMbps = a.optInt('bandwidth-mbps');
    return bandwidthMbps === undefined ? network : { ...network, bandwidthMbps };
  });
}

function readProperty(element: XmlElement, sink: ParseSink): ConfigurationProperty {
  return leaf(element, sink, (a) => ({ name: a.text('name'), value: a.text('value') }));
}

function readTierQos(element: XmlElement | undefined, sink: ParseSink): TierQoS {
  if (!element) return { availability: Number.NaN, protection: 'none' };
  const checkpointOn = readChildren(element, sink)
    .all('checkpoint-on')
    .map((rule) => leaf(rule, sink, (a) => a.oneOf('event', HOST_EVENT_TYPES, 'on-battery')));
  const a = new AttributeReader(element, sink);
  const qos: TierQoS = { availability: a.decimal('availability'), protection: a.oneOf('protection', PROTECTION_LEVELS, 'none') };
  const maxLatencyMs = a.optInt('max-latency-ms');
  const checkpointIntervalMs = a.optInt('checkpoint-interval-ms');
  a.finish();
  return {
    ...qos,
    ...(maxLatencyMs === undefined ? {} : { maxLatencyMs }),
    ...(checkpointIntervalMs === undefined ? {} : { checkpointIntervalMs }),
    ...(checkpointOn.length === 0 ? {} : { checkpointOn }),
  };
}

function readRelations(element: XmlElement | undefined, sink: ParseSink): TierRelation[] {
  if (!element) return [];
  return readChildren(element, sink)
    .all('relation')
    .map((relation) =>
      leaf(relation, sink, (a) => {
        const from = a.text('from');
        const to = a.text('to');
        const port = a.optInt('port');
        return port === undefined ? { from, to } : { from, to, port };
      }),
    );
}

function readServiceQos(element: XmlElement | undefined, sink: ParseSink): ServiceQoS {
  if (!element) return { replicas: 0 };
  return leaf(element, sink, (a) => {
    const availability = a.optDecimal('availability');
    const maxResponseMs = a.optInt('max-response-ms');
    return {
      ...(availability === undefined ? {} : { availability }),
      replicas: a.optInt('replicas') ?? 0,
      ...(maxResponseMs === undefined ? {} : { maxResponseMs }),
    };
  });
}

/** Reads an element that holds no children: checks its (empty) content, reads its attributes, reports the rest. */
function leaf<T>(element: XmlElement, sink: ParseSink, read: (attributes: AttributeReader) => T): T {
  readChildren(element, sink);
  const attributes = new AttributeReader(element, sink);
  const value = read(attributes);
  attributes.finish();
  return value;
}
