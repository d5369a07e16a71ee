import { type BootSpec } from './hypervisor.port';

/** An image the site's hosts can boot, as the deployer needs to know it before creating anything. */
export interface ImageInfo {
  ref: string;
  sha256?: string;
  /** A guest given less memory than this does not boot. */
  minMemoryMiB?: number;
  /** How the image boots; `{kind: 'disk'}` when absent. */
  boot?: BootSpec;
}

/**
 * The site's image catalogue, owned by the deploy use case: an unknown image ref is a clear error at deploy
 * time, before any domain is defined. Adapters: the simulated hypervisor's catalogue (libvirt's: later).
 */
export interface ImageCatalogue {
  list(): Promise<ImageInfo[]>;
}
