import { type HypervisorConnection, type HypervisorFactory, HypervisorError } from '@reservoir/domain/ports/hypervisor.port';

/**
 * Picks the hypervisor adapter from a host URI's scheme: `sim://` goes to the simulated hypervisor, every other
 * URI (qemu:///system, test:///default, qemu+unix://…) to libvirt. Without a libvirt adapter in this build or on
 * this machine, libvirt URIs are refused with a message that says so.
 */
export class HypervisorRouter implements HypervisorFactory {
  constructor(
    private readonly sim: HypervisorFactory,
    private readonly libvirt?: HypervisorFactory,
  ) {}

  connect(uri: string): Promise<HypervisorConnection> {
    if (uri.startsWith('sim://')) return this.sim.connect(uri);
    if (this.libvirt) return this.libvirt.connect(uri);
    return Promise.reject(
      new HypervisorError('unsupported', `'${uri}' needs the libvirt adapter, which this broker does not have; use a sim:// host URI`),
    );
  }
}
