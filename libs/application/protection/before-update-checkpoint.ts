import { type StoredCheckpoint } from '@reservoir/domain/ports/checkpoint-store.port';
import { type VeeRecord } from '@reservoir/domain/vee/vee-record';
import { type CheckpointDeps } from './checkpoint-deps';
import { CheckpointRetention } from './checkpoint-retention';
import { CheckpointWriter } from './checkpoint-writer';

/**
 * The `before-update` checkpoint of a tier update (UpdateTier's `BeforeUpdateCheckpoint`): written by the same
 * CheckpointWriter as every VEE-only checkpoint, then retention for the VEE. It is not CheckpointService's
 * `takeVeeCheckpointLocked` because that one refuses a service that is not `running`/`degraded`, and an update
 * holds its service in `deploying` while it rolls; the update holds the service's lock, so nothing else touches
 * the VEE meanwhile. `onCompleted`, when given, is told of each completed checkpoint.
 */
export function beforeUpdateCheckpoint(
  d: CheckpointDeps,
  onCompleted: (checkpoint: StoredCheckpoint) => void = () => undefined,
): (vee: VeeRecord) => Promise<StoredCheckpoint> {
  const writer = new CheckpointWriter(d);
  const retention = new CheckpointRetention(d);
  return async (vee) => {
    const checkpoint = await writer.write(vee, 'before-update');
    await retention.apply(vee.id);
    onCompleted(checkpoint);
    return checkpoint;
  };
}
