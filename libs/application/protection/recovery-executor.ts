import { buildDomainSpec } from '@reservoir/domain/deploy';
import { type HostRecord } from '@reservoir/domain/hosts/host-record';
import { type DomainSpec, type DomainState, type HypervisorConnection, isHypervisorError } from '@reservoir/domain/ports/hypervisor.port';
import { type RecoveryAction } from '@reservoir/domain/protection/failover';
import { type ServiceRecord } from '@reservoir/domain/service/service-record';
import { type VeeRecord } from '@reservoir/domain/vee/vee-record';
import { type DeployDeps } from '../deploy/deploy-deps';
import { removeDomain, startAndWait } from '../deploy/domain-operations';
import { type CheckpointRecovery } from './checkpoint-recovery';
import { relocate } from './recovery-executor-moves';

type Deps = Pick<DeployDeps, 'hosts' | 'vees' | 'images' | 'connections' | 'locks' | 'clock' | 'start' | 'log'>;

/** Resumes a VEE's live standby in its place (the caller holds the service lock); resolves where the VEE runs now. */
export interface StandbySwitch {
  switchOver(vee: VeeRecord): Promise<RecoveryOutcome>;
}

/** Where the VEE runs after a successful recovery action. */
export interface RecoveryOutcome {
  hostId: string;
}

/**
 * Carries out the failover machine's recovery actions on one VEE. The caller (the failover supervisor) holds the
 * VEE's service lock and passes the VEE and its service as re-read under it. Resolves where the VEE runs now;
 * rejects with an error whose message says why (it becomes the action's failed result, and the ladder escalates).
 *
 * - restart-in-place: start the domain again (defined again from the stored spec when it is missing); a domain
 *   that already runs again is a success.
 * - restart-elsewhere {avoidHost}: the same spec on another host that fits (`relocate`); the disks there are fresh.
 * - reinstall {avoidHost?}: fresh disks from the tier's image (the spec rebuilt from the current definition), on
 *   the same host (old domain and disks removed first) or, with avoidHost, on another one.
 * - restore-checkpoint {where}: the optional `CheckpointRecovery`; without it the action fails ("no checkpoint
 *   service"). A restore that lands on another host is recorded as a move.
 * - switch-to-standby: the optional `StandbySwitch` (live-standby.ts) resumes the VEE's paused standby on another
 *   host of the site as the VEE (moved there); without one, or when the VEE has no standby, the action fails.
 */
export class RecoveryExecutor {
  constructor(
    private readonly d: Deps,
    private readonly checkpoints?: CheckpointRecovery,
    private readonly standbys?: StandbySwitch,
  ) {}

  async execute(action: RecoveryAction, vee: VeeRecord, service: ServiceRecord): Promise<RecoveryOutcome> {
    switch (action.type) {
      case 'restart-in-place':
        return this.restartInPlace(vee);
      case 'restart-elsewhere':
        return { hostId: (await relocate(this.d, vee, service, [action.avoidHost], async () => vee.spec)).id };
      case 'reinstall':
        if (action.avoidHost !== undefined) {
          return { hostId: (await relocate(this.d, vee, service, [action.avoidHost], (h) => this.freshSpec(vee, service, h))).id };
        }
        return this.reinstallInPlace(vee, service);
      case 'restore-checkpoint':
        return this.restore(vee, action.where === 'in-place' ? { kind: 'in-place' } : { kind: 'elsewhere', avoidHostId: action.avoidHost });
      case 'switch-to-standby':
        if (!this.standbys) throw new Error('no live standby for this VEE yet');
        return this.standbys.switchOver(vee);
      default: {
        const unreachable: never = action;
        throw new Error(`unknown recovery action ${JSON.stringify(unreachable)}`);
      }
    }
  }

  private async restartInPlace(vee: VeeRecord): Promise<RecoveryOutcome> {
    const host = await this.host(vee.hostId);
    const conn = await this.d.connections.get(host);
    const state = await stateOf(conn, vee.domain);
    if (state === 'running' || state === 'blocked') return { hostId: host.id };
    if (state === 'paused') {
      await conn.resume(vee.domain);
      return { hostId: host.id };
    }
    if (state === undefined) {
      await conn.define(vee.spec).catch((err: unknown) => {
        if (!isHypervisorError(err, 'already-exists')) throw err;
      });
    }
    await startAndWait(conn, vee.domain, this.d.start);
    return { hostId: host.id };
  }

  private async reinstallInPlace(vee: VeeRecord, service: ServiceRecord): Promise<RecoveryOutcome> {
    const host = await this.host(vee.hostId);
    const spec = await this.freshSpec(vee, service, host);
    const conn = await this.d.connections.get(host);
    await removeDomain(conn, vee.domain);
    await conn.define(spec);
    await this.d.vees.updateSpec(vee.id, spec, this.d.clock.now());
    await startAndWait(conn, vee.domain, this.d.start);
    return { hostId: host.id };
  }

  private async restore(vee: VeeRecord, where: { kind: 'in-place' } | { kind: 'elsewhere'; avoidHostId: string }): Promise<RecoveryOutcome> {
    if (!this.checkpoints) throw new Error('no checkpoint service');
    const restored = await this.checkpoints.restoreNewest(vee, where);
    const current = await this.d.vees.get(vee.id);
    if (current && current.hostId !== restored.hostId) {
      const host = await this.host(restored.hostId);
      await this.d.vees.moveHost(vee.id, { hostId: host.id, hostName: host.name, spec: current.spec }, this.d.clock.now());
    }
    return { hostId: restored.hostId };
  }

  /** The VEE's spec rebuilt from its tier's image as the host's catalogue knows it: what a reinstall defines. */
  private async freshSpec(vee: VeeRecord, service: ServiceRecord, host: HostRecord): Promise<DomainSpec> {
    const tier = service.definition.tiers.find((t) => t.name === vee.tier);
    if (!tier) throw new Error(`tier ${vee.tier} is no longer in the definition of service ${service.name}`);
    const forHost = this.d.images.forHost?.bind(this.d.images);
    const image = (forHost ? await forHost(host.uri) : await this.d.images.list()).find((i) => i.ref === tier.image.ref);
    if (!image) throw new Error(`image '${tier.image.ref}' is not in the image catalogue of host ${host.name}`);
    if (image.problem !== undefined) throw new Error(`image '${image.ref}' cannot be used on host ${host.name}: ${image.problem}`);
    return buildDomainSpec(tier, { serviceId: service.id, id: vee.id, domain: vee.domain, consoleLog: vee.consoleLog }, image);
  }

  private async host(id: string): Promise<HostRecord> {
    const host = await this.d.hosts.get(id);
    if (!host) throw new Error(`host ${id} is no longer registered`);
    return host;
  }
}

/** The domain's state, or `undefined` when the host does not know it. */
async function stateOf(conn: HypervisorConnection, domain: string): Promise<DomainState | undefined> {
  try {
    return (await conn.info(domain)).state;
  } catch (err) {
    if (isHypervisorError(err, 'not-found')) return undefined;
    throw err;
  }
}
