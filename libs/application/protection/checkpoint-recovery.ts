import { type VeeRecord } from '@reservoir/domain/vee/vee-record';

/** Where a VEE was brought back from a checkpoint, and from which one. */
export interface CheckpointRecoveryResult {
  /** The host the VEE runs on now. */
  hostId: string;
  /** The checkpoint (or, for a group member, the cut's part) it resumed from. */
  checkpointId: string;
}

/**
 * What the failover supervisor needs from the checkpoint side: bring one failed VEE back from its newest complete
 * checkpoint that passes its digest check, keeping its id, domain name and console log. Rejects with the reason
 * (no checkpoint, every candidate failed its digest, no copy on another host, ...) so the ladder can escalate.
 * Implemented by the checkpoint service; the supervisor runs it under the VEE's service lock already held.
 */
export interface CheckpointRecovery {
  restoreNewest(vee: VeeRecord, where: { kind: 'in-place' } | { kind: 'elsewhere'; avoidHostId: string }): Promise<CheckpointRecoveryResult>;
}
