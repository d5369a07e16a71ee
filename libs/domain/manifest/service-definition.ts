/**
 * The typed form of a validated XML service manifest (`urn:reservoir:service-manifest:1`).
 * Everything inside the broker works on this shape; the XML is kept verbatim only for
 * `GET /v1/services/:id/manifest`. Field names follow the manifest's attributes in camelCase.
 */

/** How a tier's VEEs are protected against failure (`<tier-QoS protection=...>`). */
export type ProtectionLevel = 'none' | 'restart' | 'checkpoint' | 'live-standby';
export const PROTECTION_LEVELS: readonly ProtectionLevel[] = ['none', 'restart', 'checkpoint', 'live-standby'];

/**
 * Host events a tier's monitoring rules can name (`<checkpoint-on event=...>`), and `POST /v1/hosts/:id/events`
 * accepts: the host runs on battery, reports disk errors, is short of memory, or overheats.
 */
export type HostEventType = 'on-battery' | 'disk-errors' | 'memory-pressure' | 'overheating';
export const HOST_EVENT_TYPES: readonly HostEventType[] = ['on-battery', 'disk-errors', 'memory-pressure', 'overheating'];

/** Disk format a VEE gets for its image (`<image format=...>`). */
export type ImageFormat = 'qcow2' | 'raw';
export const IMAGE_FORMATS: readonly ImageFormat[] = ['qcow2', 'raw'];

/** `<VEE-requirement>`: the size and count of one tier's virtual machines. */
export interface VeeRequirement {
  vcpu: number;
  memoryMiB: number;
  instances: number;
  /** Defaults to `instances` when the manifest omits it. */
  minInstances: number;
  /** Defaults to `instances` when the manifest omits it. */
  maxInstances: number;
}

export interface ImageRef {
  ref: string;
  format: ImageFormat;
  sha256?: string;
}

export interface SoftwareItem {
  name: string;
  version: string;
}

export interface StorageItem {
  name: string;
  sizeGiB: number;
}

export interface NetworkItem {
  name: string;
  bandwidthMbps?: number;
}

export interface ConfigurationProperty {
  name: string;
  value: string;
}

/** `<tier-QoS>`. `checkpointIntervalMs` is required for `checkpoint` and `live-standby` protection. */
export interface TierQoS {
  availability: number;
  maxLatencyMs?: number;
  protection: ProtectionLevel;
  checkpointIntervalMs?: number;
  /**
   * Monitoring rules (`<checkpoint-on event=...>`, manifest order): a VEE of the tier gets a checkpoint when its
   * host reports one of these events. Absent when the tier declares none; only with `checkpoint`/`live-standby`.
   */
  checkpointOn?: HostEventType[];
}

export interface TierDefinition {
  name: string;
  vee: VeeRequirement;
  image: ImageRef;
  software: SoftwareItem[];
  storage: StorageItem[];
  networks: NetworkItem[];
  configuration: ConfigurationProperty[];
  qos: TierQoS;
}

/** `<relation from to port?>`: the `from` tier needs the `to` tier. */
export interface TierRelation {
  from: string;
  to: string;
  port?: number;
}

/** `<service-QoS>`; absent in the manifest means the defaults below. */
export interface ServiceQoS {
  availability?: number;
  /** Peer sites that keep a replica of the service; 0 when omitted. */
  replicas: number;
  maxResponseMs?: number;
}

export interface ServiceDefinition {
  name: string;
  version: '1';
  tiers: TierDefinition[];
  relations: TierRelation[];
  qos: ServiceQoS;
}

/** One problem found in a manifest. `path` is an XPath-like element path, `/` when nothing finer applies. */
export interface ManifestError {
  path: string;
  message: string;
  line?: number;
}

export const MANIFEST_NAMESPACE = 'urn:reservoir:service-manifest:1';
