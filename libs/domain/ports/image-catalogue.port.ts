import { type BootSpec } from './hypervisor.port';

/** An image the site's hosts can boot, as the deployer needs to know it before creating anything. */
export interface ImageInfo {
  ref: string;
  sha256?: string;
  /** A guest given less memory than this does not boot. */
  minMemoryMiB?: number;
  /** How the image boots; `{kind: 'disk'}` when absent. */
  boot?: BootSpec;
  /**
   * The digest of the base disk file itself, which the host checks when it creates the overlay (`sha256` may be a
   * digest over several files); the domain spec carries it instead of the manifest's.
   */
  baseDiskSha256?: string;
  /** Why the image cannot be booted here (a missing file, a digest that differs): a deploy error, before anything is created. */
  problem?: string;
}

/**
 * The site's image catalogue, owned by the deploy use case: an unknown image ref is a clear error at deploy
 * time, before any domain is defined. Adapters: the simulated hypervisor's catalogue and the libvirt hosts' catalogue.json (libs/adapters/hypervisors).
 */
export interface ImageCatalogue {
  /** Every image some host of the site can boot. */
  list(): Promise<ImageInfo[]>;
  /** What the host at `uri` can boot, where hosts differ (simulated vs. libvirt hosts); `list()` when absent. */
  forHost?(uri: string): Promise<ImageInfo[]>;
}
