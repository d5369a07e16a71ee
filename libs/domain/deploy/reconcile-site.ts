/**
 * One level-triggered reconcile pass over a site (or part of it): desired VEEs × what the hypervisors report →
 * health checks for the failover supervisor and a few actions. Pure; the reconcile loop reads the store and the
 * hosts, calls this, hands the checks to the supervisor (which alone decides and carries out recoveries) and
 * applies the actions. At most one check and one action per VEE per pass; a domain nobody owns is reported, never
 * destroyed; the only domains ever destroyed are stale copies of a VEE that lives on another host (fencing).
 */
import { type DomainState, type DomainSummary } from '../ports/hypervisor.port';
import { type VeePhase } from '../vee/vee-phase';
import { type VeeRole } from '../vee/vee-record';

/** A VEE the broker owns. */
export interface DesiredVee {
  /** Also the domain's UUID. */
  id: string;
  hostId: string;
  domain: string;
  phase: VeePhase;
  role: VeeRole;
  /**
   * False while a use case works on the VEE's service (placing, deploying, updating, deleting): the loop leaves
   * such VEEs alone (no check, no action) but still counts their domains as owned.
   */
  managed: boolean;
}

/** One host as its hypervisor reported it in this pass; an unreachable host says nothing about its domains. */
export interface ObservedHost {
  hostId: string;
  reachable: boolean;
  domains: readonly DomainSummary[];
}

/**
 * What the pass saw of one supervised VEE: a health check for the failover machine. `ok` when its domain runs
 * (or is paused while the VEE runs or is being checkpointed: a checkpoint pauses it); failed when it is crashed,
 * shut off or missing, or when its host does not answer (`hostUp: false`). States in between (shutting down,
 * suspended, unknown) yield no check.
 */
export interface VeeCheck {
  veeId: string;
  /** The host the check was taken on (the VEE's host in the records read by the pass). */
  hostId: string;
  ok: boolean;
  hostUp: boolean;
  detail: string;
}

export type ReconcileAction =
  /** The VEE is recorded failed or recovering but its domain runs: record it running. */
  | { type: 'mark-running'; veeId: string; reason: string }
  /**
   * A copy of a VEE's domain (same name and UUID) on a host other than the VEE's: left behind by a failover off a
   * host that was unreachable. Destroy it and its disks, so the VEE never runs twice.
   */
  | { type: 'fence'; veeId: string; hostId: string; domain: string; state: DomainState; reason: string }
  /** A domain on a host that no VEE owns: report it; never destroy it. */
  | { type: 'report-orphan'; hostId: string; domain: string; uuid: string; state: DomainState };

export interface ReconcilePass {
  checks: VeeCheck[];
  actions: ReconcileAction[];
}

/** Phases in which an active VEE should have a live domain, so the failover supervisor watches it. */
export const SUPERVISED_PHASES: readonly VeePhase[] = ['running', 'paused', 'checkpointing', 'failed', 'recovering'];
const UP: readonly DomainState[] = ['running', 'blocked'];
const DOWN: readonly DomainState[] = ['crashed', 'shutoff'];
/** VEE phases in which a paused domain is expected (a user pause, a checkpoint's pause). */
const PAUSE_EXPECTED: readonly VeePhase[] = ['running', 'paused', 'checkpointing'];

export function reconcileSite(desired: readonly DesiredVee[], observed: readonly ObservedHost[]): ReconcilePass {
  const hosts = new Map(observed.map((h) => [h.hostId, h]));
  const vees = new Map<string, DesiredVee>();
  for (const v of desired) if (!vees.has(v.id)) vees.set(v.id, v);
  const checks: VeeCheck[] = [];
  const actions: ReconcileAction[] = [];
  for (const vee of vees.values()) {
    const host = hosts.get(vee.hostId);
    if (host === undefined || !vee.managed || vee.role !== 'active' || !SUPERVISED_PHASES.includes(vee.phase)) continue;
    if (!host.reachable) {
      checks.push({ veeId: vee.id, hostId: vee.hostId, ok: false, hostUp: false, detail: 'host does not answer' });
      continue;
    }
    const domain = host.domains.find((d) => d.name === vee.domain);
    const check = checkOf(vee, domain);
    if (check) checks.push(check);
    if (domain !== undefined && UP.includes(domain.state) && (vee.phase === 'failed' || vee.phase === 'recovering')) {
      actions.push({ type: 'mark-running', veeId: vee.id, reason: `domain ${vee.domain} is ${domain.state}` });
    }
  }
  for (const host of observed) if (host.reachable) actions.push(...foreignDomains(host, [...vees.values()]));
  return { checks, actions };
}

function checkOf(vee: DesiredVee, domain: DomainSummary | undefined): VeeCheck | undefined {
  const base = { veeId: vee.id, hostId: vee.hostId, hostUp: true };
  if (domain === undefined) return { ...base, ok: false, detail: `domain ${vee.domain} is missing from its host` };
  const detail = `domain ${vee.domain} is ${domain.state}`;
  if (UP.includes(domain.state)) return { ...base, ok: true, detail };
  if (domain.state === 'paused' && PAUSE_EXPECTED.includes(vee.phase)) return { ...base, ok: true, detail: `${detail} (VEE ${vee.phase})` };
  if (DOWN.includes(domain.state)) return { ...base, ok: false, detail };
  return undefined; // shutting down, suspended, unknown, or paused while failed: the next pass will tell
}

/** Domains on the host that its VEEs do not own: stale copies of VEEs living elsewhere (fence) or orphans (report). */
function foreignDomains(host: ObservedHost, vees: readonly DesiredVee[]): ReconcileAction[] {
  const owned = new Set(vees.filter((v) => v.hostId === host.hostId && v.phase !== 'deleted').map((v) => v.domain));
  const actions: ReconcileAction[] = [];
  const seen = new Set<string>();
  for (const d of host.domains) {
    if (owned.has(d.name) || seen.has(d.name)) continue;
    seen.add(d.name);
    const elsewhere = vees.find((v) => v.domain === d.name && v.id.toLowerCase() === d.uuid.toLowerCase() && v.phase !== 'deleted');
    if (elsewhere === undefined) {
      actions.push({ type: 'report-orphan', hostId: host.hostId, domain: d.name, uuid: d.uuid, state: d.state });
    } else if (elsewhere.managed && elsewhere.phase !== 'migrating') {
      const reason = `stale copy of VEE ${elsewhere.id} (it lives on host ${elsewhere.hostId})`;
      actions.push({ type: 'fence', veeId: elsewhere.id, hostId: host.hostId, domain: d.name, state: d.state, reason });
    }
    // A copy of an unmanaged or migrating VEE: a use case is moving it; leave it alone.
  }
  return actions;
}
