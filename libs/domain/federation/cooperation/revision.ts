/**
 * Ordering of cooperation updates (CooperationUpdate.revision): a replica applies each update of a service
 * once and never an older one, whatever order the bus delivers them in.
 */

/**
 * True when `incoming` is newer than what the replica has applied (`current`, undefined before any update).
 * An equal revision is a redelivery (already applied); a lower one is stale. Revisions are whole numbers ≥ 1;
 * anything else is never applied.
 */
export function shouldApply(currentRevision: number | undefined, incomingRevision: number): boolean {
  if (!(Number.isSafeInteger(incomingRevision) && incomingRevision >= 1)) return false;
  return currentRevision === undefined || incomingRevision > currentRevision;
}
