import { type VeeStore } from '@reservoir/domain/ports/vee-store.port';
import { isLiveStandby, type VeeRecord } from '@reservoir/domain/vee/vee-record';

/**
 * A same-site live standby is stored as a VEE record of role `standby` on its host, so that placement counts its
 * memory (`listLive`) and the reconcile loop sees its domain as owned (it has the active VEE's domain name and
 * UUID, and would otherwise be fenced as a stale copy). Its own record id differs from the active VEE's; its spec
 * is the active VEE's (so `spec.uuid` is the active VEE's id), which is how it is told apart from the standby VEEs
 * a replica site runs for a whole service (those have `spec.uuid === id`).
 */
export function isLocalStandbyOf(candidate: VeeRecord, vee: Pick<VeeRecord, 'id'>): boolean {
  return isLiveStandby(candidate) && candidate.phase !== 'deleted' && candidate.spec.uuid.toLowerCase() === vee.id.toLowerCase();
}

/** The VEE's live standby record at this site, if it has one (at most one is kept). */
export async function localStandbyOf(vees: Pick<VeeStore, 'listByService'>, vee: Pick<VeeRecord, 'id' | 'serviceId'>): Promise<VeeRecord | undefined> {
  return (await vees.listByService(vee.serviceId)).find((v) => isLocalStandbyOf(v, vee));
}
