import 'reflect-metadata';
import { type INestApplication } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { CheckpointService } from '@reservoir/application/protection/checkpoint-service';
import { CHECKPOINT_DIR, checkpointBench } from '@reservoir/testing/checkpoint-bench';
import { DomainErrorFilter } from '../http/domain-error.filter';
import { VeeCheckpointsController } from './vee-checkpoints.controller';

const UNKNOWN = '00000000-0000-4000-8000-00000000ffff';
const HEX64 = /^[0-9a-f]{64}$/;

/** The checkpoint API over HTTP, on the checkpoint bench (simulated hosts, in-memory stores). */
describe('VeeCheckpointsController', () => {
  let app: INestApplication | undefined;
  afterEach(async () => app?.close());

  async function serve() {
    const b = await checkpointBench();
    const moduleRef = await Test.createTestingModule({
      controllers: [VeeCheckpointsController],
      providers: [{ provide: APP_FILTER, useClass: DomainErrorFilter }, { provide: CheckpointService, useValue: b.checkpoints }],
    }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    await app.init();
    return { b, http: request(app.getHttpServer()) };
  }

  it('POST /v1/vees/:id/checkpoints → 201 with the checkpoint; GET lists them newest first', async () => {
    const { b, http } = await serve();
    const { one } = await b.deployShop();
    const db = one('db-servers');
    const first = (await http.post(`/v1/vees/${db.id}/checkpoints`).expect(201)).body;
    expect(first).toEqual({
      id: expect.any(String), veeId: db.id, epoch: 1, createdAt: b.clock.now().toISOString(), completedAt: b.clock.now().toISOString(), complete: true,
      sizeBytes: expect.any(Number), sha256: expect.stringMatching(HEX64), trigger: 'api',
      locations: [{ kind: 'local', siteId: 'test', hostId: db.hostId, path: `${CHECKPOINT_DIR}/${db.domain}/${first.id}` }],
    });
    b.clock.advance(1000);
    const second = (await http.post(`/v1/vees/${db.id}/checkpoints`).expect(201)).body;
    const listed = (await http.get(`/v1/vees/${db.id}/checkpoints`).expect(200)).body.items;
    expect(listed.map((c: { id: string }) => c.id)).toEqual([second.id, first.id]);
    expect(listed[1]).toEqual(first);
  });

  it('POST /v1/services/:id/checkpoints → 201 with the cut of every VEE; the parts show in each VEE list with their group', async () => {
    const { b, http } = await serve();
    const { service, vees } = await b.deployShop();
    const cut = (await http.post(`/v1/services/${service.id}/checkpoints`).expect(201)).body;
    expect(cut).toMatchObject({ id: `${service.id}-e1`, groupId: service.id, epoch: 1, complete: true, createdAt: expect.any(String), pauseMsMax: expect.any(Number), trigger: 'api' });
    expect(cut.members.map((m: { veeId: string }) => m.veeId).sort()).toEqual(vees.map((v) => v.id).sort());
    for (const v of vees) {
      const [part] = (await http.get(`/v1/vees/${v.id}/checkpoints`).expect(200)).body.items;
      expect(part).toMatchObject({ groupId: service.id, epoch: 1, sha256: expect.stringMatching(HEX64), trigger: 'api', complete: true });
    }
  });

  it('POST /v1/services/:id/rollback {failedVee} → 200 naming what went back to which cut', async () => {
    const { b, http } = await serve();
    const { service, one } = await b.deployShop({ batch: true });
    await http.post(`/v1/services/${service.id}/checkpoints`).expect(201);
    const web = one('web-servers');
    const result = (await http.post(`/v1/services/${service.id}/rollback`).send({ failedVee: web.id }).expect(200)).body;
    expect(result).toMatchObject({ serviceId: service.id, failedVeeId: web.id, epoch: 1, scope: { kind: 'dependents', tiers: ['web-servers'] }, cutCreatedAt: expect.any(String) });
    expect(result.rolledBack.map((r: { tier: string }) => r.tier)).toEqual(['web-servers', 'web-servers']);
    expect(result.keptRunning.map((r: { tier: string }) => r.tier).sort()).toEqual(['app-servers', 'app-servers', 'batch', 'db-servers']);
    await http.post(`/v1/services/${service.id}/rollback`).send({}).expect(400);
  });

  it('answers 404 for unknown ids and 409 for a VEE or service not running, in the API error format', async () => {
    const { b, http } = await serve();
    const { service, one } = await b.deployShop();
    for (const path of [`/v1/vees/${UNKNOWN}/checkpoints`, '/v1/vees/not-a-uuid/checkpoints', `/v1/services/${UNKNOWN}/checkpoints`]) {
      const res = await http.post(path).expect(404);
      expect(res.body).toEqual({ errors: [{ path: '/', message: expect.stringMatching(/^no (VEE|service) with id/) }] });
    }
    await http.get(`/v1/vees/${UNKNOWN}/checkpoints`).expect(404);
    await http.post(`/v1/services/${UNKNOWN}/rollback`).send({ failedVee: one('db-servers').id }).expect(404);
    await http.post(`/v1/services/${service.id}/rollback`).send({ failedVee: UNKNOWN }).expect(404);
    // No cut yet: nothing to roll back to.
    expect((await http.post(`/v1/services/${service.id}/rollback`).send({ failedVee: one('db-servers').id }).expect(409)).body.errors[0].message).toMatch(/no complete cut/);
    const app = one('app-servers');
    b.sim.crashDomain(app.hostName, app.domain);
    await b.deps.veePhases.move(app, { type: 'crashed', reason: 'domain crashed' }, 'reconcile');
    expect((await http.post(`/v1/vees/${app.id}/checkpoints`).expect(409)).body.errors[0].message).toMatch(/is failed: only a running VEE/);
    expect((await http.post(`/v1/services/${service.id}/checkpoints`).expect(409)).body.errors[0].message).toMatch(/needs every VEE running/);
  });
});
