import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { isHypervisorError, type DomainSpec } from '@reservoir/domain/ports/hypervisor.port';
import { attr, bandwidthKBps, diskTarget, renderDomainXml, text, type DomainXmlContext } from './domain-xml';

/** Domain XML rendering, checked against libvirt's own RelaxNG schema with `virt-xml-validate FILE domain`. */

const run = promisify(execFile);
const context: DomainXmlContext = { domainType: 'qemu', diskPath: (disk) => disk.path ?? `/var/lib/reservoir/disks/web-${disk.name}.qcow2` };

const minimal: DomainSpec = {
  name: 'web-1', uuid: 'c0ffee00-0000-4000-8000-000000000001', vcpu: 1, memoryMiB: 64,
  disks: [], networks: [], boot: { kind: 'disk' }, properties: {},
};
const full: DomainSpec = {
  ...minimal,
  vcpu: 2,
  memoryMiB: 256,
  disks: [
    { name: 'root', sizeGiB: 2, format: 'qcow2', baseImage: { ref: 'tiny-linux', sha256: 'ab'.repeat(32) } },
    { name: 'data', path: "/srv/o'brien & <co>.raw", sizeGiB: 1, format: 'raw' },
  ],
  networks: [{ name: 'front', segment: 'rsv-1a2b3c4d-front', bandwidthMbps: 100 }, { name: 'back end', segment: 'rsv-1a2b3c4d-back_end' }],
  boot: { kind: 'kernel', kernelPath: '/var/lib/reservoir/kernels/vmlinuz', initrdPath: '/var/lib/reservoir/kernels/initrd.img', cmdline: 'console=ttyS0 quiet' },
  consoleLogPath: '/var/log/reservoir/web-1.console.log',
  properties: { 'tier.role': 'frontend', hostile: `<&'">`, multi: 'line one\nline two' },
};

describe('renderDomainXml', () => {
  it('renders name, uuid, size, TCG and a pty console for a minimal spec', () => {
    const xml = renderDomainXml(minimal, context);
    expect(xml).toContain("<domain type='qemu'>");
    expect(xml).toContain('<name>web-1</name>');
    expect(xml).toContain(`<uuid>${minimal.uuid}</uuid>`);
    expect(xml).toContain("<memory unit='MiB'>64</memory>");
    expect(xml).toContain('<vcpu>1</vcpu>');
    expect(xml).toContain("<boot dev='hd'/>");
    expect(xml).toContain("<serial type='pty'>");
    expect(xml).not.toContain('<sysinfo');
  });

  it('renders kernel boot, disks, interfaces on isolated segments, the console log and SMBIOS OEM strings', () => {
    const xml = renderDomainXml(full, { ...context, domainType: 'kvm' });
    expect(xml).toContain("<domain type='kvm'>");
    expect(xml).toContain('<kernel>/var/lib/reservoir/kernels/vmlinuz</kernel>');
    expect(xml).toContain('<cmdline>console=ttyS0 quiet</cmdline>');
    expect(xml).toContain("<source file='/var/lib/reservoir/disks/web-root.qcow2'/>");
    expect(xml).toContain("<target dev='vdb' bus='virtio'/>");
    expect(xml).toContain("<driver name='qemu' type='raw'/>");
    expect(xml.match(/<interface type='network'>/g)).toHaveLength(2);
    expect(xml).toContain("<source network='rsv-1a2b3c4d-front'/>");
    expect(xml).toContain("<source network='rsv-1a2b3c4d-back_end'/>");
    expect(xml).toContain("<bandwidth><inbound average='12500'/><outbound average='12500'/></bandwidth>");
    expect(xml.match(/<bandwidth>/g)).toHaveLength(1);
    expect(renderDomainXml(full, { ...context, bandwidth: false })).not.toContain('<bandwidth>');
    expect(xml).toContain("<source path='/var/log/reservoir/web-1.console.log' append='on'/>");
    expect(xml).toContain('<entry>reservoir.tier.role=frontend</entry>');
    expect(xml).toContain("<smbios mode='sysinfo'/>");
  });

  it('escapes every value: a property <&\'"> and a path with quotes stay data', () => {
    const xml = renderDomainXml(full, context);
    expect(xml).toContain(`<entry>reservoir.hostile=&lt;&amp;'"&gt;</entry>`);
    expect(xml).toContain("<source file='/srv/o&apos;brien &amp; &lt;co&gt;.raw'/>");
    expect(attr(`a'b"c<d>&e\tf`)).toBe('a&apos;b&quot;c&lt;d&gt;&amp;e&#9;f');
    expect(text('a]]>b')).toBe('a]]&gt;b');
  });

  it.each([
    ['a control character', { ...minimal, properties: { k: 'bell\u0007' } }],
    ['a property name with =', { ...minimal, properties: { 'a=b': 'x' } }],
    ['zero memory', { ...minimal, memoryMiB: 0 }],
    ['fractional vCPUs', { ...minimal, vcpu: 1.5 }],
    ['a segment name with a quote', { ...minimal, networks: [{ name: 'n', segment: "x'y" }] }],
  ])('refuses %s with invalid-argument', (_what, spec) => {
    expect.assertions(1);
    try {
      renderDomainXml(spec, context);
    } catch (error) {
      expect(isHypervisorError(error, 'invalid-argument')).toBe(true);
    }
  });

  it('names disks vda…vdz, vdaa… and converts Mbit/s to libvirt KB/s', () => {
    expect([0, 1, 25, 26, 27].map(diskTarget)).toEqual(['vda', 'vdb', 'vdz', 'vdaa', 'vdab']);
    expect([100, 1, 0.001].map(bandwidthKBps)).toEqual([12500, 125, 1]);
  });
});

describe("renderDomainXml output against libvirt's schema (virt-xml-validate)", () => {
  const tool = availableValidator();
  let dir: string;

  beforeAll(async () => {
    const reason = await tool;
    if (reason) {
      if (process.env.CI === 'true') throw new Error(`virt-xml-validate is needed under CI: ${reason}`);
      console.warn(`SKIPPED: schema validation of domain XML (${reason})`);
    }
    dir = await mkdtemp(join(tmpdir(), 'reservoir-domain-xml-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it.each([
    ['minimal', minimal, context],
    ['full, TCG', full, context],
    ['full, KVM', full, { ...context, domainType: 'kvm' as const }],
  ])('%s spec validates', async (name, spec, ctx) => {
    if (await tool) return;
    const file = join(dir, `${name.replace(/\W+/g, '-')}.xml`);
    await writeFile(file, renderDomainXml(spec, ctx));
    const { stdout, stderr } = await run('virt-xml-validate', [file, 'domain']);
    expect(`${stdout}${stderr}`).toContain('validates');
  });

  it('rejects a document the schema forbids (the validator really validates)', async () => {
    if (await tool) return;
    const file = join(dir, 'broken.xml');
    await writeFile(file, renderDomainXml(minimal, context).replace('<vcpu>1</vcpu>', '<vcpu>one</vcpu>'));
    await expect(run('virt-xml-validate', [file, 'domain'])).rejects.toThrow();
  });
});

/** Undefined when `virt-xml-validate` (libvirt-clients + libxml2-utils) runs here, else why not. */
async function availableValidator(): Promise<string | undefined> {
  try {
    await run('xmllint', ['--version']);
    await run('virt-xml-validate', ['--help']);
    return undefined;
  } catch (error) {
    return `virt-xml-validate or xmllint not runnable: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`;
  }
}
