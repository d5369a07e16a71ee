import { reconcileSite, type DesiredVee, type ObservedHost, type ReconcileAction } from '@reservoir/domain/deploy';
import { type DomainState, type DomainSummary } from '@reservoir/domain/ports/hypervisor.port';
import { type ServicePhase } from '@reservoir/domain/service/service-phase';
import { type ServiceRecord } from '@reservoir/domain/service/service-record';
import { type HostRecord } from '@reservoir/domain/hosts/host-record';
import { type VeeRecord } from '@reservoir/domain/vee/vee-record';
import { type DeployDeps } from '../deploy/deploy-deps';
import { describeError } from '../deploy/domain-operations';
import { type VeeHealthSink } from '../protection/failover-supervisor';
import { KeyedWorkQueue, type Scheduler, timerScheduler } from './work-queue';
import { VeeRepair } from './vee-repair';

/** A domain on one of the site's hosts that no VEE owns. Reported, never destroyed. */
export interface OrphanReport {
  hostId: string;
  host: string;
  domain: string;
  uuid: string;
  state: DomainState;
  firstSeenAt: Date;
  lastSeenAt: Date;
}

export interface ReconcilerOptions {
  /** How often every host is re-checked even without events (and so how often each VEE gets a health check). */
  periodMs: number;
  scheduler?: Scheduler;
}

type Deps = Pick<DeployDeps, 'services' | 'hosts' | 'vees' | 'connections' | 'servicePhases' | 'veePhases' | 'locks' | 'clock' | 'log'>;

/** Services whose VEEs the loop checks; in other phases a use case (or nobody) is in charge. */
const MANAGED: readonly ServicePhase[] = ['running', 'degraded'];

/**
 * The site's level-triggered reconcile loop: a keyed work queue (one key per host) woken by a period and by the
 * hosts' lifecycle events. Each pass re-reads the host's domains and the store and asks `reconcileSite`; it hands
 * the VEEs' health checks to the failover supervisor (`health`), which alone decides and carries out recoveries,
 * and applies its own actions under the service's lock: record a VEE whose domain runs again as running, fence
 * (destroy) a stale copy of a VEE that failover moved away. Domains nobody owns are kept in `orphans()` and logged once.
 */
export class SiteReconciler {
  private readonly queue: KeyedWorkQueue;
  private readonly repair: VeeRepair;
  private readonly orphanReports = new Map<string, Map<string, OrphanReport>>();
  /** Unowned domains seen on the last pass only, with when: reported if the next pass sees them unowned too. */
  private readonly orphanCandidates = new Map<string, Map<string, Date>>();
  private stopTimer: () => void = () => undefined;
  private unsubscribe: () => void = () => undefined;

  constructor(
    private readonly d: Deps,
    private readonly options: ReconcilerOptions,
    /** Where the checks go: the failover supervisor. Without one the loop only reports (tests of the loop alone). */
    private readonly health: VeeHealthSink = { report: () => undefined },
  ) {
    const scheduler = options.scheduler ?? timerScheduler;
    this.queue = new KeyedWorkQueue((hostId) => this.syncHost(hostId), { baseDelayMs: 500, maxDelayMs: 30_000, scheduler, log: d.log });
    this.repair = new VeeRepair(d);
  }

  /** Subscribes to host events, queues every host now and then every `periodMs`. */
  start(): void {
    this.unsubscribe = this.d.connections.onEvent((hostId) => this.queue.add(hostId));
    const scheduler = this.options.scheduler ?? timerScheduler;
    const tick = (): void => {
      void this.queueAllHosts();
      this.stopTimer = scheduler(tick, this.options.periodMs);
    };
    tick();
  }

  async stop(): Promise<void> {
    this.stopTimer();
    this.unsubscribe();
    await this.queue.shutDown();
  }

  /** Queues every host and waits until the passes are done (tests and the period use it). */
  async runOnce(): Promise<void> {
    await this.queueAllHosts();
    await this.queue.idle();
  }

  orphans(): OrphanReport[] {
    return [...this.orphanReports.values()].flatMap((m) => [...m.values()]).sort((a, b) => a.host.localeCompare(b.host) || a.domain.localeCompare(b.domain));
  }

  private async queueAllHosts(): Promise<void> {
    try {
      const hosts = await this.d.hosts.list();
      for (const id of this.orphanReports.keys()) if (!hosts.some((h) => h.id === id)) this.orphanReports.delete(id);
      for (const id of this.orphanCandidates.keys()) if (!hosts.some((h) => h.id === id)) this.orphanCandidates.delete(id);
      for (const h of hosts) this.queue.add(h.id);
    } catch (err) {
      this.d.log(`reconcile: cannot list hosts: ${describeError(err)}`);
    }
  }

  /**
   * One pass over one host. Domains are read before VEE records: a domain made by a deployment always has a record
   * by then. Every VEE on the host is looked at, and every VEE elsewhere whose domain name shows up here (a stale
   * copy to fence).
   */
  private async syncHost(hostId: string): Promise<void> {
    const host = await this.d.hosts.get(hostId);
    if (!host) {
      this.orphanReports.delete(hostId);
      this.orphanCandidates.delete(hostId);
      return;
    }
    const observed = await this.observe(host);
    const names = new Set(observed.domains.map((d) => d.name));
    const vees = (await this.d.vees.listLive()).filter((v) => v.hostId === hostId || names.has(v.domain));
    const services = await this.services(vees);
    const desired: DesiredVee[] = vees.map((v) => ({
      id: v.id, hostId: v.hostId, domain: v.domain, phase: v.phase, role: v.role,
      managed: MANAGED.includes(services.get(v.serviceId)?.phase ?? 'deleted'),
    }));
    const pass = reconcileSite(desired, [observed]);
    if (observed.reachable) this.recordOrphans(host, pass.actions);
    this.health.report(pass.checks.flatMap((c) => {
      const vee = vees.find((v) => v.id === c.veeId);
      const service = vee ? services.get(vee.serviceId) : undefined;
      if (!vee || !service) return [];
      const protection = service.definition.tiers.find((t) => t.name === vee.tier)?.qos.protection ?? 'none';
      return [{ ...c, serviceId: vee.serviceId, protection }];
    }));
    const failures: string[] = [];
    for (const action of pass.actions) {
      if (action.type === 'report-orphan') continue;
      const vee = vees.find((v) => v.id === action.veeId);
      if (!vee) continue;
      try {
        await this.repair.apply(action, vee.serviceId, host);
      } catch (err) {
        failures.push(`${action.type} ${vee.domain}: ${describeError(err)}`);
      }
    }
    if (failures.length > 0) throw new Error(`host ${host.name}: ${failures.join('; ')}`);
  }

  private async observe(host: HostRecord): Promise<ObservedHost> {
    let domains: DomainSummary[] = [];
    try {
      domains = await (await this.d.connections.get(host)).list();
    } catch {
      return { hostId: host.id, reachable: false, domains: [] };
    }
    return { hostId: host.id, reachable: true, domains };
  }

  private async services(vees: readonly VeeRecord[]): Promise<Map<string, ServiceRecord>> {
    const services = new Map<string, ServiceRecord>();
    for (const id of new Set(vees.map((v) => v.serviceId))) {
      const s = await this.d.services.get(id);
      if (s) services.set(id, s);
    }
    return services;
  }

  /**
   * A domain is reported once it was unowned on two passes in a row: the host's domains and the VEE records are
   * read at different moments, so a domain caught between a deployment's define and its record (or a deletion's
   * record and its undefine) is not mistaken for an orphan.
   */
  private recordOrphans(host: HostRecord, actions: readonly ReconcileAction[]): void {
    const now = this.d.clock.now();
    const before = this.orphanReports.get(host.id) ?? new Map<string, OrphanReport>();
    const seenBefore = this.orphanCandidates.get(host.id) ?? new Map<string, Date>();
    const after = new Map<string, OrphanReport>();
    const candidates = new Map<string, Date>();
    for (const a of actions) {
      if (a.type !== 'report-orphan') continue;
      const reported = before.get(a.domain);
      const firstSeenAt = reported?.firstSeenAt ?? seenBefore.get(a.domain);
      if (firstSeenAt === undefined) {
        candidates.set(a.domain, now);
        continue;
      }
      if (!reported) this.d.log(`reconcile: domain '${a.domain}' (${a.state}) on host ${host.name} belongs to no VEE; reported, left alone`);
      after.set(a.domain, { hostId: host.id, host: host.name, domain: a.domain, uuid: a.uuid, state: a.state, firstSeenAt, lastSeenAt: now });
    }
    this.orphanReports.set(host.id, after);
    this.orphanCandidates.set(host.id, candidates);
  }
}
