/** An image the simulated hosts can boot, with no file behind it. */
export interface SimImage {
  ref: string;
  /** Fake but stable: the sha256 of the text `reservoir-sim-image:<ref>`. */
  sha256: string;
  format: 'qcow2' | 'raw';
  /** A guest given less memory than this panics while booting (state 'crashed', reason 'guest-panic'). */
  minMemoryMiB: number;
  description: string;
}

/** The refs the example manifests use (schemas/examples), so the demo needs no files. */
export const DEFAULT_SIM_IMAGES: readonly SimImage[] = [
  {
    ref: 'counter',
    sha256: '8eb570d0b4ed79b1102847d76122c7f11be5a2a774bb2bf09d8c6ceb22ce0393',
    format: 'qcow2',
    minMemoryMiB: 16,
    description: 'a freestanding guest that counts; boots in well under 0.1 s',
  },
  {
    ref: 'tiny-linux',
    sha256: '63275d0ad9697d89bf77044c8849dff73e55065fa878acb40486bba9baec37ea',
    format: 'qcow2',
    minMemoryMiB: 80,
    description: 'a cloud kernel with a busybox initramfs; needs at least 80 MiB',
  },
];

/** The image refs simulated hosts resolve `DiskSpec.baseImage` against. */
export class SimImageCatalogue {
  private readonly images: ReadonlyMap<string, SimImage>;

  constructor(images: readonly SimImage[] = DEFAULT_SIM_IMAGES) {
    this.images = new Map(images.map((image) => [image.ref, image]));
  }

  /** `undefined` for an unknown ref. */
  get(ref: string): SimImage | undefined {
    return this.images.get(ref);
  }

  list(): SimImage[] {
    return [...this.images.values()];
  }
}
