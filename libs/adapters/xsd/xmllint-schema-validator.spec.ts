import { spawnSync } from 'child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join, resolve } from 'path';
import fc from 'fast-check';
import { validateXML } from 'xmllint-wasm';
import { type ManifestError } from '@reservoir/domain/manifest/service-definition';
import { ElementIndex } from '@reservoir/domain/manifest/element-index';
import { readXmlTree } from '@reservoir/domain/manifest/xml-tree';
import { lineAt } from '@reservoir/domain/manifest/preflight';
import { buildManifestXml, mutatedManifest, readManifestExample } from '@reservoir/testing/manifest-builders';
import { parseXmllintOutput } from './xmllint-errors';
import { locateManifestSchema, XmllintSchemaValidator, type XmllintSchemaValidatorOptions } from './xmllint-schema-validator';

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

const validators: XmllintSchemaValidator[] = [];
/** A validator closed after all tests, so no worker thread outlives this file. */
function newValidator(options: XmllintSchemaValidatorOptions = {}): XmllintSchemaValidator {
  const validator = new XmllintSchemaValidator(options);
  validators.push(validator);
  return validator;
}
afterAll(() => Promise.all(validators.map((validator) => validator.close())));

describe('XmllintSchemaValidator (libxml2 in WebAssembly, real schema)', () => {
  const validator = newValidator();

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
    const limited = newValidator({ maxConcurrent: 2 });
    const inputs = [shop, edit(shop, 'vcpu="1"', 'vcpu="0"'), minimal, edit(minimal, 'version="1"', 'version="2"'), shop];
    const results = await Promise.all(inputs.map((xml) => limited.validate(xml)));
    expect(results.map((errors) => errors.map((e) => e.path))).toEqual([[], [`${W}/VEE-requirement/@vcpu`], [], ['/service/@version'], []]);
  });
});

/**
 * The validator as it was before the worker pool (xmllint-wasm's validateXML: a new worker thread and a new
 * WebAssembly compilation per run), kept as the reference the pooled one must agree with.
 */
async function referenceValidate(xml: string, schemaText: string, maxMemoryPages = 512): Promise<ManifestError[]> {
  const dtd = /<!(DOCTYPE|ENTITY)/i.exec(xml);
  if (dtd) return [{ path: '/', line: lineAt(xml, dtd.index), message: 'DTDs are not allowed in a manifest' }];
  let output: string;
  try {
    const result = await validateXML({
      xml: [{ fileName: 'manifest.xml', contents: xml }],
      schema: [{ fileName: 'service-manifest.xsd', contents: schemaText }],
      modifyArguments: (args) => ['--nonet', ...args],
      maxMemoryPages,
    });
    output = result.valid ? '' : result.rawOutput;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    if (!message.includes('manifest.xml:')) throw new Error(`xmllint failed: ${message}`, { cause: error });
    output = message;
  }
  if (output === '') return [];
  return parseXmllintOutput(output, 'manifest.xml', new ElementIndex(readXmlTree(xml).elements));
}

/** What a validation came to: the errors, or the rejection's message. */
async function settle(validation: Promise<ManifestError[]>): Promise<{ errors: ManifestError[] } | { failed: string }> {
  return validation.then(
    (errors) => ({ errors }),
    (error: Error) => ({ failed: error.message }),
  );
}

const text = (input: string | Uint8Array): string => (typeof input === 'string' ? input : new TextDecoder().decode(input));

describe('XmllintSchemaValidator with its pool of workers, against the one-worker-per-run validateXML', () => {
  const schemaText = readFileSync(locateManifestSchema(), 'utf8');
  const shop = readManifestExample('web-shop.xml');
  const minimal = readManifestExample('minimal.xml');

  it('gives the same errors (or failure) for good, bad and randomly mutated manifests', async () => {
    const validator = newValidator();
    const manifests = [
      shop,
      minimal,
      buildManifestXml({ tiers: 50 }),
      ...CASES.map(([, xml]) => xml),
      ...fc.sample(mutatedManifest(), { numRuns: 40, seed: 20261125 }).map(text),
    ];
    let invalid = 0;
    for (const xml of manifests) {
      const expected = await settle(referenceValidate(xml, schemaText));
      if ('errors' in expected && expected.errors.length > 0) invalid += 1;
      expect(await settle(validator.validate(xml))).toEqual(expected);
    }
    expect(invalid).toBeGreaterThan(40);
  }, 120_000);

  it('gives the same answer at the memory ceiling (libxml2 runs out of memory: no WebAssembly abort)', async () => {
    const tier = shop.slice(shop.indexOf('<tier'), shop.indexOf('</tier>') + '</tier>'.length);
    const huge = shop.replace('<tier', `${Array.from({ length: 6000 }, (_, i) => tier.replace('name="web-servers"', `name="t${i}"`)).join('\n')}\n<tier`);
    const expected = await referenceValidate(huge, schemaText, 256);
    expect(expected.map((e) => e.message)).toContain('error: libxml2: out of memory');
    await expect(newValidator({ maxMemoryPages: 256 }).validate(huge)).resolves.toEqual(expected);
  }, 60_000);

  it('fails as before when xmllint itself fails (a schema it cannot load)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'reservoir-xsd-'));
    try {
      const broken = schemaText.replace('<xs:simpleType name="name-type">', '<xs:simpleType name="name-type"><xs:bogus/>');
      writeFileSync(join(dir, 'broken.xsd'), broken);
      const expected = await settle(referenceValidate(shop, broken));
      expect(expected).toEqual({ failed: expect.stringMatching(/^xmllint failed: service-manifest\.xsd:\d+: .*Schemas parser error/) });
      await expect(settle(newValidator({ schemaPath: join(dir, 'broken.xsd') }).validate(shop))).resolves.toEqual(expected);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 30_000);

  it('keeps nothing of one validation for the next in the same worker: bad, good, bad, not well-formed, good', async () => {
    const single = newValidator({ maxConcurrent: 1 });
    const bad = shop.replace('vcpu="1"', 'vcpu="0"');
    const otherBad = minimal.replace('version="1"', 'version="2"');
    const broken = minimal.replace('</tier>', '');
    for (const xml of [bad, shop, otherBad, broken, minimal, bad]) {
      expect(await single.validate(xml)).toEqual(await referenceValidate(xml, schemaText));
    }
  }, 30_000);

  it('answers 50 concurrent validations (pool of 2), each with its own result', async () => {
    const pooled = newValidator({ maxConcurrent: 2 });
    const kinds = [shop, minimal, ...CASES.map(([, xml]) => xml)];
    const expected = new Map<string, ManifestError[]>();
    for (const xml of kinds) expected.set(xml, await referenceValidate(xml, schemaText));
    const inputs = Array.from({ length: 50 }, (_, i) => kinds[(i * 7) % kinds.length] ?? shop);
    const results = await Promise.all(inputs.map((xml) => pooled.validate(xml)));
    expect(results).toEqual(inputs.map((xml) => expected.get(xml)));
    expect(results.filter((errors) => errors.length === 0).length).toBeGreaterThan(0);
    expect(results.filter((errors) => errors.length > 0).length).toBeGreaterThan(0);
  }, 60_000);

  it('rejects a validation that outlasts timeoutMs with a clear error', async () => {
    const hasty = newValidator({ timeoutMs: 1 });
    await expect(hasty.validate(buildManifestXml({ tiers: 200 }))).rejects.toThrow('xmllint failed: no result within 1 ms; the run was stopped');
  });

  it('close() rejects pending and later validations, and can be called twice', async () => {
    const closing = newValidator();
    await expect(closing.validate(minimal)).resolves.toEqual([]);
    const pending = settle(closing.validate(shop));
    await closing.close();
    await expect(pending).resolves.toEqual({ failed: 'xmllint failed: the xmllint worker pool is closed' });
    await expect(closing.validate(minimal)).rejects.toThrow('xmllint failed: the xmllint worker pool is closed');
    await expect(closing.close()).resolves.toBeUndefined();
  });

  it('refuses options it cannot honour', () => {
    expect(() => new XmllintSchemaValidator({ maxMemoryPages: 128 })).toThrow('maxMemoryPages must be an integer from 256 to 65536, not 128');
    expect(() => new XmllintSchemaValidator({ maxConcurrent: 0 })).toThrow(RangeError);
    expect(() => new XmllintSchemaValidator({ timeoutMs: Number.POSITIVE_INFINITY })).toThrow(RangeError);
  });

  it('neither holds a process open when idle nor lets it exit while a validation is awaited', () => {
    // A CLI-like script: no close(), nothing else keeping the event loop alive but the awaited validation.
    const script = [
      "const { XmllintSchemaValidator } = require('./libs/adapters/xsd/xmllint-schema-validator');",
      "const { readManifestExample } = require('./libs/testing/manifest-builders');",
      "new XmllintSchemaValidator().validate(readManifestExample('web-shop.xml').replace('vcpu=\"1\"', 'vcpu=\"0\"'))",
      '  .then((errors) => console.log(JSON.stringify(errors.map((e) => e.path))));',
    ].join('\n');
    const repoRoot = resolve(__dirname, '../../..');
    const child = spawnSync(process.execPath, ['-r', 'ts-node/register/transpile-only', '-r', 'tsconfig-paths/register', '-e', script], {
      cwd: repoRoot,
      encoding: 'utf8',
      timeout: 25_000,
      env: { ...process.env, TS_NODE_PROJECT: join(repoRoot, 'tsconfig.json') },
    });
    expect({ status: child.status, signal: child.signal, stderr: child.stderr }).toEqual({ status: 0, signal: null, stderr: '' });
    expect(child.stdout.trim()).toBe(JSON.stringify(["/service/tier[@name='web-servers']/VEE-requirement/@vcpu"]));
  }, 30_000);
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
