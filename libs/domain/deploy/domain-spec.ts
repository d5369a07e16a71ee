import { type StorageItem, type TierDefinition } from '../manifest/service-definition';
import { type DiskSpec, type DomainSpec } from '../ports/hypervisor.port';
import { type ImageInfo } from '../ports/image-catalogue.port';

/** Prefix of every domain the broker creates; anything else on a host is foreign (reported, never touched). */
export const DOMAIN_PREFIX = 'rsv-';

/** `rsv-<service>-<tier>-<index>-<first 8 hex digits of the service id>`: readable, unique per site. */
export function domainName(serviceName: string, tier: string, index: number, serviceId: string): string {
  const short = serviceId.replace(/-/g, '').slice(0, 8);
  return `${DOMAIN_PREFIX}${serviceName}-${tier}-${index}-${short}`;
}

/** Where the serial console of `domain` is written on its host. */
export function consoleLogPath(consoleDir: string, domain: string): string {
  return `${consoleDir.replace(/\/+$/, '')}/${domain}.log`;
}

/** The size of the root disk a tier gets when its manifest declares no storage: the image needs a disk. */
export const DEFAULT_ROOT_DISK_GIB = 1;

/** The disks each VEE of the tier gets: its `<storage>` items, or one small root disk when there are none. */
export function effectiveStorage(tier: Pick<TierDefinition, 'storage'>): StorageItem[] {
  return tier.storage.length > 0 ? tier.storage : [{ name: 'root', sizeGiB: DEFAULT_ROOT_DISK_GIB }];
}

/**
 * The isolated segment of the service's network `network` on a host: `rsv-<first 8 hex digits of the service id>-<name>`,
 * shared by the service's VEEs on that network and by no other service. Names too long for the port get a hash suffix.
 */
export function segmentName(serviceId: string, network: string): string {
  const full = `${DOMAIN_PREFIX}${serviceId.replace(/-/g, '').slice(0, 8)}-${network}`;
  return full.length <= 64 ? full : `${full.slice(0, 55)}-${fnv1a(full)}`;
}

/** 32-bit FNV-1a of the UTF-16 code units, as 8 hex digits: a short, stable suffix (not a security hash). */
function fnv1a(value: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < value.length; i++) hash = Math.imul(hash ^ value.charCodeAt(i), 0x01000193) >>> 0;
  return hash.toString(16).padStart(8, '0');
}

export interface VeeIdentity {
  /** The service the VEE belongs to: its networks are the service's own segments. */
  serviceId: string;
  /** The VEE id, also the domain UUID. */
  id: string;
  domain: string;
  consoleLog: string;
}

/**
 * The hypervisor-neutral spec of one VEE of the tier: its size, its disks (the first an overlay of the tier's
 * image, checked against the catalogue's digest of the base disk when it has one), its networks (each on the service's
 * own isolated segment) with bandwidth, and
 * the tier's configuration as properties. Boot (kernel, initrd, cmdline) comes from the catalogue entry, else from
 * the first disk.
 */
export function buildDomainSpec(tier: TierDefinition, vee: VeeIdentity, image?: ImageInfo): DomainSpec {
  // The host checks the base disk file: the catalogue's digest of that file when it has one, else the manifest's.
  const baseSha256 = image?.baseDiskSha256 ?? tier.image.sha256;
  const disks: DiskSpec[] = effectiveStorage(tier).map((s, i) => ({
    name: s.name,
    sizeGiB: Math.ceil(s.sizeGiB),
    format: tier.image.format,
    ...(i === 0 ? { baseImage: { ref: tier.image.ref, ...(baseSha256 === undefined ? {} : { sha256: baseSha256 }) } } : {}),
  }));
  return {
    name: vee.domain,
    uuid: vee.id,
    vcpu: tier.vee.vcpu,
    memoryMiB: tier.vee.memoryMiB,
    disks,
    networks: tier.networks.map((n) => ({
      name: n.name,
      segment: segmentName(vee.serviceId, n.name),
      ...(n.bandwidthMbps === undefined ? {} : { bandwidthMbps: n.bandwidthMbps }),
    })),
    boot: image?.boot ?? { kind: 'disk' },
    consoleLogPath: vee.consoleLog,
    properties: Object.fromEntries(tier.configuration.map((p) => [p.name, p.value])),
  };
}
