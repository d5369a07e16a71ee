/**
 * What a replica of a service needs at a peer site: the `TierDemand[]` a call for proposals asks for.
 */
import { effectiveStorage } from '../../deploy/domain-spec';
import { type ProtectionLevel, type ServiceDefinition } from '../../manifest/service-definition';
import { type TierDemand } from '../protocol/envelope';

/** How a tier's VEEs run at a replica site: serving (`active`) or kept ready to take over (`standby`). */
export type ReplicaRole = 'active' | 'standby';

/**
 * `none` and `restart` tiers hold no state worth shipping, so the replica runs them active (they can serve at
 * once and take load-balancing weight); `checkpoint` and `live-standby` tiers run as standbys fed from the
 * primary's checkpoints or state stream.
 */
export function replicaRoleOf(protection: ProtectionLevel): ReplicaRole {
  switch (protection) {
    case 'none':
    case 'restart':
      return 'active';
    case 'checkpoint':
    case 'live-standby':
      return 'standby';
    default: {
      const unreachable: never = protection;
      return unreachable;
    }
  }
}

/**
 * One demand per tier, in manifest order: the tier's full instance count (a replica must carry the service
 * alone after a failover) at its VEE size, with disk = Σ of its storage sizes rounded up per item as the
 * deployer creates them (a 1 GiB root disk when the tier declares none). Standbys reserve the same vCPU,
 * memory and disk as active VEEs: a standby must be able to resume (restore a checkpoint, or switch over
 * live) without asking for capacity at the moment of failure.
 */
export function demandOf(definition: Pick<ServiceDefinition, 'tiers'>): TierDemand[] {
  return definition.tiers.map((tier) => ({
    tier: tier.name,
    vcpu: tier.vee.vcpu,
    memoryMiB: tier.vee.memoryMiB,
    diskGiB: effectiveStorage(tier).reduce((sum, s) => sum + Math.ceil(s.sizeGiB), 0),
    instances: tier.vee.instances,
    protection: tier.qos.protection,
  }));
}
