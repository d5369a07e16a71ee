import { createHash } from 'node:crypto';
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SimImageCatalogue } from '@reservoir/adapters/sim';
import { FileImageCatalogue } from './file-image-catalogue';
import { SiteImageCatalogue } from './site-image-catalogue';

const sha = (text: string): string => createHash('sha256').update(text).digest('hex');

function catalogueDir(files: Record<string, string>, images: unknown[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'reservoir-images-'));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  writeFileSync(join(dir, 'catalogue.json'), JSON.stringify({ version: 1, images }));
  return dir;
}

const counter = (extra: object = {}) => ({
  ref: 'counter', format: 'qcow2', sha256: 'ABC', minMemoryMiB: 16,
  boot: { kind: 'kernel', kernel: 'counter/kernel.elf', initrd: 'counter/initrd', cmdline: 'console=ttyS0' },
  disk: 'counter/disk.qcow2',
  files: [
    { path: 'counter/kernel.elf', sha256: sha('kernel') },
    { path: 'counter/initrd', sha256: sha('initrd') },
    { path: 'counter/disk.qcow2', sha256: sha('disk') },
  ],
  ...extra,
});

describe('FileImageCatalogue', () => {
  it('reads catalogue.json: absolute boot paths, the base disk and its own digest', async () => {
    const dir = catalogueDir({ 'counter/kernel.elf': 'kernel', 'counter/initrd': 'initrd', 'counter/disk.qcow2': 'disk' }, [counter()]);
    const files = new FileImageCatalogue(dir);
    expect(await files.list()).toEqual([{
      ref: 'counter', sha256: 'abc', minMemoryMiB: 16, baseDiskSha256: sha('disk'),
      boot: { kind: 'kernel', kernelPath: join(dir, 'counter/kernel.elf'), initrdPath: join(dir, 'counter/initrd'), cmdline: 'console=ttyS0' },
    }]);
    expect(files.baseDiskPath('counter')).toBe(join(dir, 'counter/disk.qcow2'));
    expect(files.baseDiskPath('nope')).toMatch(/not-in-catalogue$/);
  });

  it('reports a missing file or a digest that differs as the image problem', async () => {
    const missing = new FileImageCatalogue(catalogueDir({ 'counter/kernel.elf': 'kernel', 'counter/initrd': 'initrd' }, [counter()]));
    expect((await missing.list())[0].problem).toMatch(/counter\/disk\.qcow2 is missing/);
    const changed = new FileImageCatalogue(catalogueDir({ 'counter/kernel.elf': 'kernel!', 'counter/initrd': 'initrd', 'counter/disk.qcow2': 'disk' }, [counter()]));
    expect((await changed.list())[0].problem).toMatch(/kernel\.elf has sha256 [0-9a-f]{64}, the catalogue .* says/);
  });

  it('is empty without a catalogue.json', async () => {
    expect(await new FileImageCatalogue(join(tmpdir(), 'reservoir-no-such-dir')).list()).toEqual([]);
  });
});

describe('SiteImageCatalogue', () => {
  it('answers per host URI scheme and lists the union', async () => {
    const dir = catalogueDir({ 'x/kernel': 'k', 'x/disk': 'd' }, [
      { ref: 'x-only', sha256: 'e', boot: { kind: 'kernel', kernel: 'x/kernel' }, disk: 'x/disk', files: [] },
    ]);
    const site = new SiteImageCatalogue(new SimImageCatalogue(), new FileImageCatalogue(dir));
    expect((await site.forHost('sim://h1')).map((i) => i.ref)).toEqual(['counter', 'tiny-linux']);
    expect((await site.forHost('qemu:///system')).map((i) => i.ref)).toEqual(['x-only']);
    expect((await site.list()).map((i) => i.ref)).toEqual(['counter', 'tiny-linux', 'x-only']);
    expect(await new SiteImageCatalogue(new SimImageCatalogue()).forHost('qemu:///system')).toEqual([]);
  });
});
