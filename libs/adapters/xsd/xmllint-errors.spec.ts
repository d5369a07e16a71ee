import { ElementIndex } from '@reservoir/domain/manifest/element-index';
import { readXmlTree } from '@reservoir/domain/manifest/xml-tree';
import { parseXmllintOutput } from './xmllint-errors';

const xml = [
  '<service xmlns="urn:reservoir:service-manifest:1" name="s" version="1">',
  '  <tier name="a"><configuration><property name="p" value="1"/><property name="p" value="2"/></configuration></tier>',
  '</service>',
].join('\n');
const index = new ElementIndex(readXmlTree(xml).elements);
const NS = '{urn:reservoir:service-manifest:1}';

describe('parseXmllintOutput', () => {
  it('keeps error lines of the manifest only, maps them to paths and strips the manifest namespace', () => {
    const output = [
      `m.xml:2: Schemas validity error : Element '${NS}property': Duplicate key-sequence ['p'] in unique identity-constraint '${NS}property-name'.`,
      'm.xml:2: warning: something harmless',
      '<context line>',
      '     ^',
      `other.xml:1: Schemas validity error : Element 'x': ignored, another file.`,
      `m.xml:1: Schemas validity error : Element '${NS}service', attribute 'version': [facet 'enumeration'] The value '2' is not an element of the set {'1'}.`,
      `m.xml:1: Schemas validity error : Element '${NS}service', attribute 'version': '2' is not a valid value of the local atomic type.`,
      'm.xml fails to validate',
      '',
    ].join('\n');
    expect(parseXmllintOutput(output, 'm.xml', index)).toEqual([
      { path: "/service/tier[@name='a']/configuration/property[@name='p']/@name", line: 2, message: "Duplicate key-sequence ['p'] in unique identity-constraint 'property-name'." },
      { path: '/service/@version', line: 1, message: "[facet 'enumeration'] The value '2' is not an element of the set {'1'}." },
    ]);
  });

  it('falls back to / for messages it cannot tie to an element', () => {
    expect(parseXmllintOutput("m.xml:7: Schemas validity error : Element '{urn:x}ghost': nope.\nm.xml:3: Schemas validity error : odd message", 'm.xml', index)).toEqual([
      { path: '/', line: 7, message: 'nope.' },
      { path: '/', line: 3, message: 'odd message' },
    ]);
  });

  it('throws when xmllint said nothing about the manifest (xmllint failed, the manifest was not judged)', () => {
    expect(() => parseXmllintOutput('WASM Abort: out of memory', 'm.xml', index)).toThrow(/no usable error/);
    expect(() => parseXmllintOutput("service-manifest.xsd:3: element element: Schemas parser error : bad", 'm.xml', index)).toThrow(/no usable error/);
  });
});
