import { planRetention } from '@reservoir/domain/protection/checkpoints/retention';
import { type StoredCheckpoint } from '@reservoir/domain/ports/checkpoint-store.port';
import { type CheckpointDeps, removeBundle } from './checkpoint-deps';

/** What one retention pass over a VEE did. */
export interface RetentionOutcome {
  /** Checkpoints whose bundles and records are gone. */
  removed: string[];
  /** Checkpoints to go whose bundle a host did not delete: kept (recorded) so the next pass tries again. */
  kept: string[];
}

/**
 * Applies `planRetention` to one VEE: keep its newest K complete checkpoints and its part of each group's newest
 * complete cut; delete the rest, bundle first (through `checkpointRemove` on the bundle's host), then the record.
 * Runs under the VEE's service lock, where no checkpoint of the VEE is being written: an incomplete record seen
 * there was abandoned (its write failed half-way, or the broker stopped during it) and goes too, so incomplete
 * records never pile up (`planRetention` itself keeps them, as it cannot know).
 */
export class CheckpointRetention {
  constructor(private readonly d: Pick<CheckpointDeps, 'checkpoints' | 'hosts' | 'connections' | 'log' | 'settings'>) {}

  async apply(veeId: string): Promise<RetentionOutcome> {
    const all = await this.d.checkpoints.listByVee(veeId);
    const { prune } = planRetention(all.filter((c) => c.complete), this.d.settings.keep);
    const abandoned = all.filter((c) => !c.complete);
    const removed: string[] = [];
    const kept: string[] = [];
    for (const c of [...prune, ...abandoned]) {
      if (await this.removeBundles(c)) removed.push(c.id);
      else kept.push(c.id);
    }
    if (removed.length > 0) await this.d.checkpoints.remove(removed);
    return { removed, kept };
  }

  /**
   * Every checkpoint of a VEE that is going away (its service deleted): bundles first, then records. A bundle whose
   * host did not delete it keeps its record (listed in `kept`), so nothing is forgotten while its files remain.
   */
  async removeAll(veeId: string): Promise<RetentionOutcome> {
    const removed: string[] = [];
    const kept: string[] = [];
    for (const c of await this.d.checkpoints.listByVee(veeId)) {
      if (await this.removeBundles(c)) removed.push(c.id);
      else kept.push(c.id);
    }
    if (removed.length > 0) await this.d.checkpoints.remove(removed);
    return { removed, kept };
  }

  /** Deletes the checkpoint's local bundles on their hosts; true once none is left. Shipped copies are not ours to delete here. */
  private async removeBundles(c: StoredCheckpoint): Promise<boolean> {
    let gone = true;
    for (const l of c.locations) {
      if (l.kind !== 'local' || l.siteId !== this.d.settings.siteId || l.hostId === undefined) continue;
      gone = (await removeBundle(this.d, l.hostId, l.path)) && gone;
    }
    return gone;
  }
}
