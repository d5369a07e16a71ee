import { HypervisorError, type HypervisorFactory } from '@reservoir/domain/ports/hypervisor.port';
import { LibvirtConnection, type LibvirtConnectionSettings } from './libvirt-connection';
import { LibvirtSession } from './libvirt-session';
import { libvirtAvailable, libvirtNative, type LibvirtNative } from './native-binding';
import { noDiskProvisioning, qemuImgProvisioner, type DiskProvisioner } from './overlay';

/** How the broker uses libvirt hosts; every field has a default. */
export interface LibvirtHypervisorOptions {
  /** 'qemu' (TCG, the default: KVM on these hosts is nested and unreliable) or 'kvm'. */
  domainType?: 'qemu' | 'kvm';
  /** Where disks without a path are created; default /var/lib/libvirt/images/reservoir. */
  diskDir?: string;
  /** Catalogue images: default `${imageDir}/${ref}.qcow2` with imageDir /var/lib/libvirt/images/catalogue. */
  resolveImage?: (ref: string) => string;
  /**
   * Creates disk files before define. Default: qemu-img on this machine for local QEMU URIs (no host part);
   * nothing for the test driver and remote hosts (their disks must exist; see README).
   */
  provisioner?: DiskProvisioner;
  /** Per-call migration addresses (see libvirt-migration.ts). */
  migration?: { uri?: string; listenAddress?: string };
  /** The addon; tests may pass a fake. Default: the built one. */
  native?: LibvirtNative;
}

const DEFAULT_DISK_DIR = '/var/lib/libvirt/images/reservoir';
const DEFAULT_IMAGE_DIR = '/var/lib/libvirt/images/catalogue';

/**
 * Opens libvirt connections (`qemu:///system`, `qemu+unix:///system?socket=…`, `test:///default`, …). When the addon
 * is not built on this machine every `connect` is refused 'unsupported' with the reason; wire it with
 * {@link optionalLibvirtFactory} to let the router refuse instead.
 */
export class LibvirtHypervisorFactory implements HypervisorFactory {
  private readonly provisioner: DiskProvisioner;

  constructor(private readonly options: LibvirtHypervisorOptions = {}) {
    this.provisioner = options.provisioner ?? qemuImgProvisioner();
  }

  async connect(uri: string): Promise<LibvirtConnection> {
    if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(uri) || uri.startsWith('sim://')) {
      throw new HypervisorError('invalid-argument', `'${uri}' is not a libvirt URI`);
    }
    const native = this.native(uri);
    const { handle, canonicalUri, driver } = await LibvirtSession.open(native, uri);
    // Events can arrive once the session subscribes, before the connection exists: they go to it once it does.
    const deliver: { to?: LibvirtConnection } = {};
    const session = new LibvirtSession(native, uri, driver, handle, (event) => deliver.to?.deliver(event));
    deliver.to = new LibvirtConnection(session, canonicalUri, this.settings(uri, driver));
    return deliver.to;
  }

  private native(uri: string): LibvirtNative {
    if (this.options.native) return this.options.native;
    const availability = libvirtAvailable();
    if (!availability.ok) {
      throw new HypervisorError('unsupported', `libvirt adapter not built (${availability.reason}); '${uri}' is refused: use a sim:// host URI`);
    }
    return libvirtNative();
  }

  private settings(uri: string, driver: string): LibvirtConnectionSettings {
    const imageDir = DEFAULT_IMAGE_DIR;
    const local = /^[a-z0-9+]+:\/\/\//i.test(uri); // no host part: the daemon runs on this machine
    return {
      domainType: this.options.domainType ?? 'qemu',
      diskDir: this.options.diskDir ?? DEFAULT_DISK_DIR,
      resolveImage: this.options.resolveImage ?? ((ref) => `${imageDir}/${ref}.qcow2`),
      provisioner: driver === 'TEST' || (!local && !this.options.provisioner) ? noDiskProvisioning : this.provisioner,
      migration: { ...this.options.migration, connect: (dest) => this.connect(dest) },
    };
  }
}

/**
 * The factory when the addon loads here, else undefined and the reason (for a startup log line): hand the first
 * to HypervisorRouter, which then refuses libvirt URIs itself when there is none.
 */
export function optionalLibvirtFactory(options: LibvirtHypervisorOptions = {}): { factory?: LibvirtHypervisorFactory; reason?: string } {
  const availability = options.native ? { ok: true as const } : libvirtAvailable();
  return availability.ok ? { factory: new LibvirtHypervisorFactory(options) } : { reason: availability.reason };
}
