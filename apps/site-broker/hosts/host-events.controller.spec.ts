import 'reflect-metadata';
import { type INestApplication } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { MigrateVee } from '@reservoir/application/deploy/migrate-vee';
import { HostEventCheckpoints } from '@reservoir/application/protection/host-event-checkpoints';
import { FailoverVeeQuery } from '@reservoir/application/protection/failover-vee-query';
import { VeeProtectionDetailsQuery } from '@reservoir/application/protection/vee-protection-details';
import { checkpointBench } from '@reservoir/testing/checkpoint-bench';
import { webShopDefinition } from '@reservoir/testing/deploy-builders';
import { DomainErrorFilter } from '../http/domain-error.filter';
import { VeeMigrationsController } from '../vees/vee-migrations.controller';
import { VeesController } from '../vees/vees.controller';
import { HostEventsController } from './host-events.controller';

/** POST /v1/hosts/:id/events, POST /v1/vees/:id/migrations and the VEE JSON, over HTTP on sim hosts. */
describe('host events, migrations and the VEE JSON over HTTP', () => {
  let app: INestApplication | undefined;
  afterEach(async () => app?.close());

  async function serve() {
    const b = await checkpointBench();
    const base = webShopDefinition('api');
    const definition = { ...base, tiers: base.tiers.map((t) => (t.name === 'db-servers' ? { ...t, qos: { ...t.qos, protection: 'checkpoint' as const, checkpointIntervalMs: 1000, checkpointOn: ['disk-errors' as const] } } : t)) };
    const service = await b.submit(definition);
    await b.deploy.execute(service.id);
    const db = (await b.vees.listByService(service.id)).find((v) => v.tier === 'db-servers');
    if (!db) throw new Error('setup');
    const events = new HostEventCheckpoints(b.deps, b.checkpoints, { debounceMs: 60_000 });
    const status = { rpo: { configuredMs: 1000, achievedMs: 2500, degraded: true, message: 'achieved RPO 2500 ms over 1500 ms' }, conditions: [{ type: 'RpoDegraded', message: 'achieved RPO 2500 ms over 1500 ms' }] };
    const moduleRef = await Test.createTestingModule({
      controllers: [HostEventsController, VeeMigrationsController, VeesController],
      providers: [
        { provide: APP_FILTER, useClass: DomainErrorFilter },
        { provide: HostEventCheckpoints, useValue: events },
        { provide: MigrateVee, useValue: new MigrateVee(b.deps, b.checkpoints) },
        { provide: FailoverVeeQuery, useValue: new FailoverVeeQuery(b.vees, b.services, { status: () => undefined }) },
        { provide: VeeProtectionDetailsQuery, useValue: new VeeProtectionDetailsQuery({ status: async () => status }, { standbyOf: async () => ({ hostId: 'h2', hostName: 'sim-2', lastSwitchOverMs: 12 }) }) },
      ],
    }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    await app.init();
    return { b, db, events, http: request(app.getHttpServer()) };
  }

  it('an event fires the matching rule: 202 with the outcome, then the checkpoint is listed with its trigger', async () => {
    const { b, db, events, http } = await serve();
    const res = await http.post(`/v1/hosts/${db.hostName}/events`).send({ type: 'disk-errors', detail: 'smart: 3 reallocated sectors' }).expect(202);
    expect(res.body).toMatchObject({ host: { id: db.hostId, name: db.hostName }, type: 'disk-errors', vees: [{ veeId: db.id, outcome: 'checkpoint', trigger: 'monitoring-rule:disk-errors' }] });
    await events.settled();
    expect((await b.checkpoints.listVeeCheckpoints(db.id)).map((c) => c.trigger)).toEqual(['monitoring-rule:disk-errors']);
    expect((await http.post(`/v1/hosts/${db.hostId}/events`).send({ type: 'disk-errors' }).expect(202)).body.vees[0]).toMatchObject({ outcome: 'debounced', nextAllowedAt: expect.any(String) });
    await http.post('/v1/hosts/h9/events').send({ type: 'disk-errors' }).expect(404);
    expect((await http.post(`/v1/hosts/${db.hostId}/events`).send({ type: 'solar-flare' }).expect(400)).body.errors[0].path).toBe('/type');
  });

  it('migrates a VEE (201) after a before-migration checkpoint, with 404/409 for unknown and same hosts', async () => {
    const { b, db, http } = await serve();
    const target = (await b.hosts.list()).find((h) => h.id !== db.hostId);
    if (!target) throw new Error('setup');
    const res = await http.post(`/v1/vees/${db.id}/migrations`).send({ host: target.name }).expect(201);
    expect(res.body).toMatchObject({ vee: { id: db.id, host: target.name, phase: 'running' }, from: { name: db.hostName }, to: { name: target.name }, checkpointId: expect.any(String) });
    expect((await b.checkpoints.listVeeCheckpoints(db.id)).map((c) => c.trigger)).toEqual(['before-migration']);
    await http.post(`/v1/vees/${db.id}/migrations`).send({ host: target.name }).expect(409);
    await http.post(`/v1/vees/${db.id}/migrations`).send({ host: 'h9' }).expect(404);
    await http.post('/v1/vees/00000000-0000-4000-8000-00000000ffff/migrations').send({ host: target.name }).expect(404);
  });

  it('shows rpo, conditions and standby for a protected VEE, none of them for an unprotected one', async () => {
    const { b, db, http } = await serve();
    const body = (await http.get(`/v1/vees/${db.id}`).expect(200)).body;
    expect(body).toMatchObject({ protection: 'checkpoint', rpo: { configuredMs: 1000, achievedMs: 2500, degraded: true }, conditions: [{ type: 'RpoDegraded' }], standby: { hostName: 'sim-2', lastSwitchOverMs: 12 } });
    const web = (await b.vees.listByService(db.serviceId)).find((v) => v.tier === 'web-servers');
    const plain = (await http.get(`/v1/vees/${web?.id ?? ''}`).expect(200)).body;
    expect(plain.protection).toBe('restart');
    expect(plain).not.toHaveProperty('rpo');
    expect(plain).not.toHaveProperty('conditions');
  });
});
