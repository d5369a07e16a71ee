import { randomUUID } from 'node:crypto';
import { type DataSource } from 'typeorm';
import { type BrokerConfig } from '@reservoir/config';
import { type EventBus } from '@reservoir/domain/ports/event-bus.port';
import { type Clock, type IdGenerator } from '@reservoir/domain/ports/clock.port';
import { openDataSource } from '@reservoir/adapters/postgres/data-source';
import { MemoryEventBus } from '@reservoir/adapters/bus/memory-event-bus';
import { KafkaEventBus } from '@reservoir/adapters/kafka/kafka-event-bus';
import { SERVICE_EVENTS_TOPIC } from '@reservoir/application/services/service-events';
import { SimHypervisorFactory } from '@reservoir/adapters/sim';
import { HypervisorRouter } from '@reservoir/adapters/hypervisors/hypervisor-router';
import { XmllintSchemaValidator } from '@reservoir/adapters/xsd/xmllint-schema-validator';
import { SiteImageCatalogue } from '@reservoir/adapters/hypervisors/site-image-catalogue';
import { FileImageCatalogue } from '@reservoir/adapters/hypervisors/file-image-catalogue';
import { optionalLibvirtFactory } from '@reservoir/adapters/libvirt';

/** The broker's connections to the outside world, opened before the Nest app is built and closed after it. */
export interface Infrastructure {
  dataSource: DataSource;
  bus: EventBus;
  /** Simulated hosts of this broker (sim:// URIs); tests inject failures through it. */
  sim: SimHypervisorFactory;
  /** Every host URI goes through here to its adapter. */
  hypervisors: HypervisorRouter;
  /** What the site's hosts can boot. */
  images: SiteImageCatalogue;
  /** XSD validation in a pool of long-lived WebAssembly workers. */
  schemaValidator: XmllintSchemaValidator;
  close(): Promise<void>;
}

export const systemClock: Clock = { now: () => new Date() };
export const uuidGenerator: IdGenerator = { next: () => randomUUID() };

/**
 * Opens the store (running migrations) and the bus; on any failure closes what was opened. A `sharedBus` (several
 * in-process sites on one MemoryEventBus: the demo federation, tests) is used instead of opening one, and is left
 * open on close: its owner closes it.
 */
export async function openInfrastructure(config: BrokerConfig, log: (line: string) => void, sharedBus?: EventBus): Promise<Infrastructure> {
  const dataSource = await openDataSource(config.store);
  let bus: EventBus;
  try {
    bus = sharedBus ?? (await openBus(config, log));
  } catch (err) {
    await dataSource.destroy();
    throw err;
  }
  const sim = new SimHypervisorFactory();
  const files = new FileImageCatalogue(config.images.dir);
  const libvirt = optionalLibvirtFactory({ resolveImage: (ref) => files.baseDiskPath(ref) });
  if (!libvirt.factory) log(`libvirt adapter unavailable (${libvirt.reason ?? 'unknown reason'}): libvirt host URIs will be refused, sim:// hosts only`);
  const schemaValidator = new XmllintSchemaValidator();
  return {
    dataSource,
    bus,
    sim,
    hypervisors: new HypervisorRouter(sim, libvirt.factory),
    images: new SiteImageCatalogue(sim.catalogue, files),
    schemaValidator,
    async close() {
      await schemaValidator.close();
      if (!sharedBus) await bus.close();
      await dataSource.destroy();
    },
  };
}

async function openBus(config: BrokerConfig, log: (line: string) => void): Promise<EventBus> {
  if (config.bus.kind === 'memory') {
    return new MemoryEventBus((m, err) => log(`bus: gave up delivering ${m.topic}/${m.key}: ${String(err)}`));
  }
  const bus = new KafkaEventBus({
    clientId: `reservoir-${config.siteId}`,
    brokers: config.bus.brokers,
    partitions: config.bus.partitions,
    replicationFactor: config.bus.replicationFactor,
  });
  try {
    await bus.ensureTopics([SERVICE_EVENTS_TOPIC]);
  } catch (err) {
    await bus.close();
    throw new Error(`cannot reach Kafka at ${config.bus.brokers.join(',')}: ${err instanceof Error ? err.message : String(err)}`);
  }
  return bus;
}
