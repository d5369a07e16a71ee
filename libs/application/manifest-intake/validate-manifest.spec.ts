import fc from 'fast-check';
import { XmllintSchemaValidator } from '@reservoir/adapters/xsd/xmllint-schema-validator';
import { checkManifest } from '@reservoir/domain/manifest/analyze-manifest';
import { type ManifestError } from '@reservoir/domain/manifest/service-definition';
import { type ManifestSchemaValidator } from '@reservoir/domain/ports/manifest-schema.port';
import { buildManifestXml, definitionInvariantViolations, mutatedManifest, readManifestExample } from '@reservoir/testing/manifest-builders';
import { ManifestValidator, type ManifestValidation } from './validate-manifest';

const shop = readManifestExample('web-shop.xml');
const minimal = readManifestExample('minimal.xml');
const W = "/service/tier[@name='web-servers']";
const R = '/service/inter-tier-configuration/relation';

/**
 * A schema validator that answers only the calls it was told to expect and fails the test on any other
 * (no silent `[]` for an unexpected manifest), and records what it was asked.
 */
class StrictSchemaValidator implements ManifestSchemaValidator {
  readonly calls: string[] = [];
  private readonly answers = new Map<string, ManifestError[] | Error>();

  expect(xml: string, answer: ManifestError[] | Error): this {
    this.answers.set(xml, answer);
    return this;
  }

  async validate(xml: string): Promise<ManifestError[]> {
    this.calls.push(xml);
    const answer = this.answers.get(xml);
    if (answer === undefined) throw new Error(`unexpected schema validation of: ${xml.slice(0, 80)}`);
    if (answer instanceof Error) throw answer;
    return answer;
  }
}

function errorsOf(result: ManifestValidation): ManifestError[] {
  if (result.ok) throw new Error('expected the manifest to be rejected');
  return result.errors;
}

describe('ManifestValidator with a strict fake schema validator', () => {
  it('accepts a manifest both checkers accept, returning the definition and the decoded text', async () => {
    const schema = new StrictSchemaValidator().expect(shop, []);
    const result = await new ManifestValidator(schema).validate(new TextEncoder().encode(shop));
    expect(result).toEqual({ ok: true, definition: (checkManifest(shop) as { definition: unknown }).definition, xml: shop });
    expect(schema.calls).toEqual([shop]);
  });

  it.each([
    ['empty', new Uint8Array(0), undefined],
    ['too large for its limit', shop, true],
    ['not UTF-8', new Uint8Array([0x3c, 0xff, 0x3e]), undefined],
  ] as const)('stops at preflight for a manifest that is %s, without asking the schema', async (_, input, tooLarge) => {
    const schema = new StrictSchemaValidator();
    const result = await new ManifestValidator(schema, { maxBytes: 1000 }).validate(input);
    expect(result).toMatchObject({ ok: false, errors: [{ path: '/' }] });
    expect((result as { tooLarge?: boolean }).tooLarge).toBe(tooLarge);
    expect(schema.calls).toEqual([]);
  });

  it('does not ask the schema about text that is not well-formed', async () => {
    const schema = new StrictSchemaValidator();
    const errors = errorsOf(await new ManifestValidator(schema).validate('<service>\n<tier></service>'));
    expect(errors).toEqual([{ path: '/service/tier[1]', line: 2, message: expect.stringMatching(/^not well-formed XML/) }]);
    expect(schema.calls).toEqual([]);
  });

  it('rejects on a schema error alone', async () => {
    const xsdOnly: ManifestError = { path: `${W}/image`, line: 6, message: 'schema says no' };
    const errors = errorsOf(await new ManifestValidator(new StrictSchemaValidator().expect(shop, [xsdOnly])).validate(shop));
    expect(errors).toEqual([xsdOnly]);
  });

  it('reports schema and semantic errors together, once per path, in line order', async () => {
    const xml = shop.replace('to="db-servers"', 'to="ghost"').replace('vcpu="1"', 'vcpu="0"');
    const schema = new StrictSchemaValidator().expect(xml, [
      { path: `${R}[2]/@to`, line: 42, message: 'No match found for key-sequence' },
      { path: `${W}/VEE-requirement/@vcpu`, line: 5, message: '[facet minInclusive]' },
      { path: '/service/surprise', line: 43, message: 'This element is not expected.' },
    ]);
    const errors = errorsOf(await new ManifestValidator(schema).validate(xml));
    expect(errors.map((e) => [e.line, e.path, e.message])).toEqual([
      [5, `${W}/VEE-requirement/@vcpu`, 'vcpu must be an integer from 1 to 256, got 0'],
      [42, `${R}[2]/@to`, "relation refers to unknown tier 'ghost'"],
      [43, '/service/surprise', 'This element is not expected.'],
    ]);
  });

  it('still runs the cross-field rules when the schema fails', async () => {
    const xml = shop.replace('</inter-tier-configuration>', '<relation from="db-servers" to="web-servers"/></inter-tier-configuration>');
    const schema = new StrictSchemaValidator().expect(xml, [{ path: '/service/service-QoS', line: 44, message: 'schema complaint' }]);
    const errors = errorsOf(await new ManifestValidator(schema).validate(xml));
    expect(errors.map((e) => e.path)).toEqual([`${R}[3]`, '/service/service-QoS']);
    expect(errors[0]?.message).toMatch(/dependency cycle/);
  });

  it('rejects (does not turn into a manifest error) when the schema validator itself fails', async () => {
    const schema = new StrictSchemaValidator().expect(shop, new Error('xmllint failed: WASM Abort'));
    await expect(new ManifestValidator(schema).validate(shop)).rejects.toThrow(/WASM Abort/);
  });
});

describe('ManifestValidator with the real XSD adapter', () => {
  const validator = new ManifestValidator(new XmllintSchemaValidator());

  it('accepts the examples and a generated 200-tier manifest', async () => {
    for (const xml of [shop, minimal, buildManifestXml({ tiers: 200 })]) {
      const result = await validator.validate(xml);
      expect(result.ok && definitionInvariantViolations(result.definition)).toEqual([]);
    }
  });

  it.each([
    ['XXE', '<?xml version="1.0"?>\n<!DOCTYPE service [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n<service>&x;</service>', '/', /DTDs are not allowed/],
    ['billion laughs', `<!DOCTYPE l [<!ENTITY a "lol"><!ENTITY b "${'&a;'.repeat(10)}">]><service>&b;</service>`, '/', /DTDs are not allowed/],
    ['2 MiB', shop.replace('</service>', `<!--${'x'.repeat(2 * 1048576)}--></service>`), '/', /larger than the limit/],
    ['10000-deep nesting', `${'<a>'.repeat(10000)}${'</a>'.repeat(10000)}`, '/', /nested deeper/],
    ['invalid UTF-8', new Uint8Array([...new TextEncoder().encode(shop.slice(0, 100)), 0xc0, 0xaf]), '/', /not valid UTF-8/],
    ['empty', '', '/', /empty/],
    ['not xml', 'not xml', '/', /^not XML/],
    ['the wrong namespace', minimal.replace('service-manifest:1"', 'other"'), '/service', /must be in namespace/],
    ['an unknown element', shop.replace('<service-QoS', '<surprise/><service-QoS'), '/service/surprise', /unknown element <surprise>/],
  ])('rejects %s with one error at its exact path', async (_, input, path, message) => {
    const errors = errorsOf(await validator.validate(input));
    expect(errors).toHaveLength(1);
    expect(errors[0]?.path).toBe(path);
    expect(errors[0]?.message).toMatch(message);
  });

  it('reports everything at once, each problem once: structure, order, bounds, references', async () => {
    const bad = shop
      .replace('vcpu="1"', 'vcpu="0" colour="red"')
      .replace('<image ref="tiny-linux" format="qcow2"/>\n    <software name="openjdk" version="17"/>', '<software name="openjdk" version="17"/>\n    <image ref="tiny-linux" format="qcow2"/>')
      .replace('to="db-servers"', 'to="ghost"')
      .replace('replicas="2"', 'replicas="17"');
    expect(errorsOf(await validator.validate(bad)).map((e) => [e.line, e.path])).toEqual([
      [5, `${W}/VEE-requirement/@colour`],
      [5, `${W}/VEE-requirement/@vcpu`],
      [15, "/service/tier[@name='app-servers']/software[@name='openjdk']"],
      [42, `${R}[2]/@to`],
      [44, '/service/service-QoS/@replicas'],
    ]);
  });

  it('agrees with the pure domain path on random mutations (the XSD never catches what the domain missed)', async () => {
    await fc.assert(
      fc.asyncProperty(mutatedManifest(), async (input) => {
        const full = await validator.validate(input);
        const domain = checkManifest(input);
        expect(full.ok).toBe(domain.ok);
        if (full.ok) expect(definitionInvariantViolations(full.definition)).toEqual([]);
        else expect(full.errors.length).toBeGreaterThan(0);
      }),
      { numRuns: 60 },
    );
  }, 60_000);
});
