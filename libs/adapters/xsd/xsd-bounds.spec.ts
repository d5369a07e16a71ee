import { readFileSync } from 'fs';
import { BOUNDS, TEXT_RULES, type IntegerBounds } from '@reservoir/domain/manifest/bounds';
import { CONTENT_MODELS } from '@reservoir/domain/manifest/grammar';
import { readXmlTree, type XmlElement } from '@reservoir/domain/manifest/xml-tree';
import { locateManifestSchema } from './xmllint-schema-validator';

// The XSD and the domain state the same limits twice (the XSD for users and their editors, the domain so the
// pure path needs no libxml2). This spec fails when one changes without the other.

const schema = readXmlTree(readFileSync(locateManifestSchema(), 'utf8')).root;
const all = (root: XmlElement | undefined): XmlElement[] => (root ? [root, ...root.children.flatMap(all)] : []);
const attr = (e: XmlElement | undefined, name: string): string | undefined => e?.attributes.find((a) => a.local === name)?.value;
const simpleTypes = new Map(all(schema).filter((e) => e.local === 'simpleType' && attr(e, 'name')).map((e) => [attr(e, 'name') ?? '', e]));
const complexTypes = new Map(all(schema).filter((e) => e.local === 'complexType').map((e) => [attr(e, 'name') ?? '', e]));

function facet(typeName: string, name: string): string | undefined {
  return attr(all(simpleTypes.get(typeName)).find((e) => e.local === name), 'value');
}

const INTEGER_TYPES: [keyof typeof BOUNDS, string][] = [
  ['vcpu', 'vcpu-type'],
  ['memoryMiB', 'memory-mib-type'],
  ['instances', 'instance-count-type'],
  ['minInstances', 'instance-count-type'],
  ['maxInstances', 'max-instances-type'],
  ['sizeGiB', 'size-gib-type'],
  ['bandwidthMbps', 'bandwidth-mbps-type'],
  ['maxLatencyMs', 'duration-ms-type'],
  ['checkpointIntervalMs', 'checkpoint-interval-ms-type'],
  ['maxResponseMs', 'duration-ms-type'],
  ['port', 'port-type'],
  ['replicas', 'replicas-type'],
];

const TEXT_TYPES: [keyof typeof TEXT_RULES, string][] = [
  ['name', 'name-type'],
  ['imageRef', 'image-ref-type'],
  ['softwareName', 'software-name-type'],
  ['softwareVersion', 'software-version-type'],
  ['propertyName', 'property-name-type'],
  ['propertyValue', 'property-value-type'],
];

describe('schemas/service-manifest.xsd and libs/domain/manifest agree', () => {
  it.each(INTEGER_TYPES)('%s has the bounds of %s', (field, typeName) => {
    const bounds: IntegerBounds = BOUNDS[field];
    expect([Number(facet(typeName, 'minInclusive')), Number(facet(typeName, 'maxInclusive'))]).toEqual([bounds.min, bounds.max]);
  });

  it.each(TEXT_TYPES)('%s has the length and pattern of %s', (rule, typeName) => {
    const text = TEXT_RULES[rule];
    expect(Number(facet(typeName, 'maxLength'))).toBe(text.maxLength);
    const pattern = facet(typeName, 'pattern');
    if (pattern !== undefined) expect(`^${pattern.replace(/\\-/g, '-')}$`).toBe(text.pattern.source.replace(/\\-/g, '-'));
  });

  it('availability is a decimal strictly between 0 and 100', () => {
    expect([facet('availability-type', 'minExclusive'), facet('availability-type', 'maxExclusive')]).toEqual(['0', '100']);
  });

  it.each(Object.entries(CONTENT_MODELS))('<%s> has the same children, order and counts', (element, rules) => {
    const children = all(complexTypes.get(`${element}-type`)).filter((e) => e.local === 'element');
    expect(children.map((e) => [attr(e, 'name'), Number(attr(e, 'minOccurs') ?? 1), attr(e, 'maxOccurs') ?? '1'])).toEqual(
      rules.map((r) => [r.name, r.min, r.max === 1 ? '1' : 'unbounded']),
    );
  });
});
