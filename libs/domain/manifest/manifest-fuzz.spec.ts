import fc from 'fast-check';
import { definitionInvariantViolations, manifestXmlFor, mutatedManifest } from '@reservoir/testing/manifest-builders';
import { checkManifest } from './analyze-manifest';
import { type ServiceDefinition, type TierDefinition } from './service-definition';

describe('manifest intake under random mutation (property)', () => {
  it('never throws, and returns either a definition that keeps every invariant or at least one located error', () => {
    fc.assert(
      fc.property(mutatedManifest(), (input) => {
        const result = checkManifest(input);
        if (result.ok) {
          expect(definitionInvariantViolations(result.definition)).toEqual([]);
        } else {
          expect(result.errors.length).toBeGreaterThan(0);
          for (const e of result.errors) {
            expect(e.path.startsWith('/')).toBe(true);
            expect(e.message.length).toBeGreaterThan(0);
          }
        }
      }),
      { numRuns: 600 },
    );
  });

  it('reads back exactly the definition a valid manifest was written from (round trip)', () => {
    fc.assert(
      fc.property(validDefinition, (definition) => {
        expect(checkManifest(manifestXmlFor(definition))).toEqual({ ok: true, definition, xml: expect.any(String) });
      }),
      { numRuns: 200 },
    );
  });
});

// ---------------------------------------------------------------- random valid definitions

const name = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9_-]{0,20}$/);
const text = fc.string({ unit: fc.constantFrom('a', 'Z', '9', ' ', '<', '>', '&', '"', "'", '\t', '\n', '\r', 'é', '€', '😀'), maxLength: 12 });
const availability = fc.integer({ min: 1, max: 99_999 }).map((n) => n / 1000);
const optional = <T>(arb: fc.Arbitrary<T>): fc.Arbitrary<T | undefined> => fc.option(arb, { nil: undefined });

function withoutUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

const tierBody = fc.record({
  instances: fc.integer({ min: 0, max: 50 }),
  vcpu: fc.integer({ min: 1, max: 256 }),
  memoryMiB: fc.integer({ min: 16, max: 4194304 }),
  ref: fc.stringMatching(/^[a-z0-9][a-z0-9._/:-]{0,30}$/),
  format: fc.constantFrom('qcow2' as const, 'raw' as const),
  sha256: optional(fc.stringMatching(/^[0-9a-f]{64}$/)),
  software: fc.array(fc.record({ name: fc.stringMatching(/^[a-z0-9][a-z0-9.+-]{0,10}$/), version: fc.stringMatching(/^[0-9][0-9.~:-]{0,6}$/) }), { maxLength: 2 }),
  storage: fc.uniqueArray(fc.record({ name, sizeGiB: fc.integer({ min: 1, max: 65536 }) }), { selector: (s) => s.name, maxLength: 3 }),
  networks: fc.uniqueArray(fc.record({ name, bandwidthMbps: optional(fc.integer({ min: 1, max: 400000 })) }), { selector: (n) => n.name, maxLength: 2 }),
  configuration: fc.uniqueArray(fc.record({ name: fc.stringMatching(/^[a-z0-9][a-z0-9._-]{0,10}$/), value: text }), { selector: (p) => p.name, maxLength: 3 }),
  availability,
  maxLatencyMs: optional(fc.integer({ min: 1, max: 3600000 })),
  protection: fc.constantFrom('none' as const, 'restart' as const, 'checkpoint' as const, 'live-standby' as const),
  interval: fc.integer({ min: 100, max: 86400000 }),
  slack: fc.tuple(fc.nat(), fc.integer({ min: 1, max: 100 })),
});

function toTier(tierName: string, b: typeof tierBody extends fc.Arbitrary<infer T> ? T : never): TierDefinition {
  const periodic = b.protection === 'checkpoint' || b.protection === 'live-standby';
  return {
    name: tierName,
    vee: { vcpu: b.vcpu, memoryMiB: b.memoryMiB, instances: b.instances, minInstances: b.slack[0] % (b.instances + 1), maxInstances: b.instances + b.slack[1] },
    image: withoutUndefined({ ref: b.ref, format: b.format, sha256: b.sha256 }),
    software: b.software,
    storage: b.storage,
    networks: b.networks.map(withoutUndefined),
    configuration: b.configuration,
    qos: withoutUndefined({ availability: b.availability, maxLatencyMs: b.maxLatencyMs, protection: b.protection, checkpointIntervalMs: periodic ? b.interval : undefined }),
  };
}

const validDefinition: fc.Arbitrary<ServiceDefinition> = fc
  .uniqueArray(name, { minLength: 1, maxLength: 6 })
  .chain((names) =>
    fc.record({
      service: name,
      tiers: fc.tuple(...names.map((n) => tierBody.map((b) => toTier(n, b)))),
      // Relations only from an earlier tier to a later one: a DAG, whatever is drawn.
      relations: fc.array(fc.tuple(fc.nat(), fc.nat(), optional(fc.integer({ min: 1, max: 65535 }))), { maxLength: 6 }),
      qos: fc.record({ availability: optional(availability), replicas: fc.integer({ min: 0, max: 16 }), maxResponseMs: optional(fc.integer({ min: 1, max: 3600000 })) }),
    }).map(({ service, tiers, relations, qos }) => ({
      name: service,
      version: '1' as const,
      tiers,
      relations: relations
        .map(([a, b, port]) => [Math.min(a % names.length, b % names.length), Math.max(a % names.length, b % names.length), port] as const)
        .filter(([from, to]) => from !== to)
        .map(([from, to, port]) => withoutUndefined({ from: names[from] ?? '', to: names[to] ?? '', port })),
      qos: withoutUndefined(qos),
    })),
  );
