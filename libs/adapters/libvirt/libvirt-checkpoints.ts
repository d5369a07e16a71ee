import { HypervisorError, isDomainActive, type SnapshotInfo } from '@reservoir/domain/ports/hypervisor.port';
import { snapshotState } from './libvirt-codes';
import { ensureSegments, joinedNetworks } from './libvirt-segments';
import { type LibvirtSession } from './libvirt-session';
import { text } from './domain-xml';

/**
 * Snapshots and save images. libvirt lists snapshots in no order and stamps them to the second, so each snapshot
 * the adapter takes carries a sequence number in its description (`reservoir-seq=N`, one more than the highest on
 * the domain): oldest first is (creation time, sequence, name).
 */

const SEQ = /reservoir-seq=(\d+)/;

export async function snapshotCreate(session: LibvirtSession, name: string, snapshot: string): Promise<void> {
  await session.run('snapshotCreate', `${name}/${snapshot}`, async (h) => {
    await session.require(h, name);
    const existing = (await session.native.snapshotList(h, name)).map(parseSnapshot);
    if (existing.some((s) => s.name === snapshot)) {
      throw new HypervisorError('already-exists', `snapshotCreate ${name}: snapshot '${snapshot}' exists`);
    }
    const seq = Math.max(0, ...existing.map((s) => s.seq)) + 1;
    const xml = `<domainsnapshot><name>${text(snapshot)}</name><description>reservoir-seq=${seq}</description></domainsnapshot>`;
    await session.native.snapshotCreate(h, name, xml, 0);
  });
}

/** Revert (to the snapshot's disks, memory and state) or delete; an unknown snapshot is libvirt's 'not-found'. */
export async function snapshotApply(session: LibvirtSession, operation: 'snapshotRevert' | 'snapshotDelete', name: string, snapshot: string): Promise<void> {
  await session.run(operation, `${name}/${snapshot}`, (h) =>
    session.native.snapshotApply(h, name, snapshot, operation === 'snapshotRevert' ? 'revert' : 'delete', 0));
}

export async function snapshotList(session: LibvirtSession, name: string): Promise<SnapshotInfo[]> {
  const xmls = await session.run('snapshotList', name, (h) => session.native.snapshotList(h, name));
  return xmls
    .map(parseSnapshot)
    .sort((a, b) => a.created - b.created || a.seq - b.seq || a.name.localeCompare(b.name))
    .map(({ name: snapshot, state }) => ({ name: snapshot, state }));
}

/**
 * Restores a save image, first defining the domain it holds when the host does not know it (libvirt would
 * otherwise run it transient). The image's domain must not be active ('invalid-state').
 */
export async function restore(session: LibvirtSession, path: string): Promise<string> {
  return session.run('restore', path, async (h) => {
    const xml = await session.native.saveImageXml(h, path);
    const name = firstElement(xml, 'name');
    if (!name) throw new HypervisorError('operation-failed', `restore ${path}: the save image names no domain`);
    const known = await session.find(h, name);
    await ensureSegments(session.native, h, joinedNetworks(xml));
    if (!known) await session.native.define(h, xml, 0);
    else if (isDomainActive((await session.require(h, name)).state)) {
      throw new HypervisorError('invalid-state', `restore ${path}: domain '${name}' is active`);
    }
    await session.native.restore(h, path, 0);
    return name;
  });
}

interface ParsedSnapshot {
  name: string;
  state: SnapshotInfo['state'];
  created: number;
  seq: number;
}

/** The few fields of a `<domainsnapshot>` document the adapter needs (its top-level elements come first). */
export function parseSnapshot(xml: string): ParsedSnapshot {
  const head = xml.split('<domain ')[0];
  return {
    name: firstElement(head, 'name') ?? '',
    state: snapshotState(firstElement(head, 'state') ?? ''),
    created: Number(firstElement(head, 'creationTime') ?? 0),
    seq: Number(SEQ.exec(firstElement(head, 'description') ?? '')?.[1] ?? 0),
  };
}

/** Text of the first `<tag>…</tag>`, unescaped; enough for libvirt's own generated XML. */
export function firstElement(xml: string, tag: string): string | undefined {
  const match = new RegExp(`<${tag}>([^<]*)</${tag}>`).exec(xml);
  return match ? unescape(match[1]) : undefined;
}

function unescape(value: string): string {
  return value
    .replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&apos;/g, "'")
    .replace(/&#(\d+);/g, (_, code: string) => String.fromCodePoint(Number(code)))
    .replace(/&#x([0-9a-fA-F]+);/g, (_, code: string) => String.fromCodePoint(parseInt(code, 16)))
    .replace(/&amp;/g, '&');
}
