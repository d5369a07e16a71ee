import { type DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { type BrokerConfig } from '@reservoir/config';
import { type ServiceStore } from '@reservoir/domain/ports/service-store.port';
import { type EventBus } from '@reservoir/domain/ports/event-bus.port';
import { type Clock, type IdGenerator } from '@reservoir/domain/ports/clock.port';
import { TypeormServiceStore } from '@reservoir/adapters/postgres/typeorm-service.store';
import { ManifestValidator } from '@reservoir/application/manifest-intake/validate-manifest';
import { SubmitService } from '@reservoir/application/services/submit-service';
import { ServiceQueries } from '@reservoir/application/services/service-queries';
import { HostRegistry } from '@reservoir/application/hosts/host-registry';
import { TypeormHostStore } from '@reservoir/adapters/postgres/typeorm-host.store';
import { type Infrastructure, systemClock, uuidGenerator } from './infrastructure';
import { BROKER_CONFIG, CLOCK, EVENT_BUS, ID_GENERATOR, SERVICE_STORE } from './tokens';
import { ServicesController } from './services/services.controller';
import { HealthController } from './health/health.controller';
import { HostsController } from './hosts/hosts.controller';
import { DomainErrorFilter } from './http/domain-error.filter';

/** The site broker's wiring: the only place where ports meet their adapters. */
@Module({})
export class AppModule {
  static forRoot(config: BrokerConfig, infra: Infrastructure): DynamicModule {
    return {
      module: AppModule,
      controllers: [ServicesController, HostsController, HealthController],
      providers: [
        { provide: APP_FILTER, useClass: DomainErrorFilter },
        { provide: BROKER_CONFIG, useValue: config },
        { provide: EVENT_BUS, useValue: infra.bus },
        { provide: CLOCK, useValue: systemClock },
        { provide: ID_GENERATOR, useValue: uuidGenerator },
        { provide: SERVICE_STORE, useValue: new TypeormServiceStore(infra.dataSource) },
        {
          provide: ManifestValidator,
          useFactory: () => new ManifestValidator(infra.schemaValidator, config.manifest),
        },
        {
          provide: SubmitService,
          inject: [ManifestValidator, SERVICE_STORE, EVENT_BUS, CLOCK, ID_GENERATOR],
          useFactory: (v: ManifestValidator, s: ServiceStore, b: EventBus, c: Clock, i: IdGenerator) =>
            new SubmitService(config.siteId, v, s, b, c, i),
        },
        {
          provide: HostRegistry,
          inject: [CLOCK, ID_GENERATOR],
          useFactory: (c: Clock, i: IdGenerator) => new HostRegistry(new TypeormHostStore(infra.dataSource), infra.hypervisors, c, i),
        },
        {
          provide: ServiceQueries,
          inject: [SERVICE_STORE, EVENT_BUS, CLOCK],
          useFactory: (s: ServiceStore, b: EventBus, c: Clock) => new ServiceQueries(s, b, c),
        },
      ],
    };
  }
}
