import { HypervisorError } from '@reservoir/domain/ports/hypervisor.port';
import { maxActionsInWindow, resolveFailoverSettings } from '@reservoir/domain/protection/failover';
import { type ProtectionLevel } from '@reservoir/domain/manifest/service-definition';
import { webShopDefinition } from '@reservoir/testing/deploy-builders';
import { failoverBench } from '@reservoir/testing/failover-bench';
import { HOSTS } from '@reservoir/testing/deploy-bench';

/** web-shop with the web tier at another protection level. */
const shopWithWeb = (protection: ProtectionLevel) => {
  const d = webShopDefinition();
  return { ...d, tiers: d.tiers.map((t) => (t.name === 'web-servers' ? { ...t, qos: { ...t.qos, protection } } : t)) };
};

describe('FailoverSupervisor (reconcile passes → failover machine → recovery executor, simulated hosts, virtual time)', () => {
  it('(a) restarts a crashed restart-tier VEE in place once the failure is confirmed, and it ends healthy', async () => {
    const t = await failoverBench();
    const web = t.vee('web-servers');
    t.sim.crashDomain(web.hostName, web.domain);
    await t.pass();
    expect(t.supervisor.status(web.id)?.state.phase).toBe('suspect');
    expect(t.actions).toEqual([]);
    await t.pass(); // the 2nd failed check confirms: the first action at once
    expect(t.actions.map((a) => [a.type, a.veeId])).toEqual([['restart-in-place', web.id]]);
    expect(await t.domainState(web.hostName, web.domain)).toBe('running');
    expect(await t.phases(web.id)).toEqual(['defined', 'starting', 'running', 'failed', 'recovering', 'running']);
    expect((await t.vees.history(t.service.id)).find((h) => h.veeId === web.id && h.to === 'failed')?.reason).toBe(`domain ${web.domain} is crashed`);
    expect(t.supervisor.status(web.id)?.state.phase).toBe('probation');
    for (let i = 0; i < 3; i += 1) await t.pass();
    expect(t.supervisor.status(web.id)).toMatchObject({ state: { phase: 'healthy', lastAction: { type: 'restart-in-place', attempt: 1 } }, lastActionAt: expect.any(Date) });
    expect((await t.services.history(t.service.id)).map((h) => h.to).slice(-2)).toEqual(['degraded', 'running']);
    expect(t.lines.filter((l) => l.startsWith('failover: {')).map((l) => (JSON.parse(l.slice('failover: '.length)) as { to: string }).to)).toEqual([
      'suspect', 'recovering', 'probation', 'healthy',
    ]);
  });

  it('(b) moves a VEE off a dead host: restarted elsewhere (spread kept), the record shows the new host, the stale copy is fenced when the host is back', async () => {
    const t = await failoverBench();
    const web = t.vee('web-servers');
    const sibling = t.vee('web-servers', 1);
    t.sim.killHost(web.hostName);
    await t.pass();
    await t.pass();
    const mine = t.actions.filter((a) => a.veeId === web.id);
    expect(mine).toEqual([expect.objectContaining({ type: 'restart-elsewhere', avoidHost: web.hostId, reason: expect.stringContaining('skipped restart-in-place') })]);
    const moved = await t.vees.get(web.id);
    expect(moved?.hostId).not.toBe(web.hostId);
    expect(moved?.hostId).not.toBe(sibling.hostId); // 99.9 %: the web tier stays across racks
    expect(moved?.hostName).toBe(HOSTS.find((h) => h !== web.hostName && h !== sibling.hostName));
    expect(moved?.phase).toBe('running');
    expect(await t.domainState(moved?.hostName ?? '', web.domain)).toBe('running');
    expect(t.supervisor.status(web.id)?.state).toMatchObject({ phase: 'probation', hostId: moved?.hostId });
    for (let i = 0; i < 3; i += 1) await t.pass();
    expect(t.supervisor.status(web.id)?.state.phase).toBe('healthy');
    expect(await t.servicePhase()).toBe('running'); // every VEE of the dead host was moved
    // The old host comes back with its (crashed) copy: the loop destroys it, and it is no orphan.
    t.sim.reviveHost(web.hostName);
    expect(await t.domainState(web.hostName, web.domain)).toBe('crashed');
    await t.pass();
    expect(await t.domainState(web.hostName, web.domain)).toBe('missing');
    expect(await (await t.sim.connect(`sim://${web.hostName}`)).list()).toEqual([]);
    expect(t.lines.some((l) => l.includes(`fenced ${web.domain} on host ${web.hostName}`))).toBe(true);
    await t.pass();
    expect(t.reconciler.orphans()).toEqual([]);
    expect(t.actions.filter((a) => a.veeId === web.id)).toHaveLength(1);
  });

  it('(c) restarts that keep failing escalate in place → elsewhere → reinstall, then the VEE is lost with the reason and the service degraded', async () => {
    const t = await failoverBench();
    const web = t.vee('web-servers');
    for (const h of HOSTS) for (let i = 0; i < 6; i += 1) t.sim.refuseNext(h, 'start', new HypervisorError('operation-failed', 'no luck'));
    t.sim.crashDomain(web.hostName, web.domain);
    await t.pass();
    await t.pass();
    for (const backoff of [1000, 2000, 4000, 8000, 16000]) await t.wait(backoff);
    expect(t.actions.map((a) => `${a.type}#${a.attempt}`)).toEqual([
      'restart-in-place#1', 'restart-in-place#2', 'restart-elsewhere#1', 'restart-elsewhere#2', 'reinstall#1', 'reinstall#2',
    ]);
    const lost = await t.vees.get(web.id);
    expect(lost?.phase).toBe('lost');
    expect(lost?.hostId).toBe(web.hostId); // no move succeeded
    const reason = (await t.vees.history(t.service.id)).filter((h) => h.veeId === web.id).at(-1)?.reason;
    expect(reason).toMatch(/^ladder restart-in-place → restart-elsewhere → reinstall exhausted after 6 failed action\(s\); last: reinstall failed: .*no luck/);
    expect(t.supervisor.status(web.id)?.state).toMatchObject({ phase: 'lost', reason });
    expect(await t.servicePhase()).toBe('degraded');
    await t.wait(60_000);
    await t.pass();
    expect(t.actions).toHaveLength(6);
    expect(await t.phases(web.id)).toEqual(['defined', 'starting', 'running', 'failed', ...Array<string[]>(6).fill(['recovering', 'failed']).flat(), 'lost']);
  });

  it("(d) a 'none' VEE is not restarted: failed, then lost with the reason, the service degraded", async () => {
    const t = await failoverBench({ definition: shopWithWeb('none') });
    const web = t.vee('web-servers');
    t.sim.crashDomain(web.hostName, web.domain);
    await t.pass();
    await t.pass();
    await t.wait(60_000);
    await t.pass();
    expect(t.actions).toEqual([]);
    expect(await t.domainState(web.hostName, web.domain)).toBe('crashed');
    expect(await t.phases(web.id)).toEqual(['defined', 'starting', 'running', 'failed', 'lost']);
    const history = (await t.vees.history(t.service.id)).filter((h) => h.veeId === web.id);
    expect(history.at(-1)?.reason).toBe(`protection 'none' has no recovery steps; 2 failed checks: domain ${web.domain} is crashed`);
    expect(await t.servicePhase()).toBe('degraded');
    expect(t.supervisor.status(web.id)?.state).toMatchObject({ phase: 'lost', lastAction: null });
  });

  it('(e) a flapping VEE gets no action storm: its chain continues and climbs the ladder instead of a restart per crash', async () => {
    const t = await failoverBench();
    const web = t.vee('web-servers');
    const settings = resolveFailoverSettings();
    const startedAt = t.clock.now().getTime();
    let crashes = 0;
    for (let round = 0; round < 30; round += 1) {
      const now = await t.vees.get(web.id);
      if (now?.phase === 'lost') break;
      if (now && (await t.domainState(now.hostName, web.domain)) === 'running') {
        t.sim.crashDomain(now.hostName, web.domain);
        crashes += 1;
      }
      for (let i = 0; i < 5; i += 1) {
        await t.wait(1000);
        await t.pass();
      }
    }
    const elapsed = t.clock.now().getTime() - startedAt;
    expect(crashes).toBeGreaterThan(t.actions.length);
    expect(t.actions.length).toBeLessThanOrEqual(maxActionsInWindow(settings, 'restart', elapsed));
    expect(t.actions.map((a) => a.type)).toEqual(['restart-in-place', 'restart-in-place', 'restart-elsewhere', 'restart-elsewhere', 'reinstall', 'reinstall']);
    expect((await t.vees.get(web.id))?.phase).toBe('lost');
    expect(t.supervisor.status(web.id)?.state.reason).toMatch(/did not hold/);
  });
});
