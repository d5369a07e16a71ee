import 'reflect-metadata';
import { type INestApplication } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { FailoverVeeQuery } from '@reservoir/application/protection/failover-vee-query';
import { webShopDefinition } from '@reservoir/testing/deploy-builders';
import { failoverBench } from '@reservoir/testing/failover-bench';
import { DomainErrorFilter } from '../http/domain-error.filter';
import { toServiceView } from '../services/service.view';
import { VeesController } from './vees.controller';

/** GET /v1/vees/:id over HTTP, on the failover bench (simulated hosts, in-memory stores, virtual time). */
describe('VeesController', () => {
  let app: INestApplication | undefined;
  afterEach(async () => app?.close());

  async function serve(t: Awaited<ReturnType<typeof failoverBench>>): Promise<INestApplication> {
    const moduleRef = await Test.createTestingModule({
      controllers: [VeesController],
      providers: [
        { provide: APP_FILTER, useClass: DomainErrorFilter },
        { provide: FailoverVeeQuery, useValue: new FailoverVeeQuery(t.vees, t.services, t.supervisor) },
      ],
    }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    await app.init();
    return app;
  }

  it('(f) shows a VEE with its protection and failover state, following a recovery', async () => {
    const t = await failoverBench();
    const http = request((await serve(t)).getHttpServer());
    const web = t.vee('web-servers');
    const before = (await http.get(`/v1/vees/${web.id}`).expect(200)).body;
    expect(before).toEqual({
      id: web.id, tier: 'web-servers', index: 0, host: web.hostName, hostId: web.hostId, phase: 'running', role: 'active', protection: 'restart',
      domain: web.domain, consoleLog: web.consoleLog, createdAt: web.createdAt.toISOString(), updatedAt: web.updatedAt.toISOString(),
    });
    await t.pass(); // watched from the first check on
    expect((await http.get(`/v1/vees/${web.id}`).expect(200)).body.failover).toEqual({ state: 'healthy', since: t.clock.now().toISOString(), reason: 'protected from now on' });
    t.sim.crashDomain(web.hostName, web.domain);
    await t.pass();
    await t.pass();
    const recovering = (await http.get(`/v1/vees/${web.id}`).expect(200)).body;
    expect(recovering).toMatchObject({
      phase: 'running',
      protection: 'restart',
      failover: {
        state: 'probation',
        reason: 'restart-in-place succeeded',
        lastAction: { type: 'restart-in-place', step: 'restart-in-place', attempt: 1, at: t.clock.now().toISOString() },
      },
    });
    for (let i = 0; i < 3; i += 1) await t.pass();
    expect((await http.get(`/v1/vees/${web.id}`).expect(200)).body.failover).toMatchObject({ state: 'healthy', lastAction: { type: 'restart-in-place' } });
  });

  it('shows why a none-protected VEE was declared lost', async () => {
    const d = webShopDefinition();
    const t = await failoverBench({ definition: { ...d, tiers: d.tiers.map((x) => (x.name === 'db-servers' ? { ...x, qos: { ...x.qos, protection: 'none' as const } } : x)) } });
    const http = request((await serve(t)).getHttpServer());
    const db = t.vee('db-servers');
    t.sim.crashDomain(db.hostName, db.domain);
    await t.pass();
    await t.pass();
    const body = (await http.get(`/v1/vees/${db.id}`).expect(200)).body;
    expect(body).toMatchObject({ phase: 'lost', protection: 'none', failover: { state: 'lost', reason: expect.stringMatching(/^protection 'none' has no recovery steps/) } });
    expect(body.failover.lastAction).toBeUndefined();
  });

  it('answers 404 in the API error format for an unknown or malformed id', async () => {
    const t = await failoverBench();
    const http = request((await serve(t)).getHttpServer());
    const unknown = '00000000-0000-4000-8000-00000000ffff';
    expect((await http.get(`/v1/vees/${unknown}`).expect(404)).body).toEqual({ errors: [{ path: '/', message: `no VEE with id '${unknown}'` }] });
    expect((await http.get('/v1/vees/not-a-uuid').expect(404)).body.errors[0].message).toBe("no VEE with id 'not-a-uuid'");
  });

  it("puts the same failover view on the service's VEEs", async () => {
    const t = await failoverBench();
    await t.pass();
    const record = await t.services.get(t.service.id);
    if (!record) throw new Error('service gone');
    const view = toServiceView(record, undefined, await t.vees.listByService(t.service.id), (id) => t.supervisor.status(id));
    expect(view.vees?.map((v) => v.failover?.state)).toEqual(['healthy', 'healthy', 'healthy', 'healthy', 'healthy']);
  });
});
