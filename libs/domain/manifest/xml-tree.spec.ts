import { ElementIndex } from './element-index';
import { attributePath, childPath, elementOf, elementSegment, isWithin, manifestPaths } from './element-paths';
import { readXmlTree } from './xml-tree';

const NS = 'urn:reservoir:service-manifest:1';

describe('element paths', () => {
  it.each([
    ['tier', 'db', 1, "tier[@name='db']"],
    ['tier', 'db', 3, "tier[@name='db']"],
    ['tier', undefined, 1, 'tier[1]'],
    ['tier', '', 2, 'tier[2]'],
    ['tier', "o'brien", 2, 'tier[2]'],
    ['tier', 'x'.repeat(129), 1, 'tier[1]'],
    ['relation', undefined, 1, 'relation[1]'],
    ['image', undefined, 1, 'image'],
    ['image', undefined, 2, 'image[2]'],
    ['property', 'p', 1, "property[@name='p']"],
  ] as const)('%s named %s at %d is %s', (local, name, position, segment) => {
    expect(elementSegment(local, name, position)).toBe(segment);
  });

  it('builds child, attribute and definition paths with the same rule', () => {
    expect(childPath('/', 'service', undefined, 1)).toBe('/service');
    expect(attributePath(manifestPaths.vee(manifestPaths.tier('db', 0)), 'memory-mib')).toBe("/service/tier[@name='db']/VEE-requirement/@memory-mib");
    expect(attributePath(manifestPaths.relation(1), 'to')).toBe('/service/inter-tier-configuration/relation[2]/@to');
    expect(manifestPaths.property(manifestPaths.tier('', 2), 'k', 0)).toBe("/service/tier[3]/configuration/property[@name='k']");
  });

  it('splits and nests paths', () => {
    expect(elementOf('/service/@name')).toBe('/service');
    expect(elementOf('/service')).toBe('/service');
    expect(elementOf('/@x')).toBe('/');
    expect(isWithin('/service/tier[1]/image/@ref', '/service/tier[1]/image')).toBe(true);
    expect(isWithin('/service/tier[1]/image2', '/service/tier[1]/image')).toBe(false);
    expect(isWithin('/anything', '/')).toBe(true);
  });
});

describe('readXmlTree', () => {
  const xml = [
    `<service xmlns="${NS}" name="s">`, // 1
    '  <tier name="a"><image/><image/></tier>', // 2
    '  <tier', // 3
    '     name="b">', // 4
    '    <configuration><property name="p" value="1"/></configuration>', // 5
    '  </tier>', // 6
    '  <inter-tier-configuration><relation from="a" to="b"/><relation/></inter-tier-configuration>', // 7
    '</service>', // 8
  ].join('\n');

  it('gives every element its path and lines, in document order', () => {
    const tree = readXmlTree(xml);
    expect(tree.error).toBeUndefined();
    expect(tree.elements.map((e) => [e.path, e.line, e.tagEndLine, e.closeLine])).toEqual([
      ['/service', 1, 1, 8],
      ["/service/tier[@name='a']", 2, 2, 2],
      ["/service/tier[@name='a']/image", 2, 2, 2],
      ["/service/tier[@name='a']/image[2]", 2, 2, 2],
      ["/service/tier[@name='b']", 3, 4, 6],
      ["/service/tier[@name='b']/configuration", 5, 5, 5],
      ["/service/tier[@name='b']/configuration/property[@name='p']", 5, 5, 5],
      ['/service/inter-tier-configuration', 7, 7, 7],
      ['/service/inter-tier-configuration/relation[1]', 7, 7, 7],
      ['/service/inter-tier-configuration/relation[2]', 7, 7, 7],
    ]);
    expect(tree.root?.uri).toBe(NS);
    expect(tree.root?.attributes).toEqual([{ qname: 'name', local: 'name', uri: '', value: 's' }]);
  });

  it('looks elements up by path and by line', () => {
    const index = new ElementIndex(readXmlTree(xml).elements);
    expect(index.locate("/service/tier[@name='b']/@name")).toBe(3);
    expect(index.locate('/service/nothing')).toBeUndefined();
    expect(index.atLine(4, 'tier').map((e) => e.path)).toEqual(["/service/tier[@name='b']"]);
    expect(index.atLine(6, 'tier').map((e) => e.path)).toEqual(["/service/tier[@name='b']"]);
    expect(index.atLine(2, 'image').map((e) => e.path)).toEqual(["/service/tier[@name='a']/image", "/service/tier[@name='a']/image[2]"]);
  });

  it('finds the n-th element sharing a path', () => {
    const index = new ElementIndex(readXmlTree(`<s>\n<tier name="a"/>\n<tier name="a"/>\n</s>`).elements);
    expect([index.locate("/s/tier[@name='a']", 1), index.locate("/s/tier[@name='a']", 2), index.locate("/s/tier[@name='a']", 3)]).toEqual([2, 3, undefined]);
  });

  it('keeps text, CDATA and prefixed names', () => {
    const tree = readXmlTree(`<m:service xmlns:m="${NS}" xmlns:x="urn:x" x:extra="1">hello<![CDATA[ <world> ]]><x:foo/></m:service>`);
    expect(tree.root).toMatchObject({ local: 'service', qname: 'm:service', uri: NS, text: 'hello <world> ' });
    expect(tree.root?.attributes).toEqual([{ qname: 'x:extra', local: 'extra', uri: 'urn:x', value: '1' }]);
    expect(tree.root?.children[0]).toMatchObject({ local: 'foo', uri: 'urn:x', path: '/service/foo' });
  });

  it('keeps an attribute called __proto__ (xml2js would lose it)', () => {
    expect(readXmlTree('<a __proto__="x" constructor="y"/>').root?.attributes.map((a) => a.qname)).toEqual(['__proto__', 'constructor']);
  });

  it.each([
    ['a repeated attribute', '<a>\n<b x="1" x="2"/></a>', '/a', 2, /attribute 'x' is repeated/],
    ['a repeated namespace declaration', '<a xmlns="u" xmlns="u"/>', '/', 1, /attribute 'xmlns' is repeated/],
    ['a second root', '<a/>\n<b/>', '/', 2, /second root element/],
    ['mismatched tags', '<a>\n<b>\n</a>', '/a/b', 3, /not well-formed XML: Unexpected close tag/],
    ['an unclosed root', '<a><b></b>', '/a', 1, /Unclosed root tag/],
    ['an unbound prefix', '<a>\n<p:b/></a>', '/a', 2, /Unbound namespace prefix/],
    ['an undefined entity', '<a>&nbsp;</a>', '/a', 1, /Invalid character entity/],
    ['a DOCTYPE', '<!DOCTYPE a [<!ENTITY e "x">]>\n<a>&e;</a>', '/', 1, /DTDs are not allowed/],
    ['text after the root', '<a/>\ntrailing', '/', 2, /Text data outside of root node/],
    ['too deep', '<a><a><a><a></a></a></a></a>', '/a/a/a', 1, /nested deeper than the limit of 3 levels/],
  ])('stops at %s with its path and line', (_, text, path, line, message) => {
    const tree = readXmlTree(text, 3);
    expect(tree.error).toEqual({ path, line, message: expect.stringMatching(message) });
  });

  it('keeps what it read before an error', () => {
    const tree = readXmlTree('<a><b/><c>');
    expect(tree.elements.map((e) => e.path)).toEqual(['/a', '/a/b', '/a/c']);
    expect(tree.error).toBeDefined();
  });
});
