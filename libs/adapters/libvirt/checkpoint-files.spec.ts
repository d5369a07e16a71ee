import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isHypervisorError } from '@reservoir/domain/ports/hypervisor.port';
import { activeChain } from './libvirt-block-commit';
import { firstMismatch } from '@reservoir/domain/protection/checkpoints/bundle-digest';
import { checkpointDisks, createBundleDir, measureBundle } from './checkpoint-files';

const liveXml = `<domain type='qemu'><devices>
    <disk type='file' device='disk'>
      <driver name='qemu' type='qcow2'/>
      <source file='/d/vm-root.qcow2.ckpt-next' index='3'/>
      <backingStore type='file' index='1'>
        <format type='qcow2'/>
        <source file='/d/vm-root.qcow2'/>
        <backingStore type='file' index='2'><format type='qcow2'/><source file='/images/counter/disk.qcow2'/><backingStore/></backingStore>
      </backingStore>
      <target dev='vda' bus='virtio'/>
      <serial>root</serial>
    </disk>
    <disk type='file' device='disk'>
      <driver name='qemu' type='qcow2'/>
      <source file='/d/vm-a&amp;b.qcow2'/>
      <target dev='vdb' bus='virtio'/>
    </disk>
    <disk type='file' device='cdrom'><driver name='qemu' type='raw'/><source file='/iso/x.iso'/><target dev='hdc' bus='ide'/></disk>
</devices></domain>`;

describe('checkpoint files', () => {
  it('reads the disks of a domain XML: serial as name (else target), top-level source, cdroms left out', () => {
    expect(checkpointDisks(liveXml, 'x')).toEqual([
      { name: 'root', target: 'vda', path: '/d/vm-root.qcow2.ckpt-next', format: 'qcow2' },
      { name: 'vdb', target: 'vdb', path: '/d/vm-a&b.qcow2', format: 'qcow2' },
    ]);
  });

  it('refuses raw disks as unsupported', () => {
    const raw = liveXml.replace("type='qcow2'/>\n      <source file='/d/vm-a", "type='raw'/>\n      <source file='/d/vm-a");
    let caught: unknown;
    try {
      checkpointDisks(raw, 'x');
    } catch (error) {
      caught = error;
    }
    expect(isHypervisorError(caught, 'unsupported')).toBe(true);
  });

  it('gives a disk chain active layer first, so a commit only ever goes into the disk`s own file', () => {
    expect(activeChain(liveXml, 'vda')).toEqual(['/d/vm-root.qcow2.ckpt-next', '/d/vm-root.qcow2', '/images/counter/disk.qcow2']);
    expect(activeChain(liveXml, 'vdz')).toEqual([]);
  });

  it('names the first difference: extra, other size, other digest, missing', () => {
    const a = { name: 'a', bytes: 1, sha256: 'a'.repeat(64) };
    const b = { name: 'b', bytes: 2, sha256: 'b'.repeat(64) };
    expect(firstMismatch([a, b], [a, b])).toBeUndefined();
    expect(firstMismatch([a, b], [a])).toMatch(/'b' is not expected/);
    expect(firstMismatch([a, b], [a, { ...b, bytes: 3 }])).toMatch(/'b' has 2 bytes/);
    expect(firstMismatch([a, b], [a, { ...b, sha256: 'B'.repeat(64) }])).toBeUndefined();
    expect(firstMismatch([a, b], [a, { ...b, sha256: 'c'.repeat(64) }])).toMatch(/'b' has sha256/);
    expect(firstMismatch([a], [a, b])).toMatch(/'b' is missing/);
  });

  it('creates a bundle dir once and measures its files sorted, with sha256', async () => {
    const root = await mkdtemp(join(tmpdir(), 'reservoir-ckpt-files-'));
    try {
      const dir = join(root, 'nested', 'b1');
      await createBundleDir(dir);
      await expect(createBundleDir(dir)).rejects.toMatchObject({ code: 'already-exists' });
      await writeFile(join(dir, 'memory.save'), 'abc');
      await writeFile(join(dir, 'disk-root.qcow2'), '');
      expect(await measureBundle(dir)).toEqual([
        { name: 'disk-root.qcow2', bytes: 0, sha256: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855' },
        { name: 'memory.save', bytes: 3, sha256: 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad' },
      ]);
      await expect(measureBundle(join(root, 'none'))).rejects.toMatchObject({ code: 'not-found' });
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
