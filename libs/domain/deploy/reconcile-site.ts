/**
 * One level-triggered reconcile pass over a site (or part of it): desired VEEs × what the hypervisors report ×
 * now → actions. Pure; the reconcile loop reads the store and the hosts, calls this, and applies the actions.
 * At most one action per VEE per pass (no action storms); a domain nobody owns is reported, never destroyed.
 */
import { type DomainState, type DomainSummary } from '../ports/hypervisor.port';
import { type VeePhase } from '../vee/vee-phase';

/** A VEE the broker owns, with what the loop remembers of its restarts (backoff). */
export interface DesiredVee {
  id: string;
  hostId: string;
  domain: string;
  phase: VeePhase;
  /**
   * False while a use case works on the VEE's service (placing, deploying, deleting): the loop leaves such VEEs
   * alone but still counts their domains as owned.
   */
  managed: boolean;
  /** Restarts tried since the VEE last ran, and the earliest time of the next one. */
  restarts?: { attempts: number; notBefore: Date };
}

/** One host as its hypervisor reported it in this pass; an unreachable host says nothing about its domains. */
export interface ObservedHost {
  hostId: string;
  reachable: boolean;
  domains: readonly DomainSummary[];
}

export interface ReconcilePolicy {
  /** Restarts of one VEE before it is declared lost. */
  maxRestarts: number;
}

export const DEFAULT_RECONCILE_POLICY: ReconcilePolicy = { maxRestarts: 5 };

export type ReconcileAction =
  /** The domain is down (crashed or shut off) but should run: start it again. */
  | { type: 'restart'; veeId: string; hostId: string; domain: string; observed: DomainState; reason: string }
  /** The domain is gone from its (reachable) host: define it again from the stored spec and start it. */
  | { type: 'recreate'; veeId: string; hostId: string; domain: string; reason: string }
  /** The VEE is recorded failed or recovering but its domain runs: record it running. */
  | { type: 'mark-running'; veeId: string; reason: string }
  /** Restarts exhausted: record the VEE lost (protection, later issues, takes it from there). */
  | { type: 'give-up'; veeId: string; reason: string }
  /** A domain on a host that no VEE owns: report it; never destroy it. */
  | { type: 'report-orphan'; hostId: string; domain: string; uuid: string; state: DomainState };

/** Phases in which the VEE should be running, so the loop repairs its domain. */
const SHOULD_RUN: readonly VeePhase[] = ['running', 'failed', 'recovering'];
const UP: readonly DomainState[] = ['running', 'blocked'];
const DOWN: readonly DomainState[] = ['crashed', 'shutoff'];

export function reconcileSite(
  desired: readonly DesiredVee[],
  observed: readonly ObservedHost[],
  now: Date,
  policy: ReconcilePolicy = DEFAULT_RECONCILE_POLICY,
): ReconcileAction[] {
  const hosts = new Map(observed.map((h) => [h.hostId, h]));
  const owned = new Map<string, Set<string>>();
  const actions: ReconcileAction[] = [];
  const seen = new Set<string>();
  for (const vee of desired) {
    if (seen.has(vee.id)) continue;
    seen.add(vee.id);
    if (vee.phase !== 'deleted') (owned.get(vee.hostId) ?? owned.set(vee.hostId, new Set()).get(vee.hostId))?.add(vee.domain);
    const host = hosts.get(vee.hostId);
    if (!vee.managed || host === undefined || !host.reachable || !SHOULD_RUN.includes(vee.phase)) continue;
    const action = repair(vee, host.domains.find((d) => d.name === vee.domain), now, policy);
    if (action) actions.push(action);
  }
  for (const host of observed) {
    if (!host.reachable) continue;
    const mine = owned.get(host.hostId);
    const reported = new Set<string>();
    for (const d of host.domains) {
      if (mine?.has(d.name) || reported.has(d.name)) continue;
      reported.add(d.name);
      actions.push({ type: 'report-orphan', hostId: host.hostId, domain: d.name, uuid: d.uuid, state: d.state });
    }
  }
  return actions;
}

function repair(vee: DesiredVee, domain: DomainSummary | undefined, now: Date, policy: ReconcilePolicy): ReconcileAction | undefined {
  if (domain !== undefined && UP.includes(domain.state)) {
    return vee.phase === 'running' ? undefined : { type: 'mark-running', veeId: vee.id, reason: `domain ${vee.domain} is ${domain.state}` };
  }
  if (domain !== undefined && !DOWN.includes(domain.state)) return undefined; // paused, shutting down, unknown: wait
  const attempts = vee.restarts?.attempts ?? 0;
  if (attempts >= policy.maxRestarts) {
    return { type: 'give-up', veeId: vee.id, reason: `${attempts} restart(s) failed; giving up on ${vee.domain}` };
  }
  if (vee.restarts !== undefined && now < vee.restarts.notBefore) return undefined;
  if (domain === undefined) {
    return { type: 'recreate', veeId: vee.id, hostId: vee.hostId, domain: vee.domain, reason: `domain ${vee.domain} is missing from its host` };
  }
  return { type: 'restart', veeId: vee.id, hostId: vee.hostId, domain: vee.domain, observed: domain.state, reason: `domain ${vee.domain} is ${domain.state}` };
}
