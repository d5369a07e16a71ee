import { readManifestExample } from '@reservoir/testing/manifest-builders';
import { checkManifest } from './analyze-manifest';
import { type ManifestError } from './service-definition';

// Line numbers below are those of schemas/examples/web-shop.xml: tiers start on lines 4, 13 and 26,
// relations are on lines 41 and 42, service-QoS on line 44.
const shop = readManifestExample('web-shop.xml');
const minimal = readManifestExample('minimal.xml');
const W = "/service/tier[@name='web-servers']";
const A = "/service/tier[@name='app-servers']";
const D = "/service/tier[@name='db-servers']";
const R = '/service/inter-tier-configuration/relation';

/** Replaces each `[from, to]` once (each `from` must occur). */
function edit(base: string, ...changes: [string, string][]): string {
  return changes.reduce((text, [from, to]) => {
    if (!text.includes(from)) throw new Error(`test setup: '${from}' not in manifest`);
    return text.replace(from, to);
  }, base);
}

function errorsOf(xml: string): ManifestError[] {
  const result = checkManifest(xml);
  if (result.ok) throw new Error('expected the manifest to be rejected');
  return result.errors;
}

/** [case, manifest, expected errors: [path, message, line?] in the order reported]. */
type Case = [string, string, [string, RegExp, number?][]];

const SEMANTIC: Case[] = [
  ['duplicate tier names', edit(shop, ['<tier name="app-servers">', '<tier name="web-servers">']), [
    [`${W}/@name`, /duplicate tier name 'web-servers' \(first at line 4\)/, 13],
    [`${R}[1]/@to`, /unknown tier 'app-servers'/, 41],
    [`${R}[2]/@from`, /unknown tier 'app-servers'/, 42],
  ]],
  ['a relation to an unknown tier', edit(shop, ['to="db-servers"', 'to="ghost"']), [[`${R}[2]/@to`, /unknown tier 'ghost'/, 42]]],
  ['a relation from an unknown tier', edit(shop, ['from="app-servers"', 'from="ghost"']), [[`${R}[2]/@from`, /unknown tier 'ghost'/, 42]]],
  ['a self-relation', edit(shop, ['from="app-servers" to="db-servers"', 'from="db-servers" to="db-servers"']), [[`${R}[2]`, /tier 'db-servers' cannot depend on itself/, 42]]],
  ['a three-tier cycle', edit(shop, ['</inter-tier-configuration>', '<relation from="db-servers" to="web-servers"/></inter-tier-configuration>']), [
    [`${R}[3]`, /^dependency cycle: web-servers -> app-servers -> db-servers -> web-servers$/, 43],
  ]],
  ['a two-tier cycle', edit(shop, ['from="app-servers" to="db-servers"', 'from="app-servers" to="web-servers"']), [
    [`${R}[2]`, /^dependency cycle: web-servers -> app-servers -> web-servers$/, 42],
  ]],
  ['min-instances above instances', edit(shop, ['min-instances="2"', 'min-instances="3"']), [[`${W}/VEE-requirement/@min-instances`, /min-instances \(3\) must not exceed instances \(2\)/, 5]]],
  ['max-instances below instances', edit(shop, ['max-instances="6"', 'max-instances="1"']), [[`${W}/VEE-requirement/@max-instances`, /max-instances \(1\) must not be below instances \(2\)/, 5]]],
  ['zero instances without max-instances', edit(shop, ['memory-mib="512" instances="1"', 'memory-mib="512" instances="0"']), [
    [`${D}/VEE-requirement/@max-instances`, /from 1 to 10000, got 0 \(it defaults to instances\)/, 27],
  ]],
  ['vcpu 0', edit(shop, ['vcpu="1"', 'vcpu="0"']), [[`${W}/VEE-requirement/@vcpu`, /vcpu must be an integer from 1 to 256, got 0/, 5]]],
  ['vcpu 257', edit(shop, ['vcpu="1"', 'vcpu="257"']), [[`${W}/VEE-requirement/@vcpu`, /got 257/]]],
  ['memory 15 MiB', edit(shop, ['memory-mib="256"', 'memory-mib="15"']), [[`${W}/VEE-requirement/@memory-mib`, /from 16 to 4194304, got 15/]]],
  ['memory above 4 TiB', edit(shop, ['memory-mib="256"', 'memory-mib="4194305"']), [[`${W}/VEE-requirement/@memory-mib`, /got 4194305/]]],
  ['10001 instances (min and max follow)', edit(shop, ['memory-mib="512" instances="1"', 'memory-mib="512" instances="10001"']), [[`${D}/VEE-requirement/@instances`, /from 0 to 10000/]]],
  ['a 0 GiB disk', edit(shop, ['size-gib="20"', 'size-gib="0"']), [[`${D}/storage[@name='data']/@size-gib`, /size-gib must be an integer from 1 to 65536, got 0/, 31]]],
  ['0 Mbit/s', edit(shop, ['bandwidth-mbps="100"', 'bandwidth-mbps="0"']), [[`${W}/network[@name='public']/@bandwidth-mbps`, /from 1 to 400000/, 9]]],
  ['port 0', edit(shop, ['port="8080"', 'port="0"']), [[`${R}[1]/@port`, /port must be an integer from 1 to 65535, got 0/, 41]]],
  ['port 65536', edit(shop, ['port="5432"', 'port="65536"']), [[`${R}[2]/@port`, /got 65536/, 42]]],
  ['17 replicas', edit(shop, ['replicas="2"', 'replicas="17"']), [['/service/service-QoS/@replicas', /replicas must be an integer from 0 to 16, got 17/, 44]]],
  ['max-latency-ms 0', edit(shop, ['max-latency-ms="50"', 'max-latency-ms="0"']), [[`${W}/tier-QoS/@max-latency-ms`, /from 1 to 3600000/, 11]]],
  ['max-response-ms over an hour', edit(shop, ['max-response-ms="300"', 'max-response-ms="3600001"']), [['/service/service-QoS/@max-response-ms', /got 3600001/, 44]]],
  ['tier availability 0', edit(shop, ['availability="99.9" max-latency-ms="50"', 'availability="0" max-latency-ms="50"']), [[`${W}/tier-QoS/@availability`, /strictly between 0 and 100, got 0/, 11]]],
  ['tier availability 100', edit(shop, ['availability="99.99"', 'availability="100"']), [[`${D}/tier-QoS/@availability`, /got 100/, 38]]],
  ['tier availability 100.000', edit(shop, ['availability="99.99"', 'availability="100.000"']), [[`${D}/tier-QoS/@availability`, /got 100/]]],
  ['tier availability -1', edit(shop, ['availability="99.99"', 'availability="-1"']), [[`${D}/tier-QoS/@availability`, /got -1/]]],
  ['service availability 100', edit(shop, ['availability="99.95"', 'availability="100"']), [['/service/service-QoS/@availability', /got 100/, 44]]],
  ['checkpoint without an interval', edit(shop, [' checkpoint-interval-ms="5000"', '']), [[`${A}/tier-QoS/@checkpoint-interval-ms`, /required with protection 'checkpoint'/, 24]]],
  ['live-standby without an interval', edit(shop, [' checkpoint-interval-ms="1000"', '']), [[`${D}/tier-QoS/@checkpoint-interval-ms`, /required with protection 'live-standby'/, 38]]],
  ['restart with an interval', edit(shop, ['protection="restart"', 'protection="restart" checkpoint-interval-ms="1000"']), [
    [`${W}/tier-QoS/@checkpoint-interval-ms`, /applies only to protection 'checkpoint' or 'live-standby', not 'restart'/, 11],
  ]],
  ['a 99 ms checkpoint interval', edit(shop, ['checkpoint-interval-ms="5000"', 'checkpoint-interval-ms="99"']), [[`${A}/tier-QoS/@checkpoint-interval-ms`, /from 100 to 86400000/]]],
  ['two disks with one name', edit(shop, ['<storage name="data"', '<storage name="root"']), [[`${D}/storage[@name='root']/@name`, /duplicate storage name 'root' in tier 'db-servers' \(first at line 30\)/, 31]]],
  ['two networks with one name', edit(shop, ['<network name="public" bandwidth-mbps="100"/>', '<network name="public" bandwidth-mbps="100"/>\n<network name="public"/>']), [
    [`${W}/network[@name='public']/@name`, /duplicate network name 'public' in tier 'web-servers' \(first at line 9\)/, 10],
  ]],
  ['two properties with one name', edit(shop, ['name="db-url"', 'name="http-port"']), [[`${A}/configuration/property[@name='http-port']/@name`, /duplicate configuration property name 'http-port'/, 21]]],
  ['a tier name with a space', edit(minimal, ['<tier name="counter">', '<tier name="count er">']), [["/service/tier[@name='count er']/@name", /'count er' is not a valid name: 1 to 63 letters/, 4]]],
  ['a service name starting with -', edit(minimal, ['name="counter">', 'name="-counter">']), [['/service/@name', /not a valid name/, 3]]],
  ['a 64-character service name', edit(minimal, ['name="counter">', `name="${'s'.repeat(64)}">`]), [['/service/@name', /not a valid name/]]],
  ['a disk name with a dot', edit(shop, ['<storage name="data"', '<storage name="da.ta"']), [[`${D}/storage[@name='da.ta']/@name`, /not a valid name/]]],
  ['an image ref with a space', edit(minimal, ['ref="counter"', 'ref="my image"']), [["/service/tier[@name='counter']/image/@ref", /not a valid ref/, 6]]],
  ['a short sha256', edit(minimal, ['format="qcow2"', 'format="qcow2" sha256="abc"']), [["/service/tier[@name='counter']/image/@sha256", /64 hexadecimal digits/]]],
  ['a software version with a space', edit(shop, ['version="1.22"', 'version="1.22 beta"']), [[`${W}/software[@name='nginx']/@version`, /not a valid version/, 7]]],
  ['a 4097-character property value', edit(shop, ['value="80"', `value="${'v'.repeat(4097)}"`]), [[`${W}/configuration/property[@name='listen-port']/@value`, /at most 4096 characters/, 10]]],
];

const STRUCTURE: Case[] = [
  ['an unknown element', edit(shop, ['<service-QoS', '<surprise/><service-QoS']), [['/service/surprise', /unknown element <surprise> in <service>/, 44]]],
  ['an unknown attribute', edit(shop, ['vcpu="1"', 'vcpu="1" colour="red"']), [[`${W}/VEE-requirement/@colour`, /unknown attribute 'colour' on <VEE-requirement>/, 5]]],
  ['a prefixed attribute', edit(minimal, ['vcpu="1"', 'xmlns:x="urn:x" x:vcpu="2" vcpu="1"']), [["/service/tier[@name='counter']/VEE-requirement/@x:vcpu", /unknown attribute 'x:vcpu'/]]],
  ['an element from another namespace', edit(minimal, ['</tier>', '</tier><x:tier xmlns:x="urn:x" name="z"/>']), [["/service/tier[@name='z']", /<x:tier> is not in the manifest namespace/, 8]]],
  ['the wrong namespace', edit(minimal, ['urn:reservoir:service-manifest:1', 'urn:reservoir:service-manifest:2']), [['/service', /must be in namespace urn:reservoir:service-manifest:1, found namespace 'urn:reservoir:service-manifest:2'/, 3]]],
  ['no namespace', edit(minimal, [' xmlns="urn:reservoir:service-manifest:1"', '']), [['/service', /found no namespace/, 3]]],
  ['the wrong root element', edit(minimal, ['<service ', '<services '], ['</service>', '</services>']), [['/services', /root element must be <service>, found <services>/, 3]]],
  ['a missing attribute', edit(shop, ['vcpu="1" ', '']), [[`${W}/VEE-requirement/@vcpu`, /missing required attribute 'vcpu' on <VEE-requirement>/, 5]]],
  ['a missing element, where the XSD reports it', edit(shop, ['<image ref="tiny-linux" format="qcow2"/>\n', '']), [
    [`${W}/software[@name='nginx']`, /<software> is not expected here: <image> must come first in <tier>/, 6],
  ]],
  ['a missing tier-QoS', edit(minimal, ['<tier-QoS availability="99" protection="none"/>', '']), [["/service/tier[@name='counter']", /missing its required <tier-QoS>/, 4]]],
  ['no tier at all', '<service xmlns="urn:reservoir:service-manifest:1" version="1" name="empty"/>', [['/service', /<service> is missing its required <tier>/, 1]]],
  ['a repeated image', edit(minimal, ['<image ref="counter" format="qcow2"/>', '<image ref="counter" format="qcow2"/><image ref="x" format="raw"/>']), [["/service/tier[@name='counter']/image[2]", /<image> may appear only once in <tier>/, 6]]],
  ['elements swapped (the first break only, where the XSD reports it)', edit(shop, ['<image ref="tiny-linux" format="qcow2"/>\n    <software name="nginx" version="1.22"/>', '<software name="nginx" version="1.22"/>\n    <image ref="tiny-linux" format="qcow2"/>']), [
    [`${W}/software[@name='nginx']`, /<software> is not expected here: <image> must come first in <tier>/, 6],
  ]],
  ['an element after its place', edit(shop, ['<software name="nginx" version="1.22"/>\n    <storage name="root" size-gib="2"/>', '<storage name="root" size-gib="2"/>\n    <software name="nginx" version="1.22"/>']), [
    [`${W}/software[@name='nginx']`, /<software> is out of order in <tier>, which holds: VEE-requirement, image, software\*, storage\*, network\*, configuration\?, tier-QoS/, 8],
  ]],
  ['a required element that comes too late', edit(minimal, ['<image ref="counter" format="qcow2"/>', ''], ['</tier>', '<image ref="x" format="raw"/></tier>']), [
    ["/service/tier[@name='counter']/tier-QoS", /<tier-QoS> is not expected here: <image> must come first/, 7],
  ]],
  ['text inside a tier', edit(minimal, ['<tier name="counter">', '<tier name="counter">hello']), [["/service/tier[@name='counter']", /text is not allowed inside <tier>/, 4]]],
  ['children inside a leaf', edit(minimal, ['<image ref="counter" format="qcow2"/>', '<image ref="counter" format="qcow2"><tag/></image>']), [["/service/tier[@name='counter']/image/tag", /unknown element <tag> in <image>, which holds: nothing/]]],
  ['version 2', edit(minimal, ['version="1"', 'version="2"']), [['/service/@version', /unsupported manifest version '2'/, 3]]],
  ['a fractional vcpu', edit(minimal, ['vcpu="1"', 'vcpu="1.5"']), [["/service/tier[@name='counter']/VEE-requirement/@vcpu", /'1.5' is not an integer/]]],
  ['a percent sign', edit(minimal, ['availability="99"', 'availability="99%"']), [["/service/tier[@name='counter']/tier-QoS/@availability", /'99%' is not a decimal number/]]],
  ['an unknown protection', edit(minimal, ['protection="none"', 'protection="pray"']), [["/service/tier[@name='counter']/tier-QoS/@protection", /'pray' is not one of: none, restart, checkpoint, live-standby/]]],
  ['an enumeration with spaces', edit(minimal, ['format="qcow2"', 'format=" raw"']), [["/service/tier[@name='counter']/image/@format", /' raw' is not one of: qcow2, raw/]]],
];

describe('manifest rules (checkManifest, no XSD)', () => {
  it.each([...SEMANTIC, ...STRUCTURE])('reports %s at its exact path', (_, xml, expected) => {
    const errors = errorsOf(xml);
    expect(errors.map((e) => e.path)).toEqual(expected.map(([path]) => path));
    expected.forEach(([, message, line], i) => {
      expect(errors[i]?.message).toMatch(message);
      if (line !== undefined) expect(errors[i]?.line).toBe(line);
    });
  });

  it('accepts both examples', () => {
    expect(checkManifest(shop).ok).toBe(true);
    expect(checkManifest(minimal).ok).toBe(true);
  });

  it('fills in defaults: min/max-instances = instances, replicas 0, no service-QoS values', () => {
    const result = checkManifest(minimal);
    expect(result.ok && result.definition).toMatchObject({
      name: 'counter',
      version: '1',
      tiers: [{ vee: { vcpu: 1, memoryMiB: 64, instances: 1, minInstances: 1, maxInstances: 1 }, software: [], storage: [], networks: [], configuration: [] }],
      relations: [],
      qos: { replicas: 0 },
    });
    expect(result.ok && result.definition.qos).toEqual({ replicas: 0 });
  });

  it('reads numbers as XML Schema does (whitespace around them, a sign) and lower-cases digests', () => {
    const digest = 'AB'.repeat(32);
    const result = checkManifest(edit(minimal, ['vcpu="1"', 'vcpu=" +2 "'], ['format="qcow2"', `format="qcow2" sha256="${digest}"`]));
    expect(result.ok && result.definition.tiers[0]).toMatchObject({ vee: { vcpu: 2 }, image: { sha256: digest.toLowerCase() } });
  });

  it('accepts a prefixed manifest and an xsi:schemaLocation hint', () => {
    const prefixed = minimal
      .replace('<service xmlns="urn:reservoir:service-manifest:1"', '<m:service xmlns:m="urn:reservoir:service-manifest:1" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:schemaLocation="urn:reservoir:service-manifest:1 service-manifest.xsd"')
      .replace(/<(\/?)(tier|VEE-requirement|image|tier-QoS|service)\b/g, '<$1m:$2');
    expect(checkManifest(prefixed)).toMatchObject({ ok: true, definition: { name: 'counter' } });
  });

  it('reports every problem at once, parser and semantic rules together, in line order', () => {
    const bad = edit(
      shop,
      ['name="web-shop"', 'name="web shop"'],
      ['vcpu="1"', 'vcpu="zero" colour="red"'],
      ['<software name="nginx" version="1.22"/>', '<software name="nginx" version="1.22"/><bogus/>'],
      ['min-instances="1"', 'min-instances="3"'],
      ['<image ref="tiny-linux" format="qcow2"/>\n    <software name="postgresql"', '<software name="postgresql"'],
      ['to="db-servers"', 'to="ghost"'],
      ['replicas="2"', 'replicas="99"'],
    );
    expect(errorsOf(bad).map((e) => [e.line, e.path])).toEqual([
      [3, '/service/@name'],
      [5, `${W}/VEE-requirement/@vcpu`],
      [5, `${W}/VEE-requirement/@colour`],
      [7, `${W}/bogus`],
      [14, `${A}/VEE-requirement/@min-instances`],
      [28, `${D}/software[@name='postgresql']`],
      [41, `${R}[2]/@to`],
      [43, '/service/service-QoS/@replicas'],
    ]);
  });

  it('says nothing more about a value it could not read', () => {
    // instances is unreadable: no min/max complaints follow from the placeholder
    expect(errorsOf(edit(shop, ['instances="2" min-instances="2" max-instances="6"', 'instances="two"'])).map((e) => e.path)).toEqual([`${W}/VEE-requirement/@instances`]);
    // a missing VEE-requirement: no complaints about vcpu, memory or instances
    expect(errorsOf(edit(minimal, ['<VEE-requirement vcpu="1" memory-mib="64" instances="1"/>', ''])).map((e) => e.path)).toEqual(["/service/tier[@name='counter']/image"]);
  });
});
