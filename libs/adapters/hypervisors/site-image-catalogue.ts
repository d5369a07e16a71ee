import { type ImageCatalogue, type ImageInfo } from '@reservoir/domain/ports/image-catalogue.port';
import { type SimImageCatalogue } from '@reservoir/adapters/sim';

/**
 * The site's image catalogue as the deployer sees it. Today only the simulated hosts' catalogue (`counter`,
 * `tiny-linux`); the libvirt adapter's images join here when it lands.
 */
export class SiteImageCatalogue implements ImageCatalogue {
  constructor(private readonly sim: SimImageCatalogue) {}

  async list(): Promise<ImageInfo[]> {
    return this.sim.list().map((i) => ({ ref: i.ref, sha256: i.sha256, minMemoryMiB: i.minMemoryMiB }));
  }
}
