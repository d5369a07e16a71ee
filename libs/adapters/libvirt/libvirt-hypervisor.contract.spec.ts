import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hypervisorContract } from '@reservoir/testing/hypervisor-contract';
import { LibvirtHypervisorFactory } from './libvirt-hypervisor.factory';
import { libvirtAvailable } from './native-binding';

/**
 * The shared Hypervisor port contract (libs/testing/hypervisor-contract.ts) against libvirt's test driver
 * (`test:///default`): lifecycle, events, snapshots, save/restore; no migration (the adapter says 'unsupported')
 * and no failure injection. The test driver's state is private per connection, so every test's fresh connection
 * starts from the driver's default host (which runs one domain of its own, `test`).
 * Without the addon the suite is skipped with the reason, except under CI, where that is a failure.
 */

const availability = libvirtAvailable();

if (availability.ok) {
  hypervisorContract('libvirt test driver', { migration: false, failureInjection: false, guestState: false }, async () => {
    const scratchDir = await mkdtemp(join(tmpdir(), 'reservoir-libvirt-contract-'));
    return {
      factory: new LibvirtHypervisorFactory(),
      uri: 'test:///default',
      scratchDir,
      cleanup: () => rm(scratchDir, { recursive: true, force: true }),
    };
  });

  it('defines a full spec (kernel boot, disks, a segment with bandwidth, console log, properties) with libvirt validating it', async () => {
    const conn = await new LibvirtHypervisorFactory().connect('test:///default');
    await conn.define({
      name: 'full', uuid: 'c0ffee00-0000-4000-8000-0000000000ff', vcpu: 2, memoryMiB: 128,
      disks: [{ name: 'root', sizeGiB: 1, format: 'qcow2', baseImage: { ref: 'tiny-linux' } }, { name: 'data', path: '/srv/data.raw', sizeGiB: 1, format: 'raw' }],
      networks: [{ name: 'front', segment: 'rsv-contract-front', bandwidthMbps: 100 }], boot: { kind: 'kernel', kernelPath: '/k/vmlinuz', initrdPath: '/k/initrd', cmdline: 'console=ttyS0' },
      consoleLogPath: '/var/log/full.log', properties: { role: `<&'">` },
    });
    expect(await conn.info('full')).toMatchObject({ state: 'shutoff', vcpu: 2, memoryMiB: 128 });
    await conn.close();
  });
} else if (process.env.CI === 'true') {
  throw new Error(`libvirt adapter not built under CI (${availability.reason})`);
} else {
  console.warn(`SKIPPED: libvirt adapter not built (${availability.reason})`);
  it.skip('libvirt test driver: Hypervisor port contract', () => undefined);
}
