/**
 * What the broker stores about a checkpoint (one VEE's saved state, alone or as its part of a group cut) and
 * about a group cut as a whole. Plain data: the Store port persists it, these modules decide with it.
 */

/** Where a checkpoint file lives: on the VEE's host (`local`) or shipped to a replica site (`shipped`). */
export interface CheckpointLocation {
  kind: 'local' | 'shipped';
  siteId: string;
  /** Host path or data-channel URI of the file at that site. */
  path: string;
}

/**
 * One VEE's checkpoint. A part of a group cut carries the cut's `groupId` and `epoch`; a VEE-only checkpoint
 * (event-triggered, e.g. before a migration) has no `groupId` and an epoch of its own per VEE.
 */
export interface CheckpointRecord {
  id: string;
  veeId: string;
  groupId?: string;
  epoch: number;
  /** When the state was captured (the moment every member of the cut was paused). */
  createdAt: Date;
  sizeBytes: number;
  /** sha256 of the checkpoint file: 64 lowercase hex digits. */
  sha256: string;
  locations: CheckpointLocation[];
  /** True once the checkpoint counts: for a group part, once the whole cut completed. Until then: in progress. */
  complete: boolean;
}

/** A group cut as stored: every member's part at one epoch. `complete` only when every member succeeded. */
export interface GroupCutRecord {
  groupId: string;
  epoch: number;
  createdAt: Date;
  complete: boolean;
  parts: readonly CheckpointRecord[];
}

/** One VEE of a checkpoint group, with its tier (the unit of the relation graph). */
export interface GroupMember {
  veeId: string;
  tier: string;
}
