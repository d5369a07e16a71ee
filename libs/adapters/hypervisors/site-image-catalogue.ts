import { type ImageCatalogue, type ImageInfo } from '@reservoir/domain/ports/image-catalogue.port';
import { type SimImageCatalogue } from '@reservoir/adapters/sim';
import { type FileImageCatalogue } from './file-image-catalogue';

/**
 * The site's image catalogue as the deployer sees it, answered per host URI scheme like HypervisorRouter:
 * `sim://` hosts boot the simulated catalogue (`counter`, `tiny-linux`, no files), every other (libvirt) host the
 * files of RESERVOIR_IMAGE_DIR/catalogue.json. `list()` is the union (a ref in both: the simulated entry).
 */
export class SiteImageCatalogue implements ImageCatalogue {
  constructor(
    private readonly sim: SimImageCatalogue,
    private readonly libvirt?: FileImageCatalogue,
  ) {}

  async list(): Promise<ImageInfo[]> {
    const sim = this.simImages();
    const refs = new Set(sim.map((i) => i.ref));
    const files = this.libvirt ? await this.libvirt.list() : [];
    return [...sim, ...files.filter((i) => !refs.has(i.ref))];
  }

  async forHost(uri: string): Promise<ImageInfo[]> {
    if (uri.startsWith('sim://')) return this.simImages();
    return this.libvirt ? this.libvirt.list() : [];
  }

  private simImages(): ImageInfo[] {
    return this.sim.list().map((i) => ({ ref: i.ref, sha256: i.sha256, minMemoryMiB: i.minMemoryMiB }));
  }
}
