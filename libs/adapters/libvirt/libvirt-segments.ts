import { createHash } from 'node:crypto';
import { type HostFeatures } from '@reservoir/domain/ports/hypervisor.port';
import { attr, unescapeXml } from './domain-xml';
import { VirErr } from './libvirt-codes';
import { isLibvirtNativeError, type LibvirtNative, type NativeHandle } from './native-binding';

/**
 * The per-service isolated segments as libvirt networks: one network per segment, with a bridge of its own, no
 * `<forward>` (isolated: guests reach each other, not the host's networks or the outside) and no `<ip>` (no DHCP,
 * no host address). Bridges the adapter creates are named `rsvb` + 11 hex digits of the segment's sha256, which is
 * how {@link listSegments} tells them from the host's other networks (Linux bridge names end at 15 characters).
 */
export const BRIDGE_PREFIX = 'rsvb';

export function bridgeName(segment: string): string {
  return BRIDGE_PREFIX + createHash('sha256').update(segment).digest('hex').slice(0, 11);
}

export function segmentNetworkXml(segment: string, bandwidthKBps?: number): string {
  const shaping = bandwidthKBps === undefined ? [] : [`  <bandwidth><inbound average='${bandwidthKBps}'/><outbound average='${bandwidthKBps}'/></bandwidth>`];
  return [
    '<network>',
    `  <name>${attr(segment)}</name>`,
    `  <bridge name='${bridgeName(segment)}' stp='off' delay='0'/>`,
    ...shaping,
    '</network>',
    '',
  ].join('\n');
}

/**
 * Creates the segments, once each, and starts any that is defined but inactive (after a daemon restart: segments
 * are not autostarted). A concurrent creation of the same segment is no error.
 */
export async function ensureSegments(native: LibvirtNative, h: NativeHandle, segments: readonly string[]): Promise<void> {
  for (const segment of new Set(segments)) {
    const ensure = () => native.networkEnsure(h, segment, segmentNetworkXml(segment));
    // Two domains of one service defined at once race to create their segment: the loser's define fails
    // ('network already exists', reported as NETWORK_EXIST or OPERATION_FAILED), and a second try finds it.
    await ensure().catch(async (error: unknown) => {
      const names = await native.networkList(h).catch(() => [] as string[]);
      if (names.some((entry) => entry.split('\n')[0] === segment)) return ensure();
      throw error;
    });
  }
}

/** The segments on the host: the networks whose bridge the adapter named. */
export async function listSegments(native: LibvirtNative, h: NativeHandle): Promise<string[]> {
  return (await native.networkList(h))
    .map((entry) => entry.split('\n'))
    .filter(([, bridge]) => bridge?.startsWith(BRIDGE_PREFIX))
    .map(([name]) => name as string)
    .sort();
}

/** The networks a domain's interfaces join, from its XML. */
export function joinedNetworks(domainXml: string): string[] {
  const interfaces = [...domainXml.matchAll(/<interface\b[^>]*type=(['"])network\1[\s\S]*?<\/interface>/g)];
  const names = interfaces.map((m) => /<source\b[^>]*\bnetwork=(['"])(.*?)\1/.exec(m[0])?.[2]).filter((n): n is string => n !== undefined);
  return [...new Set(names.map(unescapeXml))];
}

/**
 * Removes each of `segments` that no domain left on the host joins. Segments another domain still uses stay; one
 * already gone is fine (a concurrent release).
 */
export async function releaseSegments(native: LibvirtNative, h: NativeHandle, segments: readonly string[]): Promise<void> {
  if (segments.length === 0) return;
  const ours = new Set(await listSegments(native, h));
  const candidates = segments.filter((s) => ours.has(s));
  if (candidates.length === 0) return;
  const inUse = new Set<string>();
  for (const domain of await native.list(h)) {
    const xml = await native.xml(h, domain.name, 0).catch((error: unknown) => {
      if (isLibvirtNativeError(error) && error.code === VirErr.NO_DOMAIN) return ''; // undefined meanwhile
      throw error;
    });
    for (const network of joinedNetworks(xml)) inUse.add(network);
  }
  for (const segment of candidates.filter((s) => !inUse.has(s))) {
    await native.networkRemove(h, segment).catch((error: unknown) => {
      if (!(isLibvirtNativeError(error) && error.code === VirErr.NO_NETWORK)) throw error;
    });
  }
}

/**
 * Whether libvirt can shape traffic on this host: starts a throwaway segment with `<bandwidth>` (libvirt runs the
 * same tc commands as for an interface) and removes it. A kernel without the qdiscs libvirt uses (sfq, and the
 * police action for ingress) fails that start; the reason is libvirt's message.
 */
export async function probeBandwidthQoS(native: LibvirtNative, h: NativeHandle): Promise<HostFeatures['bandwidthQoS']> {
  const probe = `rsv-qos-probe-${process.pid}-${Date.now().toString(36)}`;
  try {
    await native.networkEnsure(h, probe, segmentNetworkXml(probe, 125));
    return { enforced: true };
  } catch (error) {
    const message = error instanceof Error || isLibvirtNativeError(error) ? error.message : String(error);
    return { enforced: false, reason: `libvirt cannot apply <bandwidth> on this host: ${message.split('\n')[0]}` };
  } finally {
    await native.networkRemove(h, probe).catch(() => undefined);
  }
}
