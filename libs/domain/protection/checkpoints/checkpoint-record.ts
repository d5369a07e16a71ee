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
  /** For a `local` location: the host whose directory `path` is (a bundle can only be restored from its host). */
  hostId?: string;
}

/**
 * Why a checkpoint was taken: the periodic schedule of a `checkpoint`/`live-standby` tier, a user through the API,
 * an event (before a migration or a configuration change) or a named monitoring rule.
 */
export type CheckpointTrigger = 'periodic' | 'api' | 'before-migration' | 'before-update' | `monitoring-rule:${string}`;

const TRIGGER = /^(periodic|api|before-migration|before-update|monitoring-rule:[A-Za-z0-9._-]{1,100})$/;

/** True for a well-formed trigger (a monitoring rule's name: 1-100 of letters, digits, '.', '_' and '-'). */
export function isCheckpointTrigger(value: unknown): value is CheckpointTrigger {
  return typeof value === 'string' && TRIGGER.test(value);
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
  /** Why it was taken; absent on records written before triggers were kept. */
  trigger?: CheckpointTrigger;
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
