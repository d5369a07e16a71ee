import { replicaRoleOf } from '@reservoir/domain/federation/negotiation';
import { type VeeRole } from '@reservoir/domain/vee/vee-record';
import { planDeployment, type PlacementError, type PlannedVee, type TierStep } from '@reservoir/domain/deploy';
import { type HostRecord } from '@reservoir/domain/hosts/host-record';
import { type ImageInfo } from '@reservoir/domain/ports/image-catalogue.port';
import { type ServiceRecord } from '@reservoir/domain/service/service-record';
import { type VeeRecord } from '@reservoir/domain/vee/vee-record';
import { describeError, removeDomain, startAndWait } from './domain-operations';
import { type DeployDeps, PLACEMENT_KEY, serviceKey } from './deploy-deps';
import { readableReasons, reachableHosts, toHostStates } from './site-hosts';

type Deps = Pick<
  DeployDeps,
  'services' | 'hosts' | 'vees' | 'images' | 'connections' | 'servicePhases' | 'veePhases' | 'locks' | 'ids' | 'consoleDir' | 'start' | 'log'
>;

/** Raised between steps once the deployment was cancelled (a delete request, the broker stopping). */
class DeploymentCancelled extends Error {}

/**
 * Deploys an accepted service: placing (plan, or `failed` with per-tier reasons and nothing created), deploying
 * (tier by tier in dependency order: record, define, start, wait until running; a tier starts only once the
 * tiers it needs run), running. Any failure rolls back everything created for the service, newest first (destroy,
 * undefine with its disks, record deleted), then the service is `failed` with the reason. Compute the plan, then
 * apply it: every decision is `planDeployment`'s; this class only carries it out and records each move.
 */
export class DeployService {
  constructor(private readonly d: Deps) {}

  /** Runs under the service's lock and the site's placement lock; returns quietly when there is nothing to do. */
  async execute(serviceId: string, signal: AbortSignal = new AbortController().signal): Promise<void> {
    await this.d.locks.run(serviceKey(serviceId), () => this.d.locks.run(PLACEMENT_KEY, () => this.deploy(serviceId, signal)));
  }

  private async deploy(serviceId: string, signal: AbortSignal): Promise<void> {
    const service = await this.d.services.get(serviceId);
    if (!service || signal.aborted) return;
    const placing = await this.d.servicePhases.move(service, { type: 'placement-started' }, 'deploy', { placementErrors: null });
    if (!placing) return;
    const hosts = await this.d.hosts.list();
    const [live, images, reachable] = await Promise.all([
      this.d.vees.listLive(),
      this.d.images.list(),
      reachableHosts(hosts, this.d.connections),
    ]);
    const hostImages = await this.hostImages(hosts);
    const plan = planDeployment({
      service: { id: service.id, name: service.name, definition: service.definition },
      hosts: toHostStates(hosts, live, reachable),
      images: new Map(images.map((i) => [i.ref, i])),
      ...(hostImages ? { hostImages } : {}),
      consoleDir: this.d.consoleDir,
      ids: this.d.ids,
    });
    if (!plan.ok) {
      const errors: PlacementError[] = plan.errors.map((e) => ({ tier: e.tier, reasons: readableReasons(e.reasons, hosts) }));
      const reason = `cannot place: ${errors.map((e) => `tier ${e.tier}: ${e.reasons.join('; ')}`).join(' | ')}`;
      await this.d.servicePhases.move(placing, { type: 'gave-up', reason }, 'deploy', { placementErrors: errors });
      return;
    }
    const deploying = await this.d.servicePhases.move(placing, { type: 'deploy-started' }, 'deploy');
    if (!deploying) return;
    const created: VeeRecord[] = [];
    try {
      for (const step of plan.steps) await this.deployTier(deploying, step, hosts, created, signal);
    } catch (err) {
      const cause = err instanceof DeploymentCancelled ? `deployment cancelled: ${err.message}` : `deployment failed: ${describeError(err)}`;
      const leftovers = await this.rollback(created, cause);
      const reason = leftovers.length === 0 ? `${cause}; rolled back` : `${cause}; rollback incomplete: ${leftovers.join('; ')}`;
      await this.d.servicePhases.move(deploying, { type: 'gave-up', reason }, 'deploy');
      return;
    }
    await this.d.servicePhases.move(deploying, { type: 'all-running' }, 'deploy');
  }

  /** Each host's catalogue (by host id, then ref), when the site's catalogue answers per host. */
  private async hostImages(hosts: readonly HostRecord[]): Promise<Map<string, Map<string, ImageInfo>> | undefined> {
    const forHost = this.d.images.forHost?.bind(this.d.images);
    if (!forHost) return undefined;
    const entries = await Promise.all(hosts.map(async (h) => [h.id, new Map((await forHost(h.uri)).map((i) => [i.ref, i]))] as const));
    return new Map(entries);
  }

  /** Every VEE of the tier at once; the tier fails if any VEE fails (after all have settled, so none is lost). */
  private async deployTier(service: ServiceRecord, step: TierStep, hosts: HostRecord[], created: VeeRecord[], signal: AbortSignal): Promise<void> {
    if (signal.aborted) throw new DeploymentCancelled(String(signal.reason ?? 'cancelled'));
    const results = await Promise.allSettled(
      step.vees.map((v) => this.deployVee(service, v, hosts.find((h) => h.id === v.hostId), created)),
    );
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
    if (signal.aborted) throw new DeploymentCancelled(String(signal.reason ?? 'cancelled'));
  }

  private async deployVee(service: ServiceRecord, planned: PlannedVee, host: HostRecord | undefined, created: VeeRecord[]): Promise<void> {
    if (!host) throw new Error(`VEE ${planned.domain}: host ${planned.hostId} is no longer registered`);
    const where = `VEE ${planned.domain} on host ${host.name}`;
    const role = veeRole(service, planned.tier);
    try {
      const conn = await this.d.connections.get(host);
      const vee = await this.d.veePhases.create(
        {
          id: planned.id, serviceId: service.id, serviceName: service.name, tier: planned.tier, index: planned.index,
          hostId: host.id, hostName: host.name, role, domain: planned.domain, consoleLog: planned.consoleLog, spec: planned.spec,
        },
        'deploy',
      );
      created.push(vee);
      await conn.define(planned.spec);
      const starting = await this.d.veePhases.move(vee, { type: 'start-requested' }, 'deploy');
      if (!starting) throw new Error('its record changed meanwhile');
      await startAndWait(conn, planned.domain, this.d.start);
      // A warm standby (a replica site's copy of a checkpoint or live-standby tier) boots, then waits paused.
      if (role === 'standby') await conn.pause(planned.domain);
      const ready = role === 'standby' ? { type: 'standby-ready' as const } : { type: 'started' as const };
      if (!(await this.d.veePhases.move(starting, ready, 'deploy'))) throw new Error('its record changed meanwhile');
    } catch (err) {
      throw new Error(`${where}: ${describeError(err)}`, { cause: err });
    }
  }

  /** Newest first. Returns what could not be removed (those records stay, so their domains stay owned). */
  private async rollback(created: VeeRecord[], cause: string): Promise<string[]> {
    const leftovers: string[] = [];
    for (const vee of [...created].reverse()) {
      try {
        const host = await this.d.hosts.get(vee.hostId);
        if (host) await removeDomain(await this.d.connections.get(host), vee.domain);
        const current = (await this.d.vees.get(vee.id)) ?? vee;
        await this.d.veePhases.move(current, { type: 'removed', reason: `rolled back (${cause})` }, 'deploy');
      } catch (err) {
        leftovers.push(`${vee.domain}: ${describeError(err)}`);
        this.d.log(`rollback of ${vee.domain} on host ${vee.hostName} failed: ${describeError(err)}`);
      }
    }
    return leftovers;
  }
}

/**
 * Every VEE of a service this site owns is active; at a replica site, tiers whose protection keeps standbys
 * (checkpoint, live-standby) run as warm standbys instead (negotiation's replicaRoleOf).
 */
function veeRole(service: ServiceRecord, tier: string): VeeRole {
  if (!service.replicaOf) return 'active';
  const protection = service.definition.tiers.find((t) => t.name === tier)?.qos.protection ?? 'none';
  return replicaRoleOf(protection);
}
