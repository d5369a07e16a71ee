import 'reflect-metadata';
import { type INestApplication, type LogLevel } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { type BrokerConfig } from '@reservoir/config';
import { type EventBus } from '@reservoir/domain/ports/event-bus.port';
import { AppModule } from './app.module';
import { type Infrastructure, openInfrastructure } from './infrastructure';
import { SiteReconciler } from '@reservoir/application/reconcile/site-reconciler';
import { FailoverSupervisor } from '@reservoir/application/protection/failover-supervisor';
import { DeploymentRunner } from '@reservoir/application/deploy/deployment-runner';
import { CheckpointScheduler } from '@reservoir/application/protection/checkpoint-scheduler';
import { CheckpointCopies } from '@reservoir/application/protection/checkpoint-copies';
import { LiveStandbys } from '@reservoir/application/protection/live-standby';
import { type DeployDeps } from '@reservoir/application/deploy/deploy-deps';
import { DEPLOY_DEPS, FEDERATED_SITE } from './tokens';
import { type FederatedSite } from '@reservoir/application/federation/federated-site';

export interface RunningBroker {
  app: INestApplication;
  infra: Infrastructure;
  /** The site's reconcile loop (tests run a pass with `runOnce`). */
  reconciler: SiteReconciler;
  /** Failover of the site's VEEs, fed by the reconcile loop (tests read `status` and wait with `idle`). */
  failover: FailoverSupervisor;
  /** Periodic checkpoints of checkpoint/live-standby VEEs and their achieved RPO (`status`). */
  checkpointScheduler: CheckpointScheduler;
  /** Same-site live standbys of live-standby VEEs (`status(veeId)`: the `standby` part of a VEE's JSON). */
  liveStandbys: LiveStandbys;
  /** Background deployments (tests wait with `idle`). */
  deployments: DeploymentRunner;
  /** The site's federation part, when it is federated (RESERVOIR_SITE_KEY_FILE + RESERVOIR_FEDERATION_FILE). */
  federation: FederatedSite | null;
  /** Base URL of the HTTP API, e.g. http://127.0.0.1:8080 */
  url: string;
  close(): Promise<void>;
}

/**
 * Starts one site broker: opens the store (migrations) and the bus, builds the Nest app, serves the API and
 * the OpenAPI document at /docs, and starts the reconcile loop. Used by main.ts, the demo and the e2e tests alike.
 * `close` stops the loop, cancels deployments under way (they roll back), then closes connections, the app and the store.
 */
export async function startBroker(
  config: BrokerConfig,
  opts: { logger?: LogLevel[] | false; bus?: EventBus; log?: (line: string) => void } = {},
): Promise<RunningBroker> {
  const log = opts.log ?? ((line: string) => console.error(line));
  const infra = await openInfrastructure(config, log, opts.bus);
  let app: INestApplication | undefined;
  try {
    app = await NestFactory.create(AppModule.forRoot(config, infra, log), { logger: opts.logger ?? ['error', 'warn', 'log'] });
    const document = SwaggerModule.createDocument(
      app,
      new DocumentBuilder().setTitle('Reservoir site broker').setVersion('1').setDescription(`Site ${config.siteId}`).build(),
    );
    SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs/openapi.json' });
    await app.listen(config.http.port, config.http.host);
  } catch (err) {
    await app?.close();
    await infra.close();
    throw err;
  }
  const server = app.getHttpServer() as { address(): { port: number } };
  const host = config.http.host === '0.0.0.0' ? '127.0.0.1' : config.http.host;
  const running = app;
  const reconciler = app.get(SiteReconciler);
  const failover = app.get(FailoverSupervisor);
  const deployments = app.get(DeploymentRunner);
  const checkpointScheduler = app.get(CheckpointScheduler);
  const copies = app.get(CheckpointCopies);
  const liveStandbys = app.get(LiveStandbys);
  const deps = app.get<DeployDeps>(DEPLOY_DEPS);
  const federation = app.get<FederatedSite | null>(FEDERATED_SITE);
  failover.start();
  reconciler.start();
  checkpointScheduler.start();
  try {
    await federation?.start();
  } catch (err) {
    await checkpointScheduler.stop();
    await reconciler.stop();
    await failover.stop();
    await running.close();
    await infra.close();
    throw err;
  }
  return {
    app: running,
    infra,
    reconciler,
    failover,
    checkpointScheduler,
    liveStandbys,
    deployments,
    url: `http://${host}:${server.address().port}`,
    federation,
    async close() {
      await federation?.stop();
      await checkpointScheduler.stop();
      await copies.idle();
      await reconciler.stop();
      await failover.stop();
      await deployments.close();
      await deps.connections.closeAll();
      await running.close();
      await infra.close();
    },
  };
}
