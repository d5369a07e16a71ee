import { buildAllocation, buildHost } from '@reservoir/testing/placement-builders';
import { deployTier, simImages, webShopDefinition } from '@reservoir/testing/deploy-builders';
import { SequentialIds } from '@reservoir/testing/fakes';
import { deploymentOrder } from './tier-order';
import { planDeployment, type DeploymentInput } from './plan-deployment';
import { SEGMENT_NAME } from '../ports/hypervisor.port';
import { buildDomainSpec, domainName, segmentName } from './domain-spec';

const SERVICE_ID = '1a2b3c4d-0000-4000-8000-000000000000';
const racks = () => [buildHost('h1', { failureDomain: 'rack1' }), buildHost('h2', { failureDomain: 'rack2' }), buildHost('h3', { failureDomain: 'rack3' })];
const input = (fields: Partial<DeploymentInput> = {}): DeploymentInput => ({
  service: { id: SERVICE_ID, name: 'web-shop', definition: webShopDefinition() },
  hosts: racks(),
  images: simImages(),
  consoleDir: '/var/log/reservoir/',
  ids: new SequentialIds(),
  ...fields,
});

describe('deploymentOrder', () => {
  it('puts the tiers a tier needs first (relation from needs to)', () => {
    expect(deploymentOrder(webShopDefinition()).map((t) => [t.tier.name, t.dependsOn])).toEqual([
      ['db-servers', []],
      ['app-servers', ['db-servers']],
      ['web-servers', ['app-servers']],
    ]);
  });

  it('keeps manifest order among independent tiers, and never drops a tier of a cycle', () => {
    const tiers = ['a', 'b', 'c'].map((n) => deployTier(n));
    expect(deploymentOrder({ tiers, relations: [] }).map((t) => t.tier.name)).toEqual(['a', 'b', 'c']);
    const cyclic = [{ from: 'a', to: 'b' }, { from: 'b', to: 'a' }];
    expect(deploymentOrder({ tiers, relations: cyclic }).map((t) => t.tier.name)).toEqual(['c', 'a', 'b']);
  });
});

describe('planDeployment', () => {
  it('plans every VEE of every tier in dependency order, 99.9 % tiers spread over racks', () => {
    const plan = planDeployment(input());
    if (!plan.ok) throw new Error(JSON.stringify(plan.errors));
    expect(plan.steps.map((s) => [s.tier, s.vees.map((v) => v.index)])).toEqual([
      ['db-servers', [0]],
      ['app-servers', [0, 1]],
      ['web-servers', [0, 1]],
    ]);
    const host = (id: string) => racks().find((h) => h.id === id)?.failureDomain;
    for (const step of plan.steps.slice(1)) expect(new Set(step.vees.map((v) => host(v.hostId))).size).toBe(step.vees.length);
    const db = plan.steps[0]?.vees[0];
    expect(db).toMatchObject({ id: '00000000-0000-4000-8000-000000000001', domain: 'rsv-web-shop-db-servers-0-1a2b3c4d', consoleLog: '/var/log/reservoir/rsv-web-shop-db-servers-0-1a2b3c4d.log' });
    expect(db?.spec).toMatchObject({ name: db?.domain, uuid: db?.id, vcpu: 2, memoryMiB: 512, boot: { kind: 'disk' } });
    expect(db?.spec.disks).toEqual([
      { name: 'root', sizeGiB: 4, format: 'qcow2', baseImage: { ref: 'tiny-linux' } },
      { name: 'data', sizeGiB: 20, format: 'qcow2' },
    ]);
  });

  it('counts what hosts already hold', () => {
    const full = racks().map((h) => ({ ...h, allocations: [buildAllocation({ vcpu: 32, memoryMiB: 16_384, diskGiB: 1 })] }));
    const plan = planDeployment(input({ hosts: full }));
    expect(plan.ok).toBe(false);
  });

  it('fails with one reason per host when a tier fits nowhere, and says so when there are no hosts', () => {
    const huge = { ...webShopDefinition(), tiers: [deployTier('big', { memoryMiB: 65_536 })], relations: [] };
    const plan = planDeployment(input({ service: { id: SERVICE_ID, name: 'big', definition: huge } }));
    expect(plan).toEqual({
      ok: false,
      errors: [{ tier: 'big', reasons: ['0 of 1 VEE(s) placed', expect.stringMatching(/^host h1: /), expect.stringMatching(/^host h2: /), expect.stringMatching(/^host h3: /)] }],
    });
    expect(planDeployment(input({ hosts: [] }))).toEqual({
      ok: false,
      errors: [
        { tier: 'db-servers', reasons: ['0 of 1 VEE(s) placed', 'no hosts at this site'] },
        { tier: 'app-servers', reasons: ['0 of 2 VEE(s) placed', 'no hosts at this site'] },
        { tier: 'web-servers', reasons: ['0 of 2 VEE(s) placed', 'no hosts at this site'] },
      ],
    });
  });

  it('refuses an image the catalogue does not know, or that needs more memory than the tier gives', () => {
    const def = { ...webShopDefinition(), tiers: [deployTier('a', { image: 'windows' }), deployTier('b', { image: 'tiny-linux', memoryMiB: 64 })], relations: [] };
    const plan = planDeployment(input({ service: { id: SERVICE_ID, name: 's', definition: def } }));
    expect(plan).toEqual({
      ok: false,
      errors: [
        { tier: 'a', reasons: ["image 'windows' is not in this site's image catalogue (known: counter, tiny-linux)"] },
        { tier: 'b', reasons: ["image 'tiny-linux' needs at least 80 MiB of memory, the tier gives 64 MiB"] },
      ],
    });
  });

  it('gives a tier without storage a root disk for its image, and takes the boot kind from the catalogue', () => {
    const tier = { ...deployTier('t'), storage: [] };
    const spec = buildDomainSpec(tier, { serviceId: SERVICE_ID, id: SERVICE_ID, domain: domainName('s', 't', 0, SERVICE_ID), consoleLog: '/c.log' }, {
      ref: 'tiny-linux',
      boot: { kind: 'kernel', kernelPath: '/k' },
    });
    expect(spec.disks).toEqual([{ name: 'root', sizeGiB: 1, format: 'qcow2', baseImage: { ref: 'tiny-linux' } }]);
    expect(spec.boot).toEqual({ kind: 'kernel', kernelPath: '/k' });
    expect(spec.properties).toEqual({ port: '80' });
    expect(spec.networks).toEqual([{ name: 'internal', segment: segmentName(SERVICE_ID, 'internal'), bandwidthMbps: 100 }]);
  });

  it('puts each service network on a segment of its own: same service and name share it, other services never do', () => {
    const other = '7e57e57e-0000-4000-8000-000000000000';
    expect(segmentName(SERVICE_ID, 'internal')).toBe(`rsv-${SERVICE_ID.replace(/-/g, '').slice(0, 8)}-internal`);
    expect(segmentName(SERVICE_ID, 'internal')).not.toBe(segmentName(other, 'internal'));
    expect(segmentName(SERVICE_ID, 'internal')).not.toBe(segmentName(SERVICE_ID, 'public'));
    const long = (c: string) => segmentName(SERVICE_ID, `${'n'.repeat(60)}${c}`);
    expect(long('a')).toMatch(SEGMENT_NAME);
    expect(long('a')).toHaveLength(64);
    expect(long('a')).not.toBe(long('b'));
  });

  it('checks and builds each VEE from its own host\'s catalogue when hosts differ (libvirt files vs. simulated)', () => {
    const definition = { tiers: [deployTier('t', { image: 'counter', storage: [] })], relations: [] };
    const files = { ref: 'counter', sha256: 'aa', baseDiskSha256: 'bb', boot: { kind: 'kernel' as const, kernelPath: '/img/counter/kernel.elf', cmdline: 'x' } };
    const hostImages = new Map([['h1', new Map([['counter', files]])]]);
    const plan = planDeployment(input({ service: { id: SERVICE_ID, name: 's', definition }, hosts: [buildHost('h1')], hostImages }));
    if (!plan.ok) throw new Error(JSON.stringify(plan.errors));
    const spec = plan.steps[0]?.vees[0]?.spec;
    expect(spec?.boot).toEqual(files.boot);
    expect(spec?.disks[0]?.baseImage).toEqual({ ref: 'counter', sha256: 'bb' });

    const broken = new Map([['h1', new Map([['counter', { ...files, problem: '/img/counter/disk.qcow2 is missing' }]])]]);
    const failed = planDeployment(input({ service: { id: SERVICE_ID, name: 's', definition }, hosts: [buildHost('h1')], hostImages: broken }));
    expect(failed).toEqual({ ok: false, errors: [{ tier: 't', reasons: ["host h1: image 'counter' cannot be used: /img/counter/disk.qcow2 is missing"] }] });
    const none = planDeployment(input({ service: { id: SERVICE_ID, name: 's', definition }, hosts: [buildHost('h1')], hostImages: new Map([['h1', new Map()]]) }));
    expect(none.ok).toBe(false);
    if (!none.ok) expect(none.errors[0]?.reasons[0]).toMatch(/^host h1: image 'counter' is not in this site's image catalogue/);
  });
});
