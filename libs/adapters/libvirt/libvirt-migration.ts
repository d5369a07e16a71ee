import { HypervisorError, isDomainActive, type HypervisorConnection, type MigrateOptions } from '@reservoir/domain/ports/hypervisor.port';
import { Flags } from './libvirt-codes';
import { joinedNetworks } from './libvirt-segments';
import { type LibvirtSession } from './libvirt-session';

/** Where migration streams go, per call (QEMU refuses 127.0.0.1 as `migration_address` in qemu.conf). */
export interface MigrationSettings {
  /** VIR_MIGRATE_PARAM_URI, e.g. `tcp://127.0.0.1` for two daemons on one machine. */
  uri?: string;
  /** VIR_MIGRATE_PARAM_LISTEN_ADDRESS on the destination. */
  listenAddress?: string;
  /** Opens the destination for the pre-checks (name, uuid, memory); the factory's own `connect`. */
  connect(uri: string): Promise<HypervisorConnection & {
    memory(): Promise<{ usedKiB: number; totalKiB: number }>;
    prepareSegments(segments: readonly string[]): Promise<void>;
  }>;
}

/**
 * Peer-to-peer migration (the source daemon talks to the destination's): the domain stays in its state, becomes
 * persistent on the destination and is undefined on the source. The port's refusals are checked first, in order:
 * unknown domain, a driver without migration (libvirt's test driver), inactive or with snapshots, then the
 * destination (name or uuid taken, memory). The domain's segments are created on the destination first; resolves to
 * them, for the source to release.
 */
export async function migrate(session: LibvirtSession, sourceUri: string, name: string, destUri: string, options: MigrateOptions, settings: MigrationSettings): Promise<string[]> {
  const subject = `${name} to ${destUri}`;
  const { state, uuid, memoryMiB } = await session.run('migrate', subject, (h) => session.require(h, name));
  if (session.driver === 'TEST') throw new HypervisorError('unsupported', `migrate ${subject}: libvirt's test driver cannot migrate`);
  if (!isDomainActive(state)) throw new HypervisorError('invalid-state', `migrate ${subject}: the domain is ${state}`);
  const snapshots = await session.run('migrate', subject, (h) => session.native.snapshotList(h, name));
  if (snapshots.length > 0) throw new HypervisorError('invalid-state', `migrate ${subject}: the domain has ${snapshots.length} snapshot(s)`);
  if (destUri === sourceUri) throw new HypervisorError('invalid-argument', `migrate ${subject}: the destination is the source host`);
  const segments = joinedNetworks(await session.run('migrate', subject, (h) => session.native.xml(h, name, 0)));
  await checkDestination(settings, subject, destUri, { name, uuid, memoryMiB, segments });

  let flags = Flags.MIGRATE_PEER2PEER | Flags.MIGRATE_PERSIST_DEST | Flags.MIGRATE_UNDEFINE_SOURCE;
  if (options.live) flags |= Flags.MIGRATE_LIVE;
  if (options.copyStorage) flags |= Flags.MIGRATE_NON_SHARED_DISK;
  if (state === 'paused') flags |= Flags.MIGRATE_PAUSED; // stays paused on the destination
  await session.run('migrate', subject, (h) =>
    session.native.migrate(h, name, destUri, settings.uri ?? null, settings.listenAddress ?? null, flags));
  return segments;
}

interface Moving {
  name: string;
  uuid: string;
  memoryMiB: number;
  segments: string[];
}

async function checkDestination(settings: MigrationSettings, subject: string, destUri: string, { name, uuid, memoryMiB, segments }: Moving): Promise<void> {
  const dest = await settings.connect(destUri);
  try {
    const taken = (await dest.list()).find((d) => d.name === name || d.uuid === uuid);
    if (taken) throw new HypervisorError('already-exists', `migrate ${subject}: the destination has domain '${taken.name}' (${taken.uuid})`);
    const { usedKiB, totalKiB } = await dest.memory();
    if (usedKiB + memoryMiB * 1024 > totalKiB) {
      throw new HypervisorError('insufficient-capacity', `migrate ${subject}: ${memoryMiB} MiB does not fit on the destination`);
    }
    await dest.prepareSegments(segments);
  } finally {
    await dest.close();
  }
}
