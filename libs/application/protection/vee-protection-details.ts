import { type ProtectionLevel } from '@reservoir/domain/manifest/service-definition';
import { type RpoView, type VeeCondition, type VeeProtectionStatus } from './checkpoint-scheduler';
import { type StandbyView } from './live-standby';

/**
 * What a live-standby VEE's JSON shows about its standby (filled by the live-standby service when it is wired;
 * its shape is that service's to define). Read-only plain JSON.
 */
export type StandbyInfo = StandbyView;

/** Optional source of standby info per VEE (the live-standby service); undefined when the VEE has none. */
export interface StandbyInfoProvider {
  standbyOf(veeId: string): Promise<StandbyInfo | undefined>;
}

/** The protection part of a protected VEE's JSON, besides `protection` and `failover`. */
export interface VeeProtectionDetails {
  /** Present while the checkpoint scheduler watches the VEE (a running active VEE). */
  rpo?: RpoView;
  conditions: VeeCondition[];
  standby?: StandbyInfo;
}

const CHECKPOINTED: ReadonlySet<ProtectionLevel> = new Set<ProtectionLevel>(['checkpoint', 'live-standby']);

/**
 * `GET /v1/vees/:id` and a service's `vees`: for a VEE of a `checkpoint` or `live-standby` tier, the scheduler's
 * `status(veeId)` (achieved RPO, conditions such as RpoDegraded) and, when a provider is wired, its standby.
 * Other VEEs get nothing (undefined): they keep no checkpoints.
 */
export class VeeProtectionDetailsQuery {
  constructor(
    private readonly scheduler: { status(veeId: string): Promise<VeeProtectionStatus> },
    private readonly standby?: StandbyInfoProvider,
  ) {}

  async of(veeId: string, protection: ProtectionLevel | string | undefined): Promise<VeeProtectionDetails | undefined> {
    if (protection === undefined || !CHECKPOINTED.has(protection as ProtectionLevel)) return undefined;
    const [status, standby] = await Promise.all([this.scheduler.status(veeId), this.standby?.standbyOf(veeId)]);
    return { ...(status.rpo ? { rpo: status.rpo } : {}), conditions: status.conditions, ...(standby === undefined ? {} : { standby }) };
  }
}
