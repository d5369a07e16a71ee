import { type HostRecord } from '@reservoir/domain/hosts/host-record';
import { planPlacement, type TierDemand } from '@reservoir/domain/placement';
import { type DomainSpec, type HypervisorConnection, isDomainActive, isHypervisorError } from '@reservoir/domain/ports/hypervisor.port';
import { type ServiceRecord } from '@reservoir/domain/service/service-record';
import { type VeeRecord } from '@reservoir/domain/vee/vee-record';
import { type DeployDeps, PLACEMENT_KEY } from '../deploy/deploy-deps';
import { describeError, removeDomain, startAndWait } from '../deploy/domain-operations';
import { reachableHosts, readableReasons, toHostStates } from '../deploy/site-hosts';

export type MoveDeps = Pick<DeployDeps, 'hosts' | 'vees' | 'connections' | 'locks' | 'clock' | 'start' | 'log'>;

/**
 * Moves a VEE to another host that fits (restart-elsewhere, reinstall with avoidHost). Under the site's placement
 * lock (as deployments take it, after the service's), so two plans never book the same capacity:
 *   1. plan one VEE of the tier with the placement planner: capacity, health, and the tier's failure-domain
 *      spreading; the VEE's own allocation left out, the avoided hosts counted as down;
 *   2. fence: if the old host answers, hard-stop the old domain first, so the VEE never runs twice;
 *   3. define `spec` on the new host (fresh disks there: the guest's disk state is lost) and start it; on failure
 *      remove what was defined there (undo) and reject;
 *   4. record the move (`moveHost`), then undefine the old domain with its disks. When the old host does not
 *      answer, its stale copy stays for now: the reconcile loop destroys it once the host is back (`fence`).
 * Resolves with the new host.
 */
export async function relocate(d: MoveDeps, vee: VeeRecord, service: ServiceRecord, avoid: readonly string[], specFor: (host: HostRecord) => Promise<DomainSpec>): Promise<HostRecord> {
  return d.locks.run(PLACEMENT_KEY, async () => {
    const target = await pickHost(d, vee, service, avoid);
    const spec = await specFor(target);
    const old = await d.hosts.get(vee.hostId);
    const oldConn = old ? await stopIfAnswering(d, old, vee.domain) : undefined;
    const conn = await d.connections.get(target);
    try {
      await removeDomain(conn, vee.domain); // a leftover of an earlier attempt whose undo failed
      await conn.define(spec);
      await startAndWait(conn, vee.domain, d.start);
    } catch (err) {
      await removeDomain(conn, vee.domain).catch((undo: unknown) => d.log(`failover: cannot undo ${vee.domain} on host ${target.name}: ${describeError(undo)}`));
      throw new Error(`on host ${target.name}: ${describeError(err)}`, { cause: err });
    }
    await d.vees.moveHost(vee.id, { hostId: target.id, hostName: target.name, spec }, d.clock.now());
    const from = old?.name ?? vee.hostName;
    if (oldConn) {
      await removeDomain(oldConn, vee.domain).catch((err: unknown) =>
        d.log(`failover: ${vee.domain} left on host ${from} (${describeError(err)}); the reconcile loop fences it`));
    } else {
      d.log(`failover: host ${from} does not answer; its stale copy of ${vee.domain} is destroyed once it is back (fencing)`);
    }
    return target;
  });
}

/** One VEE of the VEE's tier, placed as a deployment would, away from `avoid` and from the VEE's current host. */
async function pickHost(d: MoveDeps, vee: VeeRecord, service: ServiceRecord, avoid: readonly string[]): Promise<HostRecord> {
  const hosts = await d.hosts.list();
  const reachable = await reachableHosts(hosts, d.connections);
  for (const id of [...avoid, vee.hostId]) reachable.delete(id);
  return planOne(d, vee, service, hosts, reachable, new Set([vee.id]));
}

/**
 * Checks that the VEE (one VEE of its tier) fits on host `hostId` as placement sees it now (capacity, health,
 * failure-domain spreading), leaving out the allocations of `ignore` (the VEE itself, a standby copy it replaces
 * there); resolves with the host or rejects saying why. The caller holds the placement lock (`PLACEMENT_KEY`).
 */
export async function checkHostFits(d: Pick<MoveDeps, 'hosts' | 'vees' | 'connections'>, vee: VeeRecord, service: ServiceRecord, hostId: string, ignore: ReadonlySet<string>): Promise<HostRecord> {
  const hosts = await d.hosts.list();
  const target = hosts.find((h) => h.id === hostId);
  if (!target) throw new Error(`host ${hostId} is no longer registered`);
  const reachable = await reachableHosts([target], d.connections);
  return planOne(d, vee, service, [target], reachable, ignore);
}

async function planOne(d: Pick<MoveDeps, 'vees'>, vee: VeeRecord, service: ServiceRecord, hosts: readonly HostRecord[], reachable: ReadonlySet<string>, ignore: ReadonlySet<string>): Promise<HostRecord> {
  const others = (await d.vees.listLive()).filter((v) => !ignore.has(v.id));
  const tier = service.definition.tiers.find((t) => t.name === vee.tier);
  const demand: TierDemand = {
    service: vee.serviceName,
    name: vee.tier,
    vee: { vcpu: vee.spec.vcpu, memoryMiB: vee.spec.memoryMiB, instances: 1 },
    storage: vee.spec.disks.map((disk) => ({ sizeGiB: disk.sizeGiB })),
    qos: { availability: tier?.qos.availability ?? 0 },
    firstIndex: vee.index,
  };
  const plan = planPlacement({ hosts: toHostStates(hosts, others, reachable), tiers: [demand] });
  const hostId = plan.assignments[0]?.hostId;
  const target = hosts.find((h) => h.id === hostId);
  if (!plan.complete || !target) {
    const reasons = readableReasons(plan.unplaced[0]?.reasons ?? [], hosts);
    const where = hosts.length === 1 ? `host ${hosts[0]?.name ?? '?'} cannot take` : 'no other host fits';
    throw new Error(`${where} ${vee.domain}: ${reasons.join('; ') || 'no hosts'}`);
  }
  return target;
}

/** The host's connection after hard-stopping the domain there, or `undefined` when the host does not answer. */
export async function stopIfAnswering(d: Pick<MoveDeps, 'connections'>, host: HostRecord, domain: string): Promise<HypervisorConnection | undefined> {
  try {
    const conn = await d.connections.get(host);
    const { state } = await conn.info(domain);
    if (isDomainActive(state)) await conn.destroy(domain);
    return conn;
  } catch (err) {
    if (isHypervisorError(err, 'not-found')) return d.connections.get(host);
    return undefined;
  }
}
