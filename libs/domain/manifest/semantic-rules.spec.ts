import { buildServiceDefinition } from '@reservoir/testing/manifest-builders';
import { checkServiceDefinition } from './semantic-rules';
import { type ServiceDefinition } from './service-definition';

/** A deep copy of a valid 3-tier definition, changed by `change`. */
function definition(change: (d: ServiceDefinition) => void = () => undefined): ServiceDefinition {
  const d = structuredClone(buildServiceDefinition({ tiers: 3 }));
  change(d);
  return d;
}

describe('checkServiceDefinition (a typed definition, e.g. from a peer site)', () => {
  it('accepts the builder output', () => {
    expect(checkServiceDefinition(definition())).toEqual([]);
  });

  it('flags values no parser produced: NaN, fractions, infinities, bad digests', () => {
    const d = definition((x) => {
      const [t1, t2] = x.tiers;
      if (!t1 || !t2) throw new Error('setup');
      t1.vee.vcpu = Number.NaN;
      t1.vee.memoryMiB = 100.5;
      t1.qos.availability = Number.POSITIVE_INFINITY;
      t2.image.sha256 = 'A'.repeat(64);
      x.qos.replicas = -1;
    });
    expect(checkServiceDefinition(d).map((e) => [e.path, e.message])).toEqual([
      ["/service/tier[@name='tier-001']/VEE-requirement/@vcpu", 'vcpu must be an integer from 1 to 256, got NaN'],
      ["/service/tier[@name='tier-001']/VEE-requirement/@memory-mib", 'memory-mib must be an integer from 16 to 4194304, got 100.5'],
      ["/service/tier[@name='tier-001']/tier-QoS/@availability", 'availability is a percentage strictly between 0 and 100, got Infinity'],
      ["/service/tier[@name='tier-002']/image/@sha256", `'${'A'.repeat(64)}' is not a valid sha256: 64 hexadecimal digits`],
      ['/service/service-QoS/@replicas', 'replicas must be an integer from 0 to 16, got -1'],
    ]);
  });

  it('requires at least one tier', () => {
    expect(checkServiceDefinition(definition((x) => { x.tiers = []; x.relations = []; }))).toEqual([
      { path: '/service', message: 'a service needs at least one <tier>' },
    ]);
  });

  it('puts lines on errors through the locator, the n-th duplicate at its own line', () => {
    const d = definition((x) => {
      const [t1, t2] = x.tiers;
      if (t1 && t2) t2.name = t1.name;
      x.relations = [];
    });
    const lines: Record<string, number[]> = { "/service/tier[@name='tier-001']": [4, 20] };
    const errors = checkServiceDefinition(d, (path, occurrence = 1) => lines[path.replace(/\/@[^/]*$/, '')]?.[occurrence - 1]);
    expect(errors).toEqual([{ path: "/service/tier[@name='tier-001']/@name", line: 20, message: "duplicate tier name 'tier-001' (first at line 4)" }]);
  });
});
