import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { type RunningBroker } from '../apps/site-broker/bootstrap';
import { renamed, startTestBroker } from '@reservoir/testing';
import { TEST_LIBVIRT_URI, describeWithLibvirt } from '../libs/testing/libvirt-services';
import { domainNames, LIBVIRT_DISK_DIR, qemuPid, removeTestDomains, virsh } from '../libs/testing/libvirt-domains';
import { eventually } from '../libs/testing/eventually';

const XML = 'application/xml';
const SERVICE = 'lvcounter';
/** The three-tier example under this name, every tier on the counter guest. */
const SHOP = 'lvshop';
const DISK_DIR = LIBVIRT_DISK_DIR;

interface Vee { id: string; tier: string; host: string; phase: string; domain: string; consoleLog: string }

/** A broker deploying a service onto the real libvirt daemon (qemu:///system, TCG) from the image catalogue. */
describeWithLibvirt('deploying services on a libvirt host', () => {
  let broker: RunningBroker;
  const consoleDir = mkdtempSync(join(tmpdir(), 'reservoir-consoles-'));
  const http = () => request(broker.url);
  const until = <T>(what: string, probe: () => Promise<T | undefined> | T | undefined, ms = 60_000): Promise<T> => eventually(what, probe, { ms, everyMs: 100 });
  const service = async (id: string) => (await http().get(`/v1/services/${id}`).expect(200)).body;
  const mine = (): string[] => domainNames(true).filter((d) => d.startsWith(`rsv-${SERVICE}-`) || d.startsWith(`rsv-${SHOP}-`));
  const networks = (): string[] => virsh('net-list', '--all', '--name').split('\n').map((l) => l.trim()).filter((l) => l.startsWith('rsv-'));
  const segmentsOf = (serviceId: string): string[] => networks().filter((n) => n.startsWith(`rsv-${serviceId.replace(/-/g, '').slice(0, 8)}-`)).sort();

  beforeAll(async () => {
    // A leftover of an earlier interrupted run would make the names clash.
    for (const d of mine()) {
      virsh('destroy', d);
      virsh('undefine', d);
    }
    broker = await startTestBroker('embedded', 'memory', { RESERVOIR_RECONCILE_PERIOD_MS: '200', RESERVOIR_CONSOLE_DIR: consoleDir });
  }, 60_000);

  afterAll(async () => {
    await broker?.close();
    removeTestDomains(mine());
    for (const id of cleanupSegmentsOf) {
      for (const n of segmentsOf(id)) {
        virsh('net-destroy', n);
        virsh('net-undefine', n);
      }
    }
    rmSync(consoleDir, { recursive: true, force: true });
  }, 60_000);

  let serviceId: string;
  let vee: Vee;
  const cleanupSegmentsOf: string[] = [];

  it('registers qemu:///system and deploys a counter tier onto it: running, counting on its console', async () => {
    const host = await http().post('/v1/hosts').send({ name: 'libvirt-1', uri: TEST_LIBVIRT_URI }).expect(201);
    expect(host.body.capacity.memoryMiB).toBeGreaterThan(64);
    // minimal.xml under another name, with one configuration property for the guest, and `restart` protection
    // (minimal's `none` would leave a killed VEE lost: nothing beyond reporting).
    const manifest = renamed('minimal.xml', SERVICE).toString('utf8')
      .replace('<tier-QoS', '<configuration><property name="greeting" value="hello"/></configuration>\n    <tier-QoS')
      .replace('protection="none"', 'protection="restart"');
    expect(manifest).toContain('protection="restart"');
    const created = await http().post('/v1/services').set('content-type', XML).send(manifest).expect(201);
    serviceId = created.body.id;
    const running = await until('the service running', async () => {
      const s = await service(serviceId);
      if (s.phase === 'failed') throw new Error(`deploy failed: ${JSON.stringify(s)}`);
      return s.phase === 'running' ? s : undefined;
    });
    expect(running.vees).toHaveLength(1);
    vee = running.vees[0];
    expect(vee).toMatchObject({ phase: 'running', host: 'libvirt-1', domain: expect.stringMatching(new RegExp(`^rsv-${SERVICE}-counter-0-[0-9a-f]{8}$`)) });
    expect(vee.consoleLog).toBe(join(consoleDir, `${vee.domain}.log`));
    await until('counter lines on the console', () => (existsSync(vee.consoleLog) && /counter=\d+/.test(readFileSync(vee.consoleLog, 'utf8')) ? true : undefined));
    expect(domainNames(false)).toContain(vee.domain);
    expect(existsSync(join(DISK_DIR, `${vee.domain}-root.qcow2`))).toBe(true);
    const xml = virsh('dumpxml', vee.domain);
    expect(xml).toMatch(/<kernel>[^<]*counter\/kernel\.elf<\/kernel>/);
    expect(xml).toMatch(/<backingStore type='file'[^>]*>\s*<format type='qcow2'\/>\s*<source file='[^']*counter\/disk\.qcow2'/);
    expect(xml).toContain('<entry>reservoir.greeting=hello</entry>');
  }, 120_000);

  it('brings the VEE back after its QEMU process is killed (reconcile loop → failover: restart in place)', async () => {
    const pid = qemuPid(vee.domain);
    expect(pid).toBeDefined();
    const before = readFileSync(vee.consoleLog, 'utf8').length;
    process.kill(pid as number, 'SIGKILL');
    await until('the domain not running with the old process', () => (qemuPid(vee.domain) !== pid ? true : undefined), 30_000);
    await until('new counter lines after the restart', () => (/counter=\d+/.test(readFileSync(vee.consoleLog, 'utf8').slice(before)) ? true : undefined));
    const s = await until('the VEE running again', async () => {
      const current = await service(serviceId);
      return current.vees[0]?.phase === 'running' && qemuPid(vee.domain) !== undefined ? current : undefined;
    });
    expect(s.vees[0].domain).toBe(vee.domain);
    expect(domainNames(false)).toContain(vee.domain);
    const one = (await http().get(`/v1/vees/${vee.id}`).expect(200)).body;
    expect(one).toMatchObject({ id: vee.id, protection: 'restart', failover: { lastAction: { type: 'restart-in-place', attempt: 1 } } });
    expect(['probation', 'healthy']).toContain(one.failover.state);
  }, 120_000);

  it('deletes the service: the domain and its overlay are gone', async () => {
    await http().delete(`/v1/services/${serviceId}`).expect(204);
    await until('the service gone', async () => ((await http().get(`/v1/services/${serviceId}`)).status === 404 ? true : undefined));
    expect(domainNames(true)).not.toContain(vee.domain);
    expect(existsSync(join(DISK_DIR, `${vee.domain}-root.qcow2`))).toBe(false);
  }, 60_000);

  it('deploys the three-tier example on the counter guest: five VEEs running in dependency order, each counting on its console, networks on the service\'s own segments', async () => {
    const manifest = renamed('web-shop.xml', SHOP).toString('utf8').replace(/ref="tiny-linux"/g, 'ref="counter"');
    const host = (await http().get('/v1/hosts').expect(200)).body.items.find((h: { name: string }) => h.name === 'libvirt-1');
    // Whether this host shapes bandwidth is probed and shown; here (no sch_sfq in the kernel) it says why not.
    expect(host.features.bandwidthQoS.enforced || /bandwidth/.test(host.features.bandwidthQoS.reason)).toBe(true);
    const created = await http().post('/v1/services').set('content-type', XML).send(manifest).expect(201);
    const shopId: string = created.body.id;
    cleanupSegmentsOf.push(shopId);
    const running = await until('the three-tier service running', async () => {
      const s = await service(shopId);
      if (s.phase === 'failed') throw new Error(`deploy failed: ${JSON.stringify(s)}`);
      return s.phase === 'running' ? s : undefined;
    }, 180_000);
    const vees: Vee[] = running.vees;
    expect(vees.map((v) => v.tier).sort()).toEqual(['app-servers', 'app-servers', 'db-servers', 'web-servers', 'web-servers']);
    expect(vees.every((v) => v.phase === 'running' && v.host === 'libvirt-1')).toBe(true);
    for (const v of vees) {
      await until(`counter lines on ${v.domain}'s console`, () => (existsSync(v.consoleLog) && /counter=\d+/.test(readFileSync(v.consoleLog, 'utf8')) ? true : undefined));
    }
    // Dependency order: db before app before web, by when each tier's VEEs reached running.
    const events = (await http().get(`/v1/services/${shopId}/events`).expect(200)).body.items as { subject: string; id: string; to: string; at: string }[];
    const runningAt = (tier: string) => Math.max(...vees.filter((v) => v.tier === tier).map((v) => {
      const e = events.find((x) => x.subject === 'vee' && x.id === v.id && x.to === 'running');
      return e ? Date.parse(e.at) : Number.NaN;
    }));
    const startedAt = (tier: string) => Math.min(...vees.filter((v) => v.tier === tier).map((v) => {
      const e = events.find((x) => x.subject === 'vee' && x.id === v.id && x.to === 'starting');
      return e ? Date.parse(e.at) : Number.NaN;
    }));
    expect(startedAt('app-servers')).toBeGreaterThanOrEqual(runningAt('db-servers'));
    expect(startedAt('web-servers')).toBeGreaterThanOrEqual(runningAt('app-servers'));
    // Storage: the db tier has a root overlay and a data volume; configuration reaches the guest as SMBIOS strings.
    const db = vees.find((v) => v.tier === 'db-servers') as Vee;
    expect(existsSync(join(DISK_DIR, `${db.domain}-data.qcow2`))).toBe(true);
    const dbXml = virsh('dumpxml', db.domain);
    expect(dbXml).toContain('<entry>reservoir.max_connections=100</entry>');
    // Networks: web on the service's 'public' segment, app and db on its 'internal' one; nobody else's.
    const short = shopId.replace(/-/g, '').slice(0, 8);
    expect(segmentsOf(shopId)).toEqual([`rsv-${short}-internal`, `rsv-${short}-public`]);
    expect(dbXml).toContain(`<source network='rsv-${short}-internal'`);
    expect(virsh('dumpxml', (vees.find((v) => v.tier === 'web-servers') as Vee).domain)).toContain(`<source network='rsv-${short}-public'`);
    const bridgePorts = (segment: string) => {
      const bridge = /<bridge name='([^']+)'/.exec(virsh('net-dumpxml', segment))?.[1] as string;
      return readdirSync(`/sys/class/net/${bridge}/brif`).length;
    };
    expect(bridgePorts(`rsv-${short}-internal`)).toBe(3);
    expect(bridgePorts(`rsv-${short}-public`)).toBe(2);

    // A killed QEMU of a `restart` tier comes back in place; the others keep running.
    const victim = vees.find((v) => v.tier === 'web-servers') as Vee;
    const pid = qemuPid(victim.domain);
    expect(pid).toBeDefined();
    process.kill(pid as number, 'SIGKILL');
    await until('the killed VEE running again', async () => {
      const s = await service(shopId);
      const again = qemuPid(victim.domain);
      return again !== undefined && again !== pid && s.vees.every((v: Vee) => v.phase === 'running') ? true : undefined;
    });

    // Delete: every domain, overlay, data volume and segment of the service is gone.
    await http().delete(`/v1/services/${shopId}`).expect(204);
    await until('the service gone', async () => ((await http().get(`/v1/services/${shopId}`)).status === 404 ? true : undefined));
    const left = domainNames(true);
    for (const v of vees) {
      expect(left).not.toContain(v.domain);
      expect(existsSync(join(DISK_DIR, `${v.domain}-root.qcow2`))).toBe(false);
    }
    expect(existsSync(join(DISK_DIR, `${db.domain}-data.qcow2`))).toBe(false);
    expect(segmentsOf(shopId)).toEqual([]);
  }, 300_000);

  it('fails, creating nothing, when the manifest\'s image digest differs from the catalogue\'s or the tier fits nowhere', async () => {
    const before = domainNames(true);
    const wrong = 'f'.repeat(64);
    const cases: [string, string, RegExp][] = [
      ['digest', renamed('minimal.xml', `${SERVICE}-digest`).toString('utf8').replace('format="qcow2"', `format="qcow2" sha256="${wrong}"`), new RegExp(`image 'counter' has sha256 [0-9a-f]{64}, the manifest asks for ${wrong}`)],
      ['size', renamed('minimal.xml', `${SERVICE}-huge`).toString('utf8').replace('memory-mib="64"', 'memory-mib="1048576"'), /^host libvirt-1: VEE needs 1048576 MiB memory/],
    ];
    for (const [, xml, reason] of cases) {
      const id: string = (await http().post('/v1/services').set('content-type', XML).send(xml).expect(201)).body.id;
      const failed = await until('the service failed', async () => {
        const s = await service(id);
        return s.phase === 'failed' ? s : undefined;
      });
      expect(failed.vees).toEqual([]);
      expect(failed.placementErrors[0].reasons).toEqual(expect.arrayContaining([expect.stringMatching(reason)]));
      await http().delete(`/v1/services/${id}`).expect(204);
    }
    expect(domainNames(true)).toEqual(before);
  }, 60_000);
});
