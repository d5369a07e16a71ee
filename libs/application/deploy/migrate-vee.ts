/**
 * Intra-site live migration of one VEE (`POST /v1/vees/:id/migrations {host}`), under the service's lock:
 *   check (VEE running and active, service serving, target another host of the site, up, with room for it)
 *   → `before-migration` checkpoint for a tier with protection `checkpoint` or `live-standby`
 *   → VEE `migrating` → live migration through the Hypervisor port → VEE record moved to the target → `running`.
 * The checkpoint is the way back if the move goes wrong, so for those tiers a checkpoint that fails stops the
 * migration before anything moved. `none`/`restart` tiers keep no checkpoints and get none here. A migration the
 * driver refuses leaves the VEE where it was, `running` again, and is a `conflict` naming the reason.
 */
import { type HostRecord } from '@reservoir/domain/hosts/host-record';
import { freeCapacity } from '@reservoir/domain/placement';
import { type StoredCheckpoint } from '@reservoir/domain/ports/checkpoint-store.port';
import { isHypervisorError } from '@reservoir/domain/ports/hypervisor.port';
import { type CheckpointTrigger } from '@reservoir/domain/protection/checkpoints/checkpoint-record';
import { DomainError } from '@reservoir/domain/shared/domain-error';
import { type VeeRecord } from '@reservoir/domain/vee/vee-record';
import { type DeployDeps, serviceKey } from './deploy-deps';
import { describeError } from './domain-operations';
import { toHostStates } from './site-hosts';
import { requireHost, requireVee } from '../lookups/require-records';

/** What a migration asks of the checkpoint service (CheckpointService). */
export interface MigrationCheckpointer {
  /** A VEE-only checkpoint, the caller holding the VEE's service lock. */
  takeVeeCheckpointLocked(vee: VeeRecord, trigger: CheckpointTrigger): Promise<StoredCheckpoint>;
}

/** A completed migration. */
export interface VeeMigration {
  vee: VeeRecord;
  from: { id: string; name: string };
  to: { id: string; name: string };
  /** The `before-migration` checkpoint, for protected tiers. */
  checkpointId?: string;
  startedAt: Date;
  completedAt: Date;
}

type Deps = Pick<DeployDeps, 'services' | 'hosts' | 'vees' | 'connections' | 'veePhases' | 'locks' | 'clock' | 'log'>;

const PROTECTED = new Set(['checkpoint', 'live-standby']);

export class MigrateVee {
  constructor(
    private readonly d: Deps,
    /** Without it (a site without checkpoints) no checkpoint is taken. */
    private readonly checkpoints?: MigrationCheckpointer,
  ) {}

  /** Unknown VEE or host: `not-found`; bad body: `invalid-input`; anything that forbids the move now: `conflict`. */
  async execute(veeId: string, body: unknown): Promise<VeeMigration> {
    const seen = await requireVee(this.d.vees, veeId);
    const target = await requireHost(this.d.hosts, parseTarget(body));
    return this.d.locks.run(serviceKey(seen.serviceId), async () => this.migrate(await requireVee(this.d.vees, veeId), target));
  }

  private async migrate(vee: VeeRecord, target: HostRecord): Promise<VeeMigration> {
    const startedAt = this.d.clock.now();
    const service = await this.d.services.get(vee.serviceId);
    if (!service || (service.phase !== 'running' && service.phase !== 'degraded')) {
      throw new DomainError('conflict', `service ${vee.serviceId} is ${service?.phase ?? 'gone'}: its VEEs are not migrated now`);
    }
    if (vee.role !== 'active' || vee.phase !== 'running') throw new DomainError('conflict', `VEE ${vee.domain} is a ${vee.role} VEE in phase ${vee.phase}: only a running active VEE is migrated`);
    if (vee.hostId === target.id) throw new DomainError('conflict', `VEE ${vee.domain} already runs on host ${target.name}`);
    const source = await this.d.hosts.get(vee.hostId);
    if (!source) throw new DomainError('unavailable', `host ${vee.hostName} of VEE ${vee.domain} is not registered any more`);
    await this.checkRoom(vee, target);
    const protection = service.definition.tiers.find((t) => t.name === vee.tier)?.qos.protection ?? 'none';
    const checkpoint = this.checkpoints && PROTECTED.has(protection) ? await this.checkpoints.takeVeeCheckpointLocked(vee, 'before-migration') : undefined;
    const current = (await this.d.vees.get(vee.id)) ?? vee;
    const migrating = await this.d.veePhases.move(current, { type: 'migration-started' }, 'api');
    if (!migrating) throw new DomainError('conflict', `VEE ${vee.domain} changed phase (${current.phase}) before its migration started`);
    try {
      const [from, to] = await Promise.all([this.d.connections.get(source), this.d.connections.get(target)]);
      await from.migrate(vee.domain, to.uri, { live: true, copyStorage: true });
    } catch (err) {
      await this.d.veePhases.move(migrating, { type: 'migration-done' }, 'api');
      const message = `migration of VEE ${vee.domain} from ${source.name} to ${target.name} failed: ${describeError(err)}`;
      this.d.log(message);
      if (isHypervisorError(err, 'unsupported') || isHypervisorError(err, 'invalid-state') || isHypervisorError(err, 'insufficient-capacity') || isHypervisorError(err, 'already-exists')) {
        throw new DomainError('conflict', message);
      }
      throw new DomainError('unavailable', message, undefined, isHypervisorError(err) && err.retryable);
    }
    const completedAt = this.d.clock.now();
    await this.d.vees.moveHost(vee.id, { hostId: target.id, hostName: target.name, spec: vee.spec }, completedAt);
    const moved = { ...migrating, hostId: target.id, hostName: target.name };
    const running = (await this.d.veePhases.move(moved, { type: 'migration-done' }, 'api')) ?? moved;
    this.d.log(`VEE ${vee.domain} migrated live from ${source.name} to ${target.name}${checkpoint ? ` (checkpoint ${checkpoint.id} taken first)` : ''}`);
    return { vee: running, from: { id: source.id, name: source.name }, to: { id: target.id, name: target.name }, ...(checkpoint ? { checkpointId: checkpoint.id } : {}), startedAt, completedAt };
  }

  /** The target must be up and have room for the VEE beside what its VEEs hold (the planner's capacity rule). */
  private async checkRoom(vee: VeeRecord, target: HostRecord): Promise<void> {
    if (target.health === 'down') throw new DomainError('conflict', `host ${target.name} is down`);
    try {
      await (await this.d.connections.get(target)).capacity();
    } catch (err) {
      throw new DomainError('conflict', `host ${target.name} does not answer: ${describeError(err)}`);
    }
    const [state] = toHostStates([target], await this.d.vees.listLive(), new Set([target.id]));
    if (!state) throw new Error('invariant: one host in, one state out');
    const free = freeCapacity(state);
    const need = { vcpu: vee.spec.vcpu, memoryMiB: vee.spec.memoryMiB, diskGiB: vee.spec.disks.reduce((s, x) => s + x.sizeGiB, 0) };
    const short = (['vcpu', 'memoryMiB', 'diskGiB'] as const).filter((k) => need[k] > free[k] + 1e-9).map((k) => `${k} ${need[k]} needed, ${Math.max(0, free[k])} free`);
    if (short.length > 0) throw new DomainError('conflict', `host ${target.name} has no room for VEE ${vee.domain}: ${short.join(', ')}`);
  }

}

/** `{host: <name or id>}`. */
function parseTarget(body: unknown): string {
  const host = typeof body === 'object' && body !== null && !Array.isArray(body) ? (body as Record<string, unknown>).host : undefined;
  if (typeof host !== 'string' || host === '' || host.length > 200) {
    throw new DomainError('invalid-input', 'a migration is {host: <host name or id>}', [{ path: '/host', message: 'required: the target host\'s name or id' }]);
  }
  return host;
}
