import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { type RunningBroker } from '../apps/site-broker/bootstrap';
import { startTestBroker } from '@reservoir/testing';
import { TEST_LIBVIRT_URI, describeWithLibvirt } from '../libs/testing/libvirt-services';
import { consoleLength, domainNames, firstDrop, lastCounter, qemuPid, removeTestDomains, virsh } from '../libs/testing/libvirt-domains';
import { eventually } from '../libs/testing/eventually';

const XML = 'application/xml';
const PREFIX = 'lvprot';
/** The counter guest prints a line every 100 ms. */
const TICK_MS = 100;

interface Vee { id: string; tier: string; phase: string; domain: string; consoleLog: string }
interface Checkpoint { id: string; epoch: number; createdAt: string; sha256: string; groupId?: string; locations: { path: string }[] }

function tierXml(name: string, protection: string, intervalMs?: number): string {
  const interval = intervalMs === undefined ? '' : ` checkpoint-interval-ms="${intervalMs}"`;
  return `<tier name="${name}"><VEE-requirement vcpu="1" memory-mib="64" instances="1"/><image ref="counter" format="qcow2"/>` +
    `<tier-QoS availability="99" protection="${protection}"${interval}/></tier>`;
}

function manifest(name: string, tiers: string[], relations: [string, string][] = []): string {
  const rel = relations.length === 0 ? '' :
    `<inter-tier-configuration>${relations.map(([from, to]) => `<relation from="${from}" to="${to}"/>`).join('')}</inter-tier-configuration>`;
  return `<?xml version="1.0"?><service xmlns="urn:reservoir:service-manifest:1" version="1" name="${name}">${tiers.join('')}${rel}</service>`;
}

/**
 * Native protection on the real libvirt daemon (qemu:///system, TCG) with `counter` guests, whose counters live only
 * in guest memory: a `checkpoint` VEE killed comes back from its newest checkpoint with its counter at the
 * checkpointed value; a group cut of web → app → db plus an independent batch tier, and a db failure rolling back
 * db, app and web to that cut while batch runs on untouched; a corrupted checkpoint never restored.
 * (The `restart` level is covered in deploy-libvirt.e2e-spec.ts.)
 */
describeWithLibvirt('native protection on a libvirt host', () => {
  let broker: RunningBroker;
  const consoleDir = mkdtempSync(join(tmpdir(), 'reservoir-prot-consoles-'));
  const checkpointDir = mkdtempSync(join(tmpdir(), 'reservoir-prot-ckpt-'));
  const http = () => request(broker.url);
  const until = <T>(what: string, probe: () => Promise<T | undefined> | T | undefined, ms = 60_000): Promise<T> => eventually(what, probe, { ms, everyMs: 100 });
  const mine = (): string[] => domainNames(true).filter((d) => d.startsWith(`rsv-${PREFIX}`));
  const service = async (id: string) => (await http().get(`/v1/services/${id}`).expect(200)).body;
  const deploy = async (xml: string): Promise<{ id: string; vees: Vee[] }> => {
    const id: string = (await http().post('/v1/services').set('content-type', XML).send(xml).expect(201)).body.id;
    const s = await until('the service running', async () => {
      const current = await service(id);
      if (current.phase === 'failed') throw new Error(`deploy failed: ${JSON.stringify(current)}`);
      return current.phase === 'running' ? current : undefined;
    }, 120_000);
    for (const v of s.vees as Vee[]) await until(`${v.domain} counting`, () => lastCounter(v.consoleLog));
    return { id, vees: s.vees };
  };
  const running = async (serviceId: string) => until('every VEE running', async () => {
    const s = await service(serviceId);
    return s.vees.every((v: Vee) => v.phase === 'running' && qemuPid(v.domain) !== undefined) ? s : undefined;
  });
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

  beforeAll(async () => {
    for (const d of mine()) {
      virsh('destroy', d);
      virsh('undefine', d);
    }
    broker = await startTestBroker('embedded', 'memory', {
      RESERVOIR_RECONCILE_PERIOD_MS: '200', RESERVOIR_CONSOLE_DIR: consoleDir, RESERVOIR_CHECKPOINT_DIR: checkpointDir, RESERVOIR_CHECKPOINT_KEEP: '3',
    });
    await http().post('/v1/hosts').send({ name: 'libvirt-1', uri: TEST_LIBVIRT_URI }).expect(201);
  }, 60_000);

  afterAll(async () => {
    await broker?.close();
    removeTestDomains(mine());
    rmSync(consoleDir, { recursive: true, force: true });
    rmSync(checkpointDir, { recursive: true, force: true });
  }, 60_000);

  it('resumes a killed `checkpoint` VEE from its newest checkpoint: same domain, counter back to the checkpointed value, loss within one interval', async () => {
    const intervalMs = 2000;
    const { id, vees } = await deploy(manifest(`${PREFIX}-solo`, [tierXml('solo', 'checkpoint', intervalMs)]));
    const vee = vees[0] as Vee;
    // Long enough that the newest checkpoint is well past boot (the first one is taken right after it).
    await until('the guest past counter=50', () => ((lastCounter(vee.consoleLog) ?? 0) >= 50 ? true : undefined));
    await until('two periodic checkpoints', async () => {
      const items: Checkpoint[] = (await http().get(`/v1/vees/${vee.id}/checkpoints`).expect(200)).body.items;
      return items.length >= 2 ? items : undefined;
    });
    const pid = qemuPid(vee.domain) as number;
    const offset = consoleLength(vee.consoleLog);
    const lastBefore = lastCounter(vee.consoleLog) as number;
    const killedAt = Date.now();
    process.kill(pid, 'SIGKILL');
    await until('the domain running under a new QEMU', () => {
      const again = qemuPid(vee.domain);
      return again !== undefined && again !== pid ? true : undefined;
    });
    const drop = await until('the counter going back on the (appended) console', () => firstDrop(vee.consoleLog, Math.max(0, offset - 200)));
    const s = await running(id);
    expect(s.vees[0].domain).toBe(vee.domain);
    expect(s.vees[0].id).toBe(vee.id);
    // State kept: not a fresh boot (that prints counter=1), and no later than what the guest had printed.
    expect(drop.after).toBeGreaterThan(10);
    expect(drop.after).toBeLessThanOrEqual(lastBefore + 1);
    // Loss within one interval (plus the checkpoint's own write and the 100 ms line period).
    expect((lastBefore - drop.after) * TICK_MS).toBeLessThanOrEqual(intervalMs + 1000);
    const items: Checkpoint[] = (await http().get(`/v1/vees/${vee.id}/checkpoints`).expect(200)).body.items;
    const usedBefore = items.filter((c) => Date.parse(c.createdAt) <= killedAt);
    expect(killedAt - Date.parse((usedBefore[0] as Checkpoint).createdAt)).toBeLessThanOrEqual(intervalMs + 1000);
    // The console log was appended to, not replaced.
    expect(readFileSync(vee.consoleLog, 'utf8').length).toBeGreaterThan(offset);
    const one = (await http().get(`/v1/vees/${vee.id}`).expect(200)).body;
    expect(one).toMatchObject({ protection: 'checkpoint', failover: { lastAction: { type: 'restore-checkpoint' } } });
  }, 180_000);

  let group: { id: string; vees: Vee[] };
  const member = (tier: string) => group.vees.find((v) => v.tier === tier) as Vee;

  it('rolls back db and the tiers that depend on it (app, web) to one group cut when db fails, batch running on untouched', async () => {
    // No periodic checkpoints during the test (10 min interval): the only cut is the one taken here.
    const tiers = ['web', 'app', 'db', 'batch'].map((t) => tierXml(t, 'checkpoint', 600_000));
    group = await deploy(manifest(`${PREFIX}-grp`, tiers, [['web', 'app'], ['app', 'db']]));
    const pre = new Map(group.vees.map((v) => [v.tier, lastCounter(v.consoleLog) as number]));
    const cut = (await http().post(`/v1/services/${group.id}/checkpoints`).expect(201)).body;
    const post = new Map(group.vees.map((v) => [v.tier, lastCounter(v.consoleLog) as number]));
    expect(cut).toMatchObject({ complete: true, epoch: 1, pauseMsMax: expect.any(Number) });
    expect(cut.members.map((m: { veeId: string }) => m.veeId).sort()).toEqual(group.vees.map((v) => v.id).sort());
    await sleep(3000); // every guest counts on, past the cut
    const offsets = new Map(group.vees.map((v) => [v.tier, consoleLength(v.consoleLog)]));
    const pids = new Map(group.vees.map((v) => [v.tier, qemuPid(v.domain) as number]));
    process.kill(pids.get('db') as number, 'SIGKILL');

    for (const tier of ['db', 'app', 'web']) {
      const v = member(tier);
      const drop = await until(`${tier} rolled back`, () => firstDrop(v.consoleLog, (offsets.get(tier) as number) - 200), 90_000);
      // Back at the cut: between what it printed just before the cut was asked for and just after it was taken.
      expect(drop.after).toBeGreaterThanOrEqual(pre.get(tier) as number);
      expect(drop.after).toBeLessThanOrEqual((post.get(tier) as number) + 2);
    }
    await running(group.id);
    // batch: the same QEMU all along, and its counter never went back.
    const batch = member('batch');
    expect(qemuPid(batch.domain)).toBe(pids.get('batch'));
    expect(firstDrop(batch.consoleLog)).toBeUndefined();
    expect(lastCounter(batch.consoleLog) as number).toBeGreaterThan(post.get('batch') as number);
  }, 240_000);

  it('never restores a checkpoint whose file fails its digest: a rollback passes over the corrupted cut to the older one', async () => {
    const first: Checkpoint = (await http().get(`/v1/vees/${member('db').id}/checkpoints`).expect(200)).body.items.find((c: Checkpoint) => c.groupId !== undefined);
    await sleep(1000);
    const pre = new Map(group.vees.map((v) => [v.tier, lastCounter(v.consoleLog) as number]));
    const second = (await http().post(`/v1/services/${group.id}/checkpoints`).expect(201)).body;
    expect(second.epoch).toBe(first.epoch + 1);
    const dbPart: Checkpoint = (await http().get(`/v1/vees/${member('db').id}/checkpoints`).expect(200)).body.items.find((c: Checkpoint) => c.epoch === second.epoch);
    const memory = join((dbPart.locations[0] as { path: string }).path, 'memory.save');
    const bytes = readFileSync(memory);
    bytes[Math.floor(bytes.length / 2)] ^= 0xff;
    writeFileSync(memory, bytes);
    await sleep(2000);
    const offsets = new Map(group.vees.map((v) => [v.tier, consoleLength(v.consoleLog)]));

    const res = await http().post(`/v1/services/${group.id}/rollback`).send({ failedVee: member('db').id }).expect(200);
    expect(res.body.epoch).toBe(first.epoch);
    expect(res.body.skipped).toEqual(expect.arrayContaining([expect.objectContaining({ epoch: second.epoch, reason: expect.stringMatching(/digest|sha256/) })]));
    for (const tier of ['db', 'app', 'web']) {
      const drop = await until(`${tier} back at the older cut`, () => firstDrop(member(tier).consoleLog, (offsets.get(tier) as number) - 200));
      // Older than the corrupted cut: below what the guest had printed before that cut was taken.
      expect(drop.after).toBeLessThan(pre.get(tier) as number);
    }
    await running(group.id);
  }, 180_000);
});
