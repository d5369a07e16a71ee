import { HypervisorError, SEGMENT_NAME, type DiskSpec, type DomainSpec, type NetworkSpec } from '@reservoir/domain/ports/hypervisor.port';

/**
 * Renders a neutral DomainSpec as libvirt domain XML (https://libvirt.org/formatdomain.html). Pure: paths are
 * resolved by the caller (see {@link DomainXmlContext}). Every value is escaped; values XML cannot carry at all
 * (control characters) and properties that would be ambiguous are refused with 'invalid-argument'.
 *
 * - `<domain type='qemu'>` (TCG) unless KVM is asked for: KVM on these hosts is nested and unreliable.
 * - Disks are virtio, vda, vdb, …; a disk with a base image is a qcow2 overlay whose backing file is recorded in the
 *   image header (created by overlay.ts), so no `<backingStore>` is written.
 * - Configuration properties reach the guest as SMBIOS OEM strings `reservoir.KEY=VALUE` (`dmidecode -t 11`).
 * - Each network is a virtio interface on its isolated segment (a libvirt network of that name, see
 *   network-xml.ts). Guaranteed bandwidth is written as `<bandwidth>` (KB/s both ways), which libvirt enforces with
 *   tc on the tap device, unless the context says the host cannot shape (then it is left out, and the host's
 *   features say why).
 * - The serial console is appended to `consoleLogPath` (a pty when absent).
 */
export interface DomainXmlContext {
  /** 'test' for libvirt's test driver, 'qemu' for TCG, 'kvm' for hardware virtualisation. */
  domainType: 'qemu' | 'kvm' | 'test';
  /** Where each disk lives on the host (the spec's `path`, or one the adapter chose). */
  diskPath(disk: DiskSpec): string;
  /** Whether to write `<bandwidth>`: false where the host's tc cannot apply libvirt's shaping. Default true. */
  bandwidth?: boolean;
}

export function renderDomainXml(spec: DomainSpec, context: DomainXmlContext): string {
  const lines = [
    `<domain type='${context.domainType}'>`,
    `  <name>${text(spec.name)}</name>`,
    `  <uuid>${text(spec.uuid)}</uuid>`,
    `  <memory unit='MiB'>${positiveInteger(spec.memoryMiB, 'memoryMiB')}</memory>`,
    `  <vcpu>${positiveInteger(spec.vcpu, 'vcpu')}</vcpu>`,
    ...sysinfo(spec.properties),
    ...os(spec),
    '  <features><acpi/></features>',
    "  <clock offset='utc'/>",
    '  <on_poweroff>destroy</on_poweroff>',
    '  <on_reboot>restart</on_reboot>',
    '  <on_crash>destroy</on_crash>',
    '  <devices>',
    ...spec.disks.flatMap((disk, index) => diskXml(disk, index, context.diskPath(disk))),
    ...spec.networks.flatMap((network) => interfaceXml(network, context.bandwidth ?? true)),
    ...consoleXml(spec.consoleLogPath),
    '  </devices>',
    '</domain>',
  ];
  return `${lines.join('\n')}\n`;
}

function os(spec: DomainSpec): string[] {
  const boot = spec.boot;
  const kernel = boot.kind === 'kernel'
    ? [
        `    <kernel>${text(boot.kernelPath)}</kernel>`,
        ...(boot.initrdPath ? [`    <initrd>${text(boot.initrdPath)}</initrd>`] : []),
        ...(boot.cmdline ? [`    <cmdline>${text(boot.cmdline)}</cmdline>`] : []),
      ]
    : ["    <boot dev='hd'/>"];
  const smbios = Object.keys(spec.properties).length > 0 ? ["    <smbios mode='sysinfo'/>"] : [];
  return ['  <os>', "    <type arch='x86_64'>hvm</type>", ...kernel, ...smbios, '  </os>'];
}

function sysinfo(properties: Readonly<Record<string, string>>): string[] {
  const entries = Object.entries(properties);
  if (entries.length === 0) return [];
  for (const [key] of entries) {
    if (key === '' || key.includes('=')) throw invalid(`configuration property name '${key}' must be non-empty and contain no '='`);
  }
  return [
    "  <sysinfo type='smbios'>",
    '    <oemStrings>',
    ...entries.map(([key, value]) => `      <entry>${text(`reservoir.${key}=${value}`)}</entry>`),
    '    </oemStrings>',
    '  </sysinfo>',
  ];
}

/** vda … vdz, vdaa …: the virtio-blk target name of the disk at `index`. */
export function diskTarget(index: number): string {
  let name = '';
  for (let n = index + 1; n > 0; n = Math.floor((n - 1) / 26)) name = String.fromCharCode(97 + ((n - 1) % 26)) + name;
  return `vd${name}`;
}

function diskXml(disk: DiskSpec, index: number, path: string): string[] {
  return [
    "    <disk type='file' device='disk'>",
    `      <driver name='qemu' type='${disk.format === 'raw' ? 'raw' : 'qcow2'}'/>`,
    `      <source file='${attr(path)}'/>`,
    `      <target dev='${diskTarget(index)}' bus='virtio'/>`,
    // The guest sees the disk's name as its serial (/dev/disk/by-id) where QEMU accepts it (20 plain characters).
    ...(/^[A-Za-z0-9_ .+-]{1,20}$/.test(disk.name) ? [`      <serial>${text(disk.name)}</serial>`] : []),
    '    </disk>',
  ];
}

function interfaceXml(network: NetworkSpec, shape: boolean): string[] {
  if (!SEGMENT_NAME.test(network.segment)) throw invalid(`network '${network.name}': segment '${network.segment}' is not a valid segment name`);
  const alias = /^[a-zA-Z0-9_-]+$/.test(network.name) ? [`      <alias name='ua-net-${network.name}'/>`] : [];
  const bandwidth = network.bandwidthMbps === undefined || !shape ? [] : (() => {
    const average = bandwidthKBps(network.bandwidthMbps);
    return [`      <bandwidth><inbound average='${average}'/><outbound average='${average}'/></bandwidth>`];
  })();
  return [
    "    <interface type='network'>",
    `      <source network='${attr(network.segment)}'/>`,
    "      <model type='virtio'/>",
    ...bandwidth,
    ...alias,
    '    </interface>',
  ];
}

/** libvirt's `<bandwidth>` unit: kilobytes per second (1 Mbit/s = 125 KB/s), at least 1. */
export function bandwidthKBps(mbps: number): number {
  if (!(Number.isFinite(mbps) && mbps > 0)) throw invalid(`bandwidthMbps must be positive, got ${mbps}`);
  return Math.max(1, Math.round(mbps * 125));
}

function consoleXml(logPath: string | undefined): string[] {
  if (logPath === undefined) {
    return ["    <serial type='pty'><target port='0'/></serial>", "    <console type='pty'><target type='serial' port='0'/></console>"];
  }
  const source = `<source path='${attr(logPath)}' append='on'/>`;
  return [
    `    <serial type='file'>${source}<target port='0'/></serial>`,
    `    <console type='file'>${source}<target type='serial' port='0'/></console>`,
  ];
}

function positiveInteger(value: number, what: string): number {
  if (!Number.isInteger(value) || value <= 0) throw invalid(`${what} must be a positive integer, got ${value}`);
  return value;
}

// XML 1.0 cannot carry these at all, escaped or not.
// eslint-disable-next-line no-control-regex
const FORBIDDEN = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/;

/** Escapes character data. */
export function text(value: string): string {
  if (FORBIDDEN.test(value)) throw invalid(`a value contains a control character XML cannot carry: ${JSON.stringify(value)}`);
  return value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Escapes an attribute value (either quote style), keeping tabs and newlines as character references. */
export function attr(value: string): string {
  return text(value).replace(/"/g, '&quot;').replace(/'/g, '&apos;').replace(/\t/g, '&#9;').replace(/\n/g, '&#10;').replace(/\r/g, '&#13;');
}

/** Undoes {@link attr} and {@link text} for the five predefined entities (reading libvirt's own XML back). */
export function unescapeXml(value: string): string {
  return value.replace(/&apos;/g, "'").replace(/&quot;/g, '"').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}

function invalid(message: string): HypervisorError {
  return new HypervisorError('invalid-argument', message);
}
