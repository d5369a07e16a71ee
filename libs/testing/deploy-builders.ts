/**
 * Builders for deployment tests: the web-shop example as a typed definition, tiers with only the fields a case
 * cares about, and the sim catalogue's images. Imported as @reservoir/testing/deploy-builders.
 */
import { type ServiceDefinition, type TierDefinition } from '@reservoir/domain/manifest/service-definition';
import { type ImageInfo } from '@reservoir/domain/ports/image-catalogue.port';

export interface DeployTierFields {
  vcpu?: number;
  memoryMiB?: number;
  instances?: number;
  availability?: number;
  image?: string;
  storage?: { name: string; sizeGiB: number }[];
}

/** A tier booting `tiny-linux`: 1 instance of 1 vCPU / 256 MiB, one 2 GiB root disk, availability 99 %. */
export function deployTier(name: string, f: DeployTierFields = {}): TierDefinition {
  const instances = f.instances ?? 1;
  return {
    name,
    vee: { vcpu: f.vcpu ?? 1, memoryMiB: f.memoryMiB ?? 256, instances, minInstances: instances, maxInstances: instances },
    image: { ref: f.image ?? 'tiny-linux', format: 'qcow2' },
    software: [],
    storage: f.storage ?? [{ name: 'root', sizeGiB: 2 }],
    networks: [{ name: 'internal', bandwidthMbps: 100 }],
    configuration: [{ name: 'port', value: '80' }],
    qos: { availability: f.availability ?? 99, protection: 'restart' },
  };
}

/** `schemas/examples/web-shop.xml` as the parser types it: web needs app needs db. */
export function webShopDefinition(name = 'web-shop'): ServiceDefinition {
  return {
    name,
    version: '1',
    tiers: [
      deployTier('web-servers', { instances: 2, availability: 99.9 }),
      deployTier('app-servers', { vcpu: 2, memoryMiB: 384, instances: 2, availability: 99.9, storage: [{ name: 'root', sizeGiB: 4 }] }),
      deployTier('db-servers', { vcpu: 2, memoryMiB: 512, availability: 99.99, storage: [{ name: 'root', sizeGiB: 4 }, { name: 'data', sizeGiB: 20 }] }),
    ],
    relations: [
      { from: 'web-servers', to: 'app-servers', port: 8080 },
      { from: 'app-servers', to: 'db-servers', port: 5432 },
    ],
    qos: { replicas: 0 },
  };
}

/** The sim catalogue's images, by ref. */
export function simImages(): Map<string, ImageInfo> {
  return new Map([
    ['counter', { ref: 'counter', minMemoryMiB: 16 }],
    ['tiny-linux', { ref: 'tiny-linux', minMemoryMiB: 80 }],
  ]);
}
