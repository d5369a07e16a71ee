import { type HostRecord } from '@reservoir/domain/hosts/host-record';
import { type HostAllocation, type HostState } from '@reservoir/domain/placement';
import { type VeeRecord } from '@reservoir/domain/vee/vee-record';
import { holdsDomain } from '@reservoir/domain/vee/vee-phase';
import { type HostConnections } from '../hosts/host-connections';

/** The hosts whose hypervisor answers a capacity call now; the others are treated as down by placement. */
export async function reachableHosts(hosts: readonly HostRecord[], connections: HostConnections): Promise<Set<string>> {
  const up = new Set<string>();
  await Promise.all(
    hosts.map(async (h) => {
      try {
        await (await connections.get(h)).capacity();
        up.add(h.id);
      } catch {
        // Not answering: placement reports it as down.
      }
    }),
  );
  return up;
}

/** Hosts as the planner sees them: health from the probe, one allocation per VEE that still holds a domain. */
export function toHostStates(hosts: readonly HostRecord[], vees: readonly VeeRecord[], reachable: ReadonlySet<string>): HostState[] {
  const byHost = new Map<string, HostAllocation[]>();
  for (const v of vees) {
    if (!holdsDomain(v.phase)) continue;
    const diskGiB = v.spec.disks.reduce((sum, d) => sum + d.sizeGiB, 0);
    const list = byHost.get(v.hostId) ?? [];
    list.push({ vcpu: v.spec.vcpu, memoryMiB: v.spec.memoryMiB, diskGiB, service: v.serviceName, tier: v.tier, index: v.index });
    byHost.set(v.hostId, list);
  }
  return hosts.map((h) => ({
    id: h.id,
    name: h.name,
    capacity: h.capacity,
    overcommit: h.overcommit,
    failureDomain: h.failureDomain,
    labels: h.labels,
    health: reachable.has(h.id) ? h.health : 'down',
    allocations: byHost.get(h.id) ?? [],
  }));
}

/** Placement reasons name hosts by id; users know them by name. */
export function nameHosts(reason: string, hosts: readonly HostRecord[]): string {
  return hosts.reduce((text, h) => text.split(h.id).join(h.name), reason);
}

/** A tier's reasons with host names instead of ids, the per-host lines in host-name order (others first, as they were). */
export function readableReasons(reasons: readonly string[], hosts: readonly HostRecord[]): string[] {
  const named = reasons.map((r) => nameHosts(r, hosts));
  const perHost = named.filter((r) => r.startsWith('host '));
  return [...named.filter((r) => !r.startsWith('host ')), ...perHost.sort((a, b) => a.localeCompare(b))];
}
