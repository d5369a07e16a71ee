import { HypervisorError, isDomainActive, type MigrateOptions } from '@reservoir/domain/ports/hypervisor.port';
import { newSimDomain, type SimDomain } from './sim-domain';
import { type SimHost } from './sim-host';

/** Finds (or declares) the host a URI names; 'invalid-argument' for a bad or unknown one. */
export type SimHostResolver = (uri: string) => SimHost;

/**
 * Moves an active domain between two simulated hosts. The destination holds an incoming domain (paused, memory
 * reserved) for `delays.migrateMs`; then the domain runs there in the state it had and is gone from the source.
 * If either host dies or the domain is stopped meanwhile, the incoming domain is dropped and the call fails.
 * `options.live` only changes downtime, which the simulation does not model.
 */
export async function migrate(source: SimHost, name: string, destUri: string, _options: MigrateOptions, resolve: SimHostResolver): Promise<void> {
  source.enter('migrate');
  if (!source.env.migration) throw new HypervisorError('unsupported', `this sim hypervisor was built without migration`);
  const d = source.domain(name);
  source.ensureIdle(d, 'migrate');
  if (!isDomainActive(d.state)) throw new HypervisorError('invalid-state', `cannot migrate '${name}': it is ${d.state}`);
  if (d.snapshots.size > 0) {
    throw new HypervisorError('invalid-state', `cannot migrate '${name}' with ${d.snapshots.size} snapshot(s): delete them first`);
  }
  const dest = resolve(destUri);
  if (dest === source) throw new HypervisorError('invalid-argument', `cannot migrate '${name}' to the host it is on (${destUri})`);
  if (dest.down) throw dest.hostDown('migrate');
  dest.ensureFree(d.spec);
  dest.ensureMemory(d.spec.memoryMiB);
  dest.ensureDisk(d.spec);

  const incoming = newSimDomain(d.spec);
  dest.add(incoming);
  dest.setState(incoming, 'paused');
  incoming.busy = 'migrate-in';
  d.busy = 'migrate-out';
  const incomingEpoch = incoming.epoch;
  try {
    await source.hold(d, 'migrate', source.env.delays.migrateMs);
    if (dest.down) throw dest.hostDown('migrate');
    if (incoming.epoch !== incomingEpoch) throw new HypervisorError('operation-failed', `migration of '${name}' failed: the incoming domain became ${incoming.state}`);
  } catch (error) {
    dest.remove(incoming);
    if (d.busy === 'migrate-out') d.busy = undefined;
    throw error;
  }
  commit(source, d, dest, incoming);
}

function commit(source: SimHost, d: SimDomain, dest: SimHost, incoming: SimDomain): void {
  const cpuNs = source.cpuTimeNs(d);
  incoming.busy = undefined;
  incoming.guestState = d.guestState;
  dest.setState(incoming, d.state);
  incoming.cpuNs = cpuNs;
  source.setState(d, 'shutoff');
  source.remove(d);
  source.emit(d, 'migrated', 'migrated');
  dest.emit(incoming, 'defined', 'migrated');
  dest.emit(incoming, 'started', 'migrated');
  if (incoming.state === 'paused') dest.emit(incoming, 'paused', 'migrated');
}
