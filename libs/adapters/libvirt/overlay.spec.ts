import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { isHypervisorError } from '@reservoir/domain/ports/hypervisor.port';
import { createArgs, qemuImgProvisioner } from './overlay';

/** Disk provisioning with the real qemu-img (skipped with the reason where it is missing, failing under CI). */

const run = promisify(execFile);

describe('createArgs', () => {
  it('creates qcow2 overlays on a base, sparse disks without one, and refuses a raw overlay', () => {
    expect(createArgs({ path: '/d/a.qcow2', format: 'qcow2', sizeGiB: 1, owned: true, base: { path: '/img/b.qcow2' } }))
      .toEqual(['create', '-q', '-f', 'qcow2', '-b', '/img/b.qcow2', '-F', 'qcow2', '/d/a.qcow2', '1024M']);
    expect(createArgs({ path: '/d/a.raw', format: 'raw', sizeGiB: 0.5, owned: true })).toEqual(['create', '-q', '-f', 'raw', '/d/a.raw', '512M']);
    expect(() => createArgs({ path: '/d/a.raw', format: 'raw', sizeGiB: 1, owned: true, base: { path: '/b' } })).toThrow(/only a qcow2 disk/);
  });
});

describe('qemuImgProvisioner', () => {
  let dir: string;
  let missing: string | undefined;

  beforeAll(async () => {
    missing = await run('qemu-img', ['--version']).then(() => undefined, (error: Error) => error.message);
    if (missing && process.env.CI === 'true') throw new Error(`qemu-img is needed under CI: ${missing}`);
    if (missing) console.warn(`SKIPPED: qemuImgProvisioner (qemu-img not runnable: ${missing})`);
    dir = await mkdtemp(join(tmpdir(), 'reservoir-overlay-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('creates an overlay whose backing file is the base image, checks the digest, and undoes', async () => {
    if (missing) return;
    const base = join(dir, 'base.qcow2');
    await run('qemu-img', ['create', '-q', '-f', 'qcow2', base, '64M']);
    const sha256 = createHash('sha256').update(await readFile(base)).digest('hex');
    const overlay = join(dir, 'vm/root.qcow2');
    const undo = await qemuImgProvisioner().provision([{ path: overlay, format: 'qcow2', sizeGiB: 1, owned: true, base: { path: base, sha256 } }]);
    const info = JSON.parse((await run('qemu-img', ['info', '--output=json', overlay])).stdout) as Record<string, unknown>;
    expect(info).toMatchObject({ format: 'qcow2', 'backing-filename': base, 'virtual-size': 2 ** 30 });
    await undo();
    await expect(stat(overlay)).rejects.toThrow();
  });

  it('refuses a base image with another digest (invalid-argument) or none at all (not-found), leaving nothing', async () => {
    if (missing) return;
    const base = join(dir, 'other.qcow2');
    await writeFile(base, 'not really an image');
    const disk = (path: string, sha256?: string) => ({ path: join(dir, 'x.qcow2'), format: 'qcow2' as const, sizeGiB: 1, owned: true, base: { path, sha256 } });
    const refused = await qemuImgProvisioner().provision([disk(base, '0'.repeat(64))]).catch((e: unknown) => e);
    expect(isHypervisorError(refused, 'invalid-argument')).toBe(true);
    const absent = await qemuImgProvisioner().provision([disk(join(dir, 'nope.qcow2'))]).catch((e: unknown) => e);
    expect(isHypervisorError(absent, 'not-found')).toBe(true);
    await expect(stat(join(dir, 'x.qcow2'))).rejects.toThrow();
  });

  it("leaves a caller's existing disk file alone", async () => {
    if (missing) return;
    const mine = join(dir, 'mine.raw');
    await writeFile(mine, 'precious');
    await qemuImgProvisioner().provision([{ path: mine, format: 'raw', sizeGiB: 1, owned: false }]);
    expect(await readFile(mine, 'utf8')).toBe('precious');
  });
});
