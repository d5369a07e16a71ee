import { readManifestExample } from '@reservoir/testing/manifest-builders';
import { preflightManifest, scanElements } from './preflight';

const shop = readManifestExample('web-shop.xml');
const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);
const deep = (levels: number): string => `${'<a>\n'.repeat(levels)}${'</a>'.repeat(levels)}`;

interface Case {
  name: string;
  input: Uint8Array | string;
  message: RegExp;
  line?: number;
  tooLarge?: true;
}

const REJECTED: Case[] = [
  { name: 'an empty body', input: new Uint8Array(0), message: /^manifest is empty$/ },
  { name: 'an empty string', input: '', message: /^manifest is empty$/ },
  { name: 'whitespace only', input: ' \n\t ', message: /^manifest is empty$/ },
  { name: '2 MiB of bytes', input: bytes(shop.replace('</service>', `<!--${'x'.repeat(2 * 1048576)}--></service>`)), message: /larger than the limit of 1048576 bytes/, tooLarge: true },
  { name: '2 MiB of text', input: 'x'.repeat(2 * 1048576), message: /larger than the limit/, tooLarge: true },
  { name: 'multi-byte text just over the limit', input: 'é'.repeat(524289), message: /larger than the limit/, tooLarge: true },
  { name: 'invalid UTF-8 bytes', input: new Uint8Array([...bytes('<service>'), 0xc3, 0x28, ...bytes('</service>')]), message: /not valid UTF-8/ },
  { name: 'a UTF-16 body', input: new Uint8Array([0xff, 0xfe, 0x3c, 0x00, 0x61, 0x00]), message: /not valid UTF-8/ },
  { name: 'a lone surrogate', input: '<a>\uD800</a>', message: /lone UTF-16 surrogate/ },
  {
    name: 'XXE (external entity)',
    input: '<?xml version="1.0"?>\n<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>\n<service>&e;</service>',
    message: /DTDs are not allowed \(found '<!DOCTYPE'\)/,
    line: 2,
  },
  {
    name: 'billion laughs',
    input: `<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "${'&lol;'.repeat(10)}">]><lolz>&lol2;</lolz>`,
    message: /DTDs are not allowed/,
    line: 1,
  },
  { name: 'a lower-case doctype', input: '<!doctype service>\n<service/>', message: /DTDs are not allowed/, line: 1 },
  { name: 'an ENTITY declaration on its own', input: '<service>\n\n<!ENTITY x "y"></service>', message: /found '<!ENTITY'/, line: 3 },
  { name: 'a DOCTYPE hidden in a comment', input: '<service><!-- <!DOCTYPE x> --></service>', message: /DTDs are not allowed/ },
  { name: '10000-deep nesting', input: deep(10000), message: /nested deeper than the limit of 32 levels/, line: 33 },
  { name: '"not xml"', input: 'not xml', message: /^not XML/ },
  { name: 'JSON', input: '{"service": {}}', message: /^not XML/ },
  { name: 'only a comment', input: '<!-- nothing here -->', message: /no root element/ },
  { name: 'a control character', input: '<service>\n\u0001</service>', message: /character U\+0001 is not allowed/, line: 2 },
  { name: 'a declaration after a comment', input: '<!-- c -->\n<?xml version="1.0"?><service/>', message: /must come first/, line: 2 },
  { name: 'a second declaration', input: '<?xml version="1.0"?>\n<?xml version="1.0"?><service/>', message: /must come first in the document, once/, line: 2 },
  { name: 'a declaration without a version', input: '<?xml encoding="UTF-8"?><service/>', message: /malformed XML declaration/, line: 1 },
  { name: 'an empty version', input: '<?xml version=""?><service/>', message: /malformed XML declaration/, line: 1 },
  { name: 'a repeated pseudo-attribute', input: '<?xml version="1.0" version="1.0"?><service/>', message: /malformed XML declaration/, line: 1 },
  { name: 'a Latin-1 declaration', input: '<?xml version="1.0" encoding="ISO-8859-1"?><service/>', message: /encoding must be UTF-8/, line: 1 },
];

describe('preflightManifest', () => {
  it.each(REJECTED)('rejects $name at path /', (c) => {
    const result = preflightManifest(c.input);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors.map((e) => e.path)).toEqual(result.errors.map(() => '/'));
    expect(result.errors.some((e) => c.message.test(e.message) && (c.line === undefined || e.line === c.line))).toBe(true);
    expect(result.tooLarge).toBe(c.tooLarge);
  });

  it('accepts the examples as bytes and as text, and reports the decoded size', () => {
    const fromBytes = preflightManifest(bytes(shop));
    expect(fromBytes).toEqual({ ok: true, xml: shop, bytes: bytes(shop).byteLength });
    expect(preflightManifest(shop)).toEqual(fromBytes);
    expect(preflightManifest(readManifestExample('minimal.xml')).ok).toBe(true);
  });

  it('strips a UTF-8 byte-order mark', () => {
    const withBom = new Uint8Array([0xef, 0xbb, 0xbf, ...bytes(shop)]);
    expect(preflightManifest(withBom)).toMatchObject({ ok: true, xml: shop });
    expect(preflightManifest(`\uFEFF${shop}`)).toMatchObject({ ok: true, xml: shop });
  });

  it('normalises CRLF and CR line ends to LF, as XML requires, so lines agree with libxml2', () => {
    expect(preflightManifest('<a>\r\n<b/>\r<c/>\n</a>')).toMatchObject({ ok: true, xml: '<a>\n<b/>\n<c/>\n</a>' });
  });

  it('checks the size before decoding (an oversized body that is not UTF-8 is still 413)', () => {
    const result = preflightManifest(new Uint8Array(2 * 1048576).fill(0xff));
    expect(result).toMatchObject({ ok: false, tooLarge: true });
  });

  it('honours custom limits, counting UTF-8 bytes', () => {
    expect(preflightManifest('<a>éé</a>', { maxBytes: 11 })).toMatchObject({ ok: true, bytes: 11 });
    expect(preflightManifest('<a>ééé</a>', { maxBytes: 11 })).toMatchObject({ ok: false, tooLarge: true });
    expect(preflightManifest(deep(4), { maxDepth: 4 }).ok).toBe(true);
    expect(preflightManifest(deep(5), { maxDepth: 4 })).toMatchObject({ ok: false, errors: [{ path: '/', line: 5 }] });
  });

  it('reports several text problems at once', () => {
    const result = preflightManifest(`<!DOCTYPE a>\n\u0002${deep(40)}`);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.errors.map((e) => e.message)).toEqual([expect.stringMatching(/DTD/), expect.stringMatching(/U\+0002/), expect.stringMatching(/deeper/)]);
  });

  it.each(["<?xml version='1.0' encoding='utf-8'?><a/>", '<?xml version="1.1" standalone="yes" ?>\n<a/>', '<?xml version="1.0"?><?xml-stylesheet href="x"?><a/>'])(
    'accepts the declaration in %s',
    (xml) => expect(preflightManifest(xml).ok).toBe(true),
  );
});

describe('scanElements', () => {
  it.each([
    ['<a><b/><c></c></a>', 3],
    ['<a><!-- <b><c> --></a>', 1],
    ['<a><![CDATA[<b><c>]]></a>', 1],
    ['<?pi <b> ?><a x=">" y=\'<\'/>', 1],
    ['<a/><b/>', 2],
  ])('counts elements in %s', (xml, elements) => {
    expect(scanElements(xml, 32)).toEqual({ elements });
  });

  it('does not count self-closing tags as open levels', () => {
    expect(scanElements('<a><b/><b/><b/></a>', 2)).toEqual({ elements: 4 });
    expect(scanElements('<a><b><c/></b></a>', 2)).toEqual({ elements: 3, tooDeepAt: 6 });
  });

  it('survives unterminated markup', () => {
    expect(scanElements('<a x="unterminated', 32)).toEqual({ elements: 1 });
    expect(scanElements('<a><!-- open comment', 32)).toEqual({ elements: 1 });
  });
});
