import { DomainError } from '@reservoir/domain/shared/domain-error';
import { type HostEventType, type ProtectionLevel } from '@reservoir/domain/manifest/service-definition';
import { checkpointBench } from '@reservoir/testing/checkpoint-bench';
import { webShopDefinition } from '@reservoir/testing/deploy-builders';
import { HostEventCheckpoints, parseHostEvent } from './host-event-checkpoints';

/** The shop with db (live-standby) and app (checkpoint) declaring rules; web (restart) has none. */
async function monitoredShop(debounceMs = 60_000) {
  const b = await checkpointBench({ keep: 10 });
  const rules: Record<string, { protection: ProtectionLevel; checkpointIntervalMs: number; checkpointOn: HostEventType[] }> = {
    'db-servers': { protection: 'live-standby', checkpointIntervalMs: 1000, checkpointOn: ['on-battery', 'disk-errors'] },
    'app-servers': { protection: 'checkpoint', checkpointIntervalMs: 5000, checkpointOn: ['disk-errors'] },
  };
  const base = webShopDefinition('monitored');
  const service = await b.submit({ ...base, tiers: base.tiers.map((t) => ({ ...t, qos: { ...t.qos, ...rules[t.name] } })) });
  await b.deploy.execute(service.id);
  const vees = await b.vees.listByService(service.id);
  const byTier = (tier: string) => vees.filter((v) => v.tier === tier).sort((x, y) => x.index - y.index);
  const one = (tier: string) => {
    const v = byTier(tier)[0];
    if (!v) throw new Error(`no VEE in ${tier}`);
    return v;
  };
  const events = new HostEventCheckpoints(b.deps, b.checkpoints, { debounceMs });
  return { b, service, byTier, one, events };
}

describe('HostEventCheckpoints', () => {
  it('checkpoints the VEEs on the host whose tier has a rule for the event, with trigger monitoring-rule:<event>', async () => {
    const { b, one, events } = await monitoredShop();
    const db = one('db-servers');
    const outcome = await events.report(db.hostId, { type: 'on-battery', detail: 'UPS 1 on battery' });
    expect(outcome).toMatchObject({ host: { id: db.hostId, name: db.hostName }, type: 'on-battery', detail: 'UPS 1 on battery' });
    expect(outcome.vees).toEqual([{ veeId: db.id, domain: db.domain, outcome: 'checkpoint', trigger: 'monitoring-rule:on-battery' }]);
    await events.settled();
    expect((await b.checkpoints.listVeeCheckpoints(db.id)).map((c) => [c.trigger, c.complete])).toEqual([['monitoring-rule:on-battery', true]]);
  });

  it('an event storm yields one checkpoint per VEE and rule per debounce window; another rule is not held back', async () => {
    const { b, one, events } = await monitoredShop(30_000);
    const db = one('db-servers');
    const byName = db.hostName;
    for (let i = 0; i < 20; i++) {
      const o = await events.report(byName, { type: 'on-battery' });
      await events.settled();
      if (i > 0) expect(o.vees).toEqual([{ veeId: db.id, domain: db.domain, outcome: 'debounced', trigger: 'monitoring-rule:on-battery', nextAllowedAt: new Date(b.clock.now().getTime() - 1000 * i + 30_000) }]);
      b.clock.advance(1000);
    }
    expect((await events.report(byName, { type: 'disk-errors' })).vees[0]?.outcome).toBe('checkpoint');
    await events.settled();
    expect((await b.checkpoints.listVeeCheckpoints(db.id)).map((c) => c.trigger)).toEqual(['monitoring-rule:disk-errors', 'monitoring-rule:on-battery']);
    b.clock.advance(10_000);
    expect((await events.report(byName, { type: 'on-battery' })).vees[0]?.outcome).toBe('checkpoint');
    await events.settled();
    expect(await b.checkpoints.listVeeCheckpoints(db.id)).toHaveLength(3);
  });

  it('leaves tiers without the rule alone and reports a host with no matching VEE with an empty list', async () => {
    const { b, byTier, events } = await monitoredShop();
    const hosts = await b.hosts.list();
    for (const h of hosts) await events.report(h.id, { type: 'memory-pressure' });
    await events.settled();
    for (const v of [...byTier('db-servers'), ...byTier('app-servers'), ...byTier('web-servers')]) expect(await b.checkpoints.listVeeCheckpoints(v.id)).toEqual([]);
    const app = byTier('app-servers')[0];
    if (!app) throw new Error('setup');
    await events.report(app.hostId, { type: 'disk-errors' });
    await events.settled();
    expect((await b.checkpoints.listVeeCheckpoints(app.id)).map((c) => c.trigger)).toEqual(['monitoring-rule:disk-errors']);
    for (const web of byTier('web-servers')) expect(await b.checkpoints.listVeeCheckpoints(web.id)).toEqual([]);
  });

  it('a failed checkpoint is logged, not thrown', async () => {
    const { b, one } = await monitoredShop();
    const db = one('db-servers');
    const failing = new HostEventCheckpoints(b.deps, { takeVeeCheckpoint: async () => { throw new DomainError('unavailable', 'host gone'); } }, { debounceMs: 0 });
    await failing.report(db.hostId, { type: 'on-battery' });
    await failing.settled();
    expect(b.lines.some((l) => l.includes(`VEE ${db.domain}: checkpoint for monitoring-rule:on-battery failed: host gone`))).toBe(true);
  });

  it('refuses an unknown host (not-found) and a bad event (invalid-input, every problem)', async () => {
    const { one, events } = await monitoredShop();
    const db = one('db-servers');
    await expect(events.report('no-such-host', { type: 'on-battery' })).rejects.toMatchObject({ code: 'not-found' });
    await expect(events.report('00000000-0000-4000-8000-000000000000', { type: 'on-battery' })).rejects.toMatchObject({ code: 'not-found' });
    await expect(events.report(db.hostId, { type: 'solar-flare' })).rejects.toMatchObject({ code: 'invalid-input', details: [{ path: '/type' }] });
    expect(() => parseHostEvent({ detail: 3, colour: 'red' })).toThrow(expect.objectContaining({
      details: [{ path: '/type', message: expect.stringMatching(/^required/) }, { path: '/detail', message: expect.any(String) }, { path: '/colour', message: 'unknown field' }],
    }));
    expect(() => parseHostEvent([])).toThrow(DomainError);
  });
});
