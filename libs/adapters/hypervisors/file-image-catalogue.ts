import { createHash } from 'node:crypto';
import { createReadStream, readFileSync, statSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import { type ImageInfo } from '@reservoir/domain/ports/image-catalogue.port';

/** One image of catalogue.json as scripts/libvirt/build-images.sh writes it (paths relative to the file). */
interface CatalogueEntry {
  ref: string;
  format?: 'qcow2' | 'raw';
  sha256?: string;
  minMemoryMiB?: number;
  boot?: { kind: 'kernel'; kernel: string; initrd?: string; cmdline?: string } | { kind: 'disk' };
  disk: string;
  files?: { path: string; sha256: string; bytes?: number }[];
}

/**
 * The libvirt hosts' image catalogue: `${dir}/catalogue.json` (refs, files with their sha256, how each image boots,
 * its base disk, its minimum memory). `list()` checks every file (present, same sha256 as the catalogue says;
 * digests remembered per path, size and mtime) and reports an image that fails as `problem`, so the deploy fails
 * clearly before anything is created. The files are on this machine: right for local libvirt hosts.
 */
export class FileImageCatalogue {
  private readonly digests = new Map<string, string>();

  constructor(readonly dir: string) {}

  get file(): string {
    return join(this.dir, 'catalogue.json');
  }

  async list(): Promise<ImageInfo[]> {
    const entries = this.entries();
    return Promise.all(entries.map(async (e) => this.info(e)));
  }

  /** Host path of the image's base disk (for the libvirt factory's `resolveImage`); a path that does not exist for an unknown ref. */
  baseDiskPath(ref: string): string {
    const entry = this.entries().find((e) => e.ref === ref);
    return entry ? this.abs(entry.disk) : join(this.dir, ref, 'not-in-catalogue');
  }

  private entries(): CatalogueEntry[] {
    let text: string;
    try {
      if (!statSync(this.file).isFile()) return [];
      text = readFileSync(this.file, 'utf8');
    } catch {
      return [];
    }
    const parsed = JSON.parse(text) as { images?: CatalogueEntry[] };
    return Array.isArray(parsed.images) ? parsed.images : [];
  }

  private abs(path: string): string {
    return isAbsolute(path) ? path : join(this.dir, path);
  }

  private async info(e: CatalogueEntry): Promise<ImageInfo> {
    const disk = this.abs(e.disk);
    const diskFile = e.files?.find((f) => this.abs(f.path) === disk);
    const boot = e.boot?.kind === 'kernel'
      ? {
          kind: 'kernel' as const,
          kernelPath: this.abs(e.boot.kernel),
          ...(e.boot.initrd ? { initrdPath: this.abs(e.boot.initrd) } : {}),
          ...(e.boot.cmdline ? { cmdline: e.boot.cmdline } : {}),
        }
      : { kind: 'disk' as const };
    const problem = await this.problem(e, disk);
    return {
      ref: e.ref,
      ...(e.sha256 ? { sha256: e.sha256.toLowerCase() } : {}),
      ...(e.minMemoryMiB === undefined ? {} : { minMemoryMiB: e.minMemoryMiB }),
      boot,
      ...(diskFile ? { baseDiskSha256: diskFile.sha256.toLowerCase() } : {}),
      ...(problem ? { problem } : {}),
    };
  }

  private async problem(e: CatalogueEntry, disk: string): Promise<string | undefined> {
    const files = [...(e.files ?? [])];
    if (!files.some((f) => this.abs(f.path) === disk)) files.push({ path: e.disk, sha256: '' });
    for (const f of files) {
      const path = this.abs(f.path);
      const info = await stat(path).catch(() => undefined);
      if (!info?.isFile()) return `${path} is missing (catalogue ${this.file})`;
      if (!f.sha256) continue;
      const key = `${path}:${info.size}:${info.mtimeMs}`;
      let digest = this.digests.get(key);
      if (digest === undefined) {
        const hash = createHash('sha256');
        for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
        digest = hash.digest('hex');
        this.digests.set(key, digest);
      }
      if (digest !== f.sha256.toLowerCase()) return `${path} has sha256 ${digest}, the catalogue ${this.file} says ${f.sha256}`;
    }
    return undefined;
  }
}
