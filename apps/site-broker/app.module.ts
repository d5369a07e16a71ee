import { type DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { type BrokerConfig } from '@reservoir/config';
import { type ServiceStore } from '@reservoir/domain/ports/service-store.port';
import { type EventBus } from '@reservoir/domain/ports/event-bus.port';
import { type Clock, type IdGenerator } from '@reservoir/domain/ports/clock.port';
import { TypeormServiceStore } from '@reservoir/adapters/postgres/typeorm-service.store';
import { TypeormHostStore } from '@reservoir/adapters/postgres/typeorm-host.store';
import { TypeormVeeStore } from '@reservoir/adapters/postgres/typeorm-vee.store';
import { ManifestValidator } from '@reservoir/application/manifest-intake/validate-manifest';
import { SubmitService } from '@reservoir/application/services/submit-service';
import { ServiceQueries } from '@reservoir/application/services/service-queries';
import { ServicePhaseRecorder } from '@reservoir/application/services/service-phase-recorder';
import { HostRegistry } from '@reservoir/application/hosts/host-registry';
import { HostConnections } from '@reservoir/application/hosts/host-connections';
import { type DeployDeps } from '@reservoir/application/deploy/deploy-deps';
import { DeployService } from '@reservoir/application/deploy/deploy-service';
import { DeleteService } from '@reservoir/application/deploy/delete-service';
import { DeploymentRunner } from '@reservoir/application/deploy/deployment-runner';
import { KeyedMutex } from '@reservoir/application/deploy/keyed-mutex';
import { VeePhaseRecorder } from '@reservoir/application/deploy/vee-phase-recorder';
import { UpdateTier } from '@reservoir/application/deploy/update-tier';
import { MigrateVee } from '@reservoir/application/deploy/migrate-vee';
import { HostEventCheckpoints } from '@reservoir/application/protection/host-event-checkpoints';
import { type StandbyInfoProvider, VeeProtectionDetailsQuery } from '@reservoir/application/protection/vee-protection-details';
import { type FederatedSite } from '@reservoir/application/federation/federated-site';
import { SiteReconciler } from '@reservoir/application/reconcile/site-reconciler';
import { CheckpointService } from '@reservoir/application/protection/checkpoint-service';
import { CheckpointScheduler } from '@reservoir/application/protection/checkpoint-scheduler';
import { CheckpointBundles } from '@reservoir/application/protection/checkpoint-bundles';
import { CheckpointCopies } from '@reservoir/application/protection/checkpoint-copies';
import { type CheckpointDeps } from '@reservoir/application/protection/checkpoint-deps';
import { LiveStandbys } from '@reservoir/application/protection/live-standby';
import { type CheckpointStore } from '@reservoir/domain/ports/checkpoint-store.port';
import { TypeormCheckpointStore } from '@reservoir/adapters/postgres/typeorm-checkpoint.store';
import { FailoverSupervisor } from '@reservoir/application/protection/failover-supervisor';
import { FailoverVeeQuery } from '@reservoir/application/protection/failover-vee-query';
import { RecoveryExecutor } from '@reservoir/application/protection/recovery-executor';
import { resolveFailoverSettings } from '@reservoir/domain/protection/failover';
import { type Infrastructure, systemClock, uuidGenerator } from './infrastructure';
import { BROKER_CONFIG, CHECKPOINT_RECOVERY, CHECKPOINT_STORE, CLOCK, DEPLOY_DEPS, EVENT_BUS, FEDERATED_SITE, ID_GENERATOR, SERVICE_STORE, STANDBY_INFO } from './tokens';
import { createFederatedSite } from './federation/federated-site.factory';
import { ServicesController } from './services/services.controller';
import { HealthController } from './health/health.controller';
import { HostsController } from './hosts/hosts.controller';
import { SitesController } from './sites/sites.controller';
import { VeesController } from './vees/vees.controller';
import { VeeCheckpointsController } from './vees/vee-checkpoints.controller';
import { VeeMigrationsController } from './vees/vee-migrations.controller';
import { HostEventsController } from './hosts/host-events.controller';
import { DomainErrorFilter } from './http/domain-error.filter';
import { CheckpointTransferController } from './data-channel/checkpoint-transfer.controller';
import { createDataChannel, DATA_CHANNEL } from './data-channel/data-channel';

const delay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** The site broker's wiring: the only place where ports meet their adapters. */
@Module({})
export class AppModule {
  /** `sink` receives the broker's operational log lines (default: stderr); each is prefixed with the site id. */
  static forRoot(config: BrokerConfig, infra: Infrastructure, sink: (line: string) => void = (line) => console.error(line)): DynamicModule {
    const log = (line: string): void => sink(`site ${config.siteId}: ${line}`);
    // UpdateTier tells the federation (primary → replicas) and the federation applies peers' updates through it.
    const federationRef: { site?: FederatedSite } = {};
    return {
      module: AppModule,
      controllers: [ServicesController, HostsController, SitesController, HealthController, VeesController, VeeCheckpointsController, CheckpointTransferController, VeeMigrationsController, HostEventsController],
      providers: [
        { provide: APP_FILTER, useClass: DomainErrorFilter },
        { provide: BROKER_CONFIG, useValue: config },
        { provide: EVENT_BUS, useValue: infra.bus },
        { provide: CLOCK, useValue: systemClock },
        { provide: ID_GENERATOR, useValue: uuidGenerator },
        { provide: SERVICE_STORE, useValue: new TypeormServiceStore(infra.dataSource) },
        {
          provide: DEPLOY_DEPS,
          inject: [SERVICE_STORE, EVENT_BUS, CLOCK, ID_GENERATOR],
          useFactory: (services: ServiceStore, bus: EventBus, clock: Clock, ids: IdGenerator): DeployDeps => {
            const vees = new TypeormVeeStore(infra.dataSource);
            return {
              services,
              hosts: new TypeormHostStore(infra.dataSource),
              vees,
              images: infra.images,
              connections: new HostConnections(infra.hypervisors),
              servicePhases: new ServicePhaseRecorder(services, bus, clock, log),
              veePhases: new VeePhaseRecorder(vees, clock),
              locks: new KeyedMutex(),
              ids,
              clock,
              consoleDir: config.deploy.consoleDir,
              start: { timeoutMs: config.deploy.startTimeoutMs, pollMs: 50, clock, delay },
              log,
            };
          },
        },
        {
          provide: DeploymentRunner,
          inject: [DEPLOY_DEPS],
          useFactory: (d: DeployDeps) => new DeploymentRunner(new DeployService(d), log),
        },
        {
          provide: DeleteService,
          inject: [DEPLOY_DEPS, DeploymentRunner, CheckpointService],
          useFactory: (d: DeployDeps, runner: DeploymentRunner, checkpoints: CheckpointService) =>
            new DeleteService(d, (id, reason) => runner.cancel(id, reason), (vee) => checkpoints.forgetVee(vee)),
        },
        // Checkpoints of VEEs and group cuts (API, scheduler) and the CheckpointRecovery of failover.
        { provide: CHECKPOINT_STORE, useValue: new TypeormCheckpointStore(infra.dataSource) },
        {
          provide: CheckpointService,
          inject: [DEPLOY_DEPS, CHECKPOINT_STORE],
          useFactory: (d: DeployDeps, store: CheckpointStore) =>
            new CheckpointService({ ...d, checkpoints: store, settings: { siteId: config.siteId, dir: config.checkpoints.dir, keep: config.checkpoints.keep } }),
        },
        { provide: CHECKPOINT_RECOVERY, useExisting: CheckpointService },
        {
          // Each complete checkpoint of a checkpoint/live-standby VEE is copied to a second host of the site.
          provide: CheckpointCopies,
          inject: [DEPLOY_DEPS, CHECKPOINT_STORE, CheckpointService],
          useFactory: (d: DeployDeps, store: CheckpointStore, checkpoints: CheckpointService) => {
            const copies = new CheckpointCopies({ ...d, checkpoints: store, settings: { siteId: config.siteId, dir: config.checkpoints.dir, keep: config.checkpoints.keep } });
            checkpoints.onCompleted((c) => copies.enqueue(c));
            return copies;
          },
        },
        {
          // Live standbys: paused copies of live-standby VEEs on the copy host, refreshed from each copy.
          provide: LiveStandbys,
          inject: [DEPLOY_DEPS, CHECKPOINT_STORE, CheckpointCopies],
          useFactory: (d: DeployDeps, store: CheckpointStore, copies: CheckpointCopies) => {
            const deps: CheckpointDeps = { ...d, checkpoints: store, settings: { siteId: config.siteId, dir: config.checkpoints.dir, keep: config.checkpoints.keep } };
            const standbys = new LiveStandbys(deps, new CheckpointBundles(deps));
            copies.onCopied((c) => standbys.onCopy(c));
            copies.preferHostOf((veeId) => standbys.hostOf(veeId));
            return standbys;
          },
        },
        {
          provide: CheckpointScheduler,
          inject: [DEPLOY_DEPS, CHECKPOINT_STORE, CheckpointService, CheckpointCopies, LiveStandbys],
          useFactory: (d: DeployDeps, store: CheckpointStore, checkpoints: CheckpointService, copies: CheckpointCopies, standbys: LiveStandbys) => {
            const scheduler = new CheckpointScheduler({ ...d, checkpoints: store }, checkpoints, { discoverEveryMs: config.reconcile.periodMs });
            scheduler.addConditionSource((veeId) => [...copies.conditions(veeId), ...standbys.conditions(veeId)]);
            return scheduler;
          },
        },
        {
          // Failover of VEEs: checks from the reconcile passes; recovery under each service's lock.
          provide: FailoverSupervisor,
          inject: [DEPLOY_DEPS, CheckpointService, LiveStandbys],
          useFactory: (d: DeployDeps, checkpoints: CheckpointService, standbys: LiveStandbys) => {
            const { tickMs, ...failover } = config.failover;
            const settings = resolveFailoverSettings({ ...failover, checkIntervalMs: config.reconcile.periodMs });
            // restore-checkpoint actions go to the checkpoint service (its CheckpointRecovery), switch-to-standby to the live standbys.
            return new FailoverSupervisor(d, new RecoveryExecutor(d, checkpoints, standbys), { settings, tickMs });
          },
        },
        {
          provide: SiteReconciler,
          inject: [DEPLOY_DEPS, FailoverSupervisor],
          useFactory: (d: DeployDeps, failover: FailoverSupervisor) => new SiteReconciler(d, { periodMs: config.reconcile.periodMs }, failover),
        },
        {
          provide: FailoverVeeQuery,
          inject: [DEPLOY_DEPS, FailoverSupervisor],
          useFactory: (d: DeployDeps, failover: FailoverSupervisor) => new FailoverVeeQuery(d.vees, d.services, failover),
        },
        {
          provide: ManifestValidator,
          useFactory: () => new ManifestValidator(infra.schemaValidator, config.manifest),
        },
        {
          provide: SubmitService,
          inject: [ManifestValidator, SERVICE_STORE, EVENT_BUS, CLOCK, ID_GENERATOR, DeploymentRunner],
          useFactory: (v: ManifestValidator, s: ServiceStore, b: EventBus, c: Clock, i: IdGenerator, runner: DeploymentRunner) =>
            new SubmitService(config.siteId, v, s, b, c, i, (record) => runner.start(record.id)),
        },
        {
          provide: HostRegistry,
          inject: [DEPLOY_DEPS, CLOCK, ID_GENERATOR],
          useFactory: (d: DeployDeps, c: Clock, i: IdGenerator) =>
            new HostRegistry(d.hosts, infra.hypervisors, c, i, (hostId) => d.vees.countOnHost(hostId)),
        },
        {
          provide: UpdateTier,
          inject: [DEPLOY_DEPS, CheckpointService],
          useFactory: (d: DeployDeps, checkpoints: CheckpointService) =>
            new UpdateTier(
              d,
              async (a) => federationRef.site?.propagateUpdate(a.service, a.tier, a.update, a.revision),
              // Each VEE is checkpointed (trigger before-update) right before it is re-created; copies and shipping follow.
              (vee) => checkpoints.takeBeforeUpdateLocked(vee),
            ),
        },
        // Intra-site live migration (a before-migration checkpoint first for protected tiers), host events that fire
        // the tiers' <checkpoint-on> rules, and the RPO/conditions (and, once wired, standby) of protected VEEs' JSON.
        { provide: MigrateVee, inject: [DEPLOY_DEPS, CheckpointService], useFactory: (d: DeployDeps, c: CheckpointService) => new MigrateVee(d, c) },
        {
          provide: HostEventCheckpoints,
          inject: [DEPLOY_DEPS, CheckpointService],
          useFactory: (d: DeployDeps, c: CheckpointService) => new HostEventCheckpoints(d, c, { debounceMs: config.checkpoints.monitoringDebounceMs ?? 60_000 }),
        },
        { provide: STANDBY_INFO, inject: [LiveStandbys], useFactory: (l: LiveStandbys): StandbyInfoProvider => ({ standbyOf: (veeId) => l.status(veeId) }) },
        {
          provide: VeeProtectionDetailsQuery,
          inject: [CheckpointScheduler, STANDBY_INFO],
          useFactory: (s: CheckpointScheduler, standby: StandbyInfoProvider) => new VeeProtectionDetailsQuery(s, standby),
        },
        {
          provide: FEDERATED_SITE,
          inject: [DEPLOY_DEPS, SubmitService, DeleteService, UpdateTier, CLOCK, ID_GENERATOR],
          useFactory: (deploy: DeployDeps, submit: SubmitService, remove: DeleteService, update: UpdateTier, clock: Clock, ids: IdGenerator) => {
            const site = createFederatedSite(config, infra, { deploy, submit, remove, update, clock, ids }, log);
            federationRef.site = site;
            return site ?? null;
          },
        },
        {
          // The data channel: receives peers' checkpoint shipments; ships each complete checkpoint to the service's replica sites.
          provide: DATA_CHANNEL,
          inject: [DEPLOY_DEPS, CHECKPOINT_STORE, CheckpointService, FEDERATED_SITE],
          useFactory: (deploy: DeployDeps, store: CheckpointStore, checkpoints: CheckpointService, site: FederatedSite | null) => {
            const replicaSites = async (serviceId: string) => (site ? (await site.replicas(serviceId)).map((r) => r.site) : []);
            const channel = createDataChannel(config, infra, { deploy, checkpoints: store, replicaSites }, log);
            if (channel) checkpoints.onCompleted((c) => channel.shipper.enqueue(c));
            return channel ?? null;
          },
        },
        {
          provide: ServiceQueries,
          inject: [SERVICE_STORE, DEPLOY_DEPS],
          useFactory: (s: ServiceStore, d: DeployDeps) => new ServiceQueries(s, d.vees),
        },
      ],
    };
  }
}
