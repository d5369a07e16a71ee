import { join, resolve } from 'path';
import { buildManifestXml, readManifestExample } from '@reservoir/testing/manifest-builders';
import { locateManifestSchema, XmllintSchemaValidator } from './xmllint-schema-validator';

const shop = readManifestExample('web-shop.xml');
const minimal = readManifestExample('minimal.xml');
const W = "/service/tier[@name='web-servers']";
const M = "/service/tier[@name='counter']";

function edit(base: string, from: string, to: string): string {
  if (!base.includes(from)) throw new Error(`test setup: '${from}' not in manifest`);
  return base.replace(from, to);
}

/** [case, manifest, expected [path, message, line] in xmllint's order]. */
type Case = [string, string, [string, RegExp, number][]];

const CASES: Case[] = [
  ['an unknown attribute', edit(shop, 'vcpu="1"', 'vcpu="1" colour="red"'), [[`${W}/VEE-requirement/@colour`, /^The attribute 'colour' is not allowed\.$/, 5]]],
  ['a value under its minimum (one error, not two)', edit(shop, 'vcpu="1"', 'vcpu="0"'), [[`${W}/VEE-requirement/@vcpu`, /\[facet 'minInclusive'\] The value '0' is less than the minimum value allowed \('1'\)/, 5]]],
  ['a value that is not a number', edit(shop, 'vcpu="1"', 'vcpu="one"'), [[`${W}/VEE-requirement/@vcpu`, /'one' is not a valid value of the atomic type 'vcpu-type'/, 5]]],
  ['a missing attribute', edit(shop, 'vcpu="1" ', ''), [[`${W}/VEE-requirement/@vcpu`, /The attribute 'vcpu' is required but missing/, 5]]],
  ['a missing element', edit(minimal, '<tier-QoS availability="99" protection="none"/>', ''), [[M, /Missing child element\(s\)\. Expected is one of \( software, storage, network, configuration, tier-QoS \)/, 4]]],
  ['an unknown element', edit(shop, '<service-QoS', '<surprise/><service-QoS'), [['/service/surprise', /This element is not expected\. Expected is \( service-QoS \)/, 44]]],
  ['an element out of order', edit(minimal, '<VEE-requirement vcpu="1" memory-mib="64" instances="1"/>\n    <image ref="counter" format="qcow2"/>', '<image ref="counter" format="qcow2"/>\n    <VEE-requirement vcpu="1" memory-mib="64" instances="1"/>'), [
    [`${M}/image`, /This element is not expected\. Expected is \( VEE-requirement \)/, 5],
  ]],
  ['a duplicate tier name', edit(shop, '<tier name="app-servers">', '<tier name="web-servers">'), [
    [`${W}/@name`, /Duplicate key-sequence \['web-servers'\] in key identity-constraint 'tier-name'/, 13],
    ['/service/inter-tier-configuration/relation[2]/@from', /of keyref 'relation-from-tier'/, 42],
    ['/service/inter-tier-configuration/relation[1]/@to', /No match found for key-sequence \['app-servers'\] of keyref 'relation-to-tier'/, 41],
  ]],
  ['a duplicate property name', edit(shop, 'name="db-url"', 'name="http-port"'), [
    ["/service/tier[@name='app-servers']/configuration/property[@name='http-port']/@name", /Duplicate key-sequence \['http-port'\] in unique identity-constraint 'property-name'/, 21],
  ]],
  ['the wrong namespace', edit(minimal, 'service-manifest:1"', 'service-manifest:2"'), [['/service', /No matching global declaration available for the validation root/, 3]]],
  ['text inside a tier', edit(minimal, '<tier name="counter">', '<tier name="counter">hello'), [[M, /Character content other than whitespace is not allowed/, 4]]],
  ['a name with a space', edit(minimal, 'name="counter">\n', 'name="count er">\n'), [['/service/@name', /\[facet 'pattern'\] The value 'count er' is not accepted/, 3]]],
  ['availability 100', edit(minimal, 'availability="99"', 'availability="100"'), [[`${M}/tier-QoS/@availability`, /\[facet 'maxExclusive'\]/, 7]]],
  ['text that is not well-formed', edit(minimal, '</tier>', ''), [[M, /^not well-formed XML: Opening and ending tag mismatch: tier line 4 and service/, 9]]],
];

describe('XmllintSchemaValidator (libxml2 in WebAssembly, real schema)', () => {
  const validator = new XmllintSchemaValidator();

  it('accepts both examples and a generated 50-tier manifest', async () => {
    await expect(validator.validate(shop)).resolves.toEqual([]);
    await expect(validator.validate(minimal)).resolves.toEqual([]);
    await expect(validator.validate(buildManifestXml({ tiers: 50 }))).resolves.toEqual([]);
  });

  it.each(CASES)('reports %s at its element path and first line', async (_, xml, expected) => {
    const errors = await validator.validate(xml);
    expect(errors.map((e) => [e.path, e.line])).toEqual(expected.map(([path, , line]) => [path, line]));
    expected.forEach(([, message], i) => expect(errors[i]?.message).toMatch(message));
  });

  it('gives a multi-line start tag its first line, whatever line libxml2 names', async () => {
    const xml = edit(minimal, '<VEE-requirement vcpu="1" memory-mib="64"', '<VEE-requirement\n        vcpu="0"\n        memory-mib="64"');
    await expect(validator.validate(xml)).resolves.toEqual([{ path: `${M}/VEE-requirement/@vcpu`, line: 5, message: expect.stringMatching(/minInclusive/) }]);
  });

  it('refuses a DTD without running xmllint, so no entity can be loaded', async () => {
    const xxe = '<?xml version="1.0"?>\n<!DOCTYPE service [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n<service>&x;</service>';
    await expect(validator.validate(xxe)).resolves.toEqual([{ path: '/', line: 2, message: 'DTDs are not allowed in a manifest' }]);
  });

  it('never fetches a schema named by xsi:schemaLocation', async () => {
    const hinted = edit(
      minimal,
      'version="1"',
      'version="1" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:schemaLocation="urn:reservoir:service-manifest:1 http://127.0.0.1:9/evil.xsd"',
    );
    await expect(validator.validate(hinted)).resolves.toEqual([]);
  });

  it('runs validations concurrently up to its limit and keeps results apart', async () => {
    const limited = new XmllintSchemaValidator({ maxConcurrent: 2 });
    const inputs = [shop, edit(shop, 'vcpu="1"', 'vcpu="0"'), minimal, edit(minimal, 'version="1"', 'version="2"'), shop];
    const results = await Promise.all(inputs.map((xml) => limited.validate(xml)));
    expect(results.map((errors) => errors.map((e) => e.path))).toEqual([[], [`${W}/VEE-requirement/@vcpu`], [], ['/service/@version'], []]);
  });
});

describe('locating the schema', () => {
  const repoRoot = resolve(__dirname, '../../..');

  it('walks up from the sources and from a compiled dist/ tree', () => {
    const expected = join(repoRoot, 'schemas', 'service-manifest.xsd');
    expect(locateManifestSchema()).toBe(expected);
    expect(locateManifestSchema(join(repoRoot, 'dist', 'libs', 'adapters', 'xsd'))).toBe(expected);
  });

  it('takes an explicit schema path and fails at construction when it is missing', () => {
    expect(() => new XmllintSchemaValidator({ schemaPath: join(repoRoot, 'schemas', 'service-manifest.xsd') })).not.toThrow();
    expect(() => new XmllintSchemaValidator({ schemaPath: join(repoRoot, 'schemas', 'nope.xsd') })).toThrow(/ENOENT/);
    expect(() => locateManifestSchema('/')).toThrow(/cannot find schemas\/service-manifest.xsd/);
  });
});
