// The checkpoint mechanisms libvirt 9.0 offers for a running guest, each as "take a checkpoint" and "bring a
// running guest back from it". Sizes are the guest state (memory + device state) only; every mechanism also keeps
// a qcow2 disk state of ~0.2 MiB here (the internal snapshot's clusters, the frozen overlay, the save's overlay).
import { statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Guest } from './checkpoint-guest';
import { qemuImg, virsh } from './libvirt-tools';

/**
 * A checkpoint taken; `restore` resolves once libvirt reports the guest running again from it, with the ms of
 * that spent stopping the guest that ran on (undefined when the mechanism does that inside one libvirt call).
 */
export interface Checkpoint {
  bytes: number;
  restore: () => Promise<number | undefined>;
}

/** One mechanism under test. */
export interface Candidate {
  key: string;
  label: string;
  /** The guest stays stopped from the checkpoint until the restore (save): its pause spans both. */
  stopsGuest: boolean;
  take: (g: Guest) => Promise<Checkpoint>;
}

const SNAPSHOT = 'ckpt';

/** `virsh snapshot-create-as` with memory into the qcow2 overlay; `snapshot-revert --running` back. */
const internal: Candidate = {
  key: 'internal',
  label: 'internal snapshot + snapshot-revert',
  stopsGuest: false,
  take: async (g) => {
    await virsh(g.uri, 'snapshot-create-as', g.name, SNAPSHOT, '--atomic');
    return {
      bytes: await vmStateSize(g.overlay),
      restore: async () => {
        await virsh(g.uri, 'snapshot-revert', g.name, SNAPSHOT, '--running');
        return undefined;
      },
    };
  },
};

async function vmStateSize(overlay: string): Promise<number> {
  const info = JSON.parse(await qemuImg('info', '-U', '--output=json', overlay)) as { snapshots?: { 'vm-state-size'?: number }[] };
  return info.snapshots?.[0]?.['vm-state-size'] ?? Number.NaN;
}

/**
 * External snapshot: memory to a save image, the disk switched to a new overlay whose backing is the old one (now
 * the frozen disk state). libvirt 9.0 cannot revert it, so recovery is: destroy, a fresh overlay on the frozen
 * one (writing the frozen file itself would break the snapshot's chain and make the checkpoint single-use), and
 * `virsh restore` of the memory file with its embedded XML pointed at that overlay.
 */
function external(live: boolean): Candidate {
  return {
    key: live ? 'external-live' : 'external',
    label: `external snapshot${live ? ' --live' : ''} + virsh restore of its memory file`,
    stopsGuest: false,
    take: async (g) => {
      const memory = join(g.dir, 'memory.save');
      const after = join(g.dir, 'disk-after-snapshot.qcow2');
      const args = ['snapshot-create-as', g.name, SNAPSHOT, '--atomic', '--memspec', `file=${memory},snapshot=external`, '--diskspec', `vda,snapshot=external,file=${after}`];
      await virsh(g.uri, ...args, ...(live ? ['--live'] : []));
      return { bytes: statSync(memory).size, restore: () => restoreExternal(g, memory) };
    },
  };
}

async function restoreExternal(g: Guest, memory: string): Promise<number> {
  const fresh = join(g.dir, 'disk-restored.qcow2');
  const xmlFile = join(g.dir, 'restore.xml');
  const t0 = performance.now();
  await virsh(g.uri, 'destroy', g.name);
  const stopMs = performance.now() - t0;
  await qemuImg('create', '-q', '-f', 'qcow2', '-b', g.overlay, '-F', 'qcow2', fresh);
  const xml = await virsh(g.uri, 'save-image-dumpxml', memory, '--security-info');
  if (!xml.includes(`'${g.overlay}'`)) throw new Error(`memory file's XML does not name the frozen overlay ${g.overlay}`);
  writeFileSync(xmlFile, xml.split(`'${g.overlay}'`).join(`'${fresh}'`));
  await virsh(g.uri, 'restore', memory, '--xml', xmlFile, '--running');
  return stopMs;
}

/** `virsh save` (the guest stops and its QEMU exits) + `virsh restore` (resumes it). */
const save: Candidate = {
  key: 'save',
  label: 'virsh save + virsh restore',
  stopsGuest: true,
  take: async (g) => {
    const file = join(g.dir, 'guest.save');
    await virsh(g.uri, 'save', g.name, file);
    return {
      bytes: statSync(file).size,
      restore: async () => {
        await virsh(g.uri, 'restore', file, '--running');
        return undefined;
      },
    };
  },
};

export const CANDIDATES: readonly Candidate[] = [internal, external(false), external(true), save];

/** Candidates not measured, with the reason (printed under the tables). */
export const NOT_MEASURED: readonly string[] = [
  "migrate to file (HMP 'migrate exec:cat>FILE'): QEMU is killed at once - libvirt starts it with -sandbox spawn=deny, so exec: " +
    'migration crashes the domain (seen here: "shutting down, reason=crashed"); the file: URI needs QEMU 8.2 (here 7.2). ' +
    'Doing it safely means an fd passed with getfd (what virsh save does internally) - that is virsh save.',
  'virsh dump --memory-only: writes an ELF core for debuggers, which nothing can restore: not a checkpoint.',
  'virsh suspend + virsh save --paused: the same save with two extra round trips before it (suspend) and after restore ' +
    '(resume); it can only lengthen the pause of "virsh save + virsh restore".',
];
