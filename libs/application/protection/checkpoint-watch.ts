import { type CheckpointTiming } from '@reservoir/domain/protection/checkpoints/rpo';
import { holdsDomain } from '@reservoir/domain/vee/vee-phase';
import { type ServiceRecord } from '@reservoir/domain/service/service-record';
import { type VeeRecord } from '@reservoir/domain/vee/vee-record';
import { type CheckpointDeps } from './checkpoint-deps';

/** A VEE that periodic checkpoints are for, with its tier's interval. */
export interface WatchTarget {
  vee: VeeRecord;
  intervalMs: number;
}

/** What the scheduler keeps per watched VEE. */
export class Watch {
  /** Recent checkpoint timings by checkpoint id (the RPO window). */
  readonly timings = new Map<string, CheckpointTiming>();
  running?: Promise<void>;
  cancel: () => void = () => undefined;
  lastError?: string;
  /** When the last attempt (or, at first, the newest stored checkpoint) started: the next is due an interval later. */
  lastStartedAt?: number;

  constructor(
    readonly veeId: string,
    public intervalMs: number,
    /** Start of the RPO window: the newest capture when the watch began (else the VEE's creation), then slides. */
    public since: Date,
  ) {}

  /** Keeps the newest `n` timings; the window then starts at the oldest kept capture. */
  trim(n: number): void {
    if (this.timings.size <= n) return;
    const byCompletion = [...this.timings].sort(([, a], [, b]) => a.completedAt.getTime() - b.completedAt.getTime());
    for (const [id] of byCompletion.slice(0, this.timings.size - n)) this.timings.delete(id);
    const oldest = Math.min(...[...this.timings.values()].map((t) => t.startedAt.getTime()));
    if (oldest > this.since.getTime()) this.since = new Date(oldest);
  }
}

const PROTECTED = new Set(['checkpoint', 'live-standby']);
const SERVING = new Set<ServiceRecord['phase']>(['running', 'degraded']);

/**
 * The VEEs to watch, by id: active (not standby copies), holding a domain (not lost), of a service in service,
 * whose tier has protection `checkpoint` or `live-standby` and a `checkpointIntervalMs`. A VEE failed or recovering
 * stays watched (its RPO keeps growing, which is the truth); its checkpoints are skipped until it runs again.
 */
export async function watchTargets(d: Pick<CheckpointDeps, 'services'>, vees: readonly VeeRecord[]): Promise<Map<string, WatchTarget>> {
  const services = new Map<string, ServiceRecord | undefined>();
  const targets = new Map<string, WatchTarget>();
  for (const vee of vees) {
    if (vee.role !== 'active' || !holdsDomain(vee.phase)) continue;
    if (!services.has(vee.serviceId)) services.set(vee.serviceId, await d.services.get(vee.serviceId));
    const service = services.get(vee.serviceId);
    if (!service || !SERVING.has(service.phase)) continue;
    const qos = service.definition.tiers.find((t) => t.name === vee.tier)?.qos;
    const intervalMs = qos?.checkpointIntervalMs;
    if (!qos || !PROTECTED.has(qos.protection) || intervalMs === undefined || !(intervalMs > 0)) continue;
    targets.set(vee.id, { vee, intervalMs });
  }
  return targets;
}

/** A new watch, seeded with the VEE's newest complete checkpoint so a restarted broker neither rushes nor waits. */
export async function activeWatch(d: Pick<CheckpointDeps, 'checkpoints'>, target: WatchTarget): Promise<Watch> {
  const newest = (await d.checkpoints.listByVee(target.vee.id)).find((c) => c.complete && c.completedAt !== undefined);
  const w = new Watch(target.vee.id, target.intervalMs, newest?.createdAt ?? target.vee.createdAt);
  if (newest?.completedAt) {
    w.timings.set(newest.id, { startedAt: newest.createdAt, completedAt: newest.completedAt });
    w.lastStartedAt = newest.createdAt.getTime();
  }
  return w;
}
