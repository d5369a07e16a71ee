import { type CheckpointTrigger } from '@reservoir/domain/protection/checkpoints/checkpoint-record';
import { type StoredCheckpoint } from '@reservoir/domain/ports/checkpoint-store.port';
import { type CheckpointFile } from '@reservoir/domain/ports/hypervisor.port';
import { DomainError } from '@reservoir/domain/shared/domain-error';
import { type VeeRecord } from '@reservoir/domain/vee/vee-record';
import { describeError } from '../deploy/domain-operations';
import { actorOf, asDomainError, bundleDir, type CheckpointDeps, connectionTo, digestOf, localLocation, removeBundle } from './checkpoint-deps';

/**
 * One VEE-only checkpoint, with the caller holding the VEE's service lock: record it (in progress) first, then
 * write the bundle on the VEE's host (`<dir>/<domain>/<id>`), then complete the record with the bundle's size and
 * digest. The VEE shows `checkpointing` while its bundle is written (not for `periodic` ones: see below). A failed
 * write leaves nothing behind: the bundle directory and the record are deleted, and the VEE is back to `running`.
 */
export class CheckpointWriter {
  constructor(private readonly d: CheckpointDeps) {}

  async write(vee: VeeRecord, trigger: CheckpointTrigger): Promise<StoredCheckpoint> {
    if (vee.phase !== 'running') throw new DomainError('conflict', `VEE ${vee.id} (${vee.domain}) is ${vee.phase}: only a running VEE can be checkpointed`);
    const conn = await connectionTo(this.d, vee.hostId);
    const id = this.d.ids.next();
    const path = bundleDir(this.d.settings.dir, vee.domain, id);
    const location = localLocation(this.d, vee, path);
    const epoch = await this.nextOwnEpoch(vee.id);
    await this.d.checkpoints.create({ id, veeId: vee.id, serviceId: vee.serviceId, epoch, createdAt: this.d.clock.now(), locations: [location], trigger });
    const by = actorOf(trigger);
    // Periodic checkpoints leave the phase alone: at a 1 s interval they would add 7,200 history rows an hour per
    // VEE. Their pause is inside `checkpointWrite` (milliseconds), which the reconcile loop tolerates in `running`.
    const quiet = trigger === 'periodic';
    const checkpointing = quiet ? vee : await this.d.veePhases.move(vee, { type: 'checkpoint-started' }, by);
    const done = async (): Promise<void> => {
      if (!quiet && checkpointing) await this.d.veePhases.move(checkpointing, { type: 'checkpoint-done' }, by);
    };
    if (!checkpointing) {
      await this.d.checkpoints.remove([id]);
      throw new DomainError('conflict', `VEE ${vee.id} changed phase before its checkpoint started`);
    }
    let files: CheckpointFile[];
    try {
      files = (await conn.checkpointWrite(vee.domain, path)).files;
    } catch (err) {
      await this.resumeIfLeftPaused(vee);
      await this.undo(vee, id, path);
      await done();
      throw asDomainError(`checkpoint of VEE ${vee.domain} on host ${vee.hostName} failed`, err);
    }
    await done();
    const { sizeBytes, sha256 } = digestOf(files);
    await this.d.checkpoints.complete(id, { sizeBytes, sha256, locations: [location], completedAt: this.d.clock.now() });
    const stored = await this.d.checkpoints.get(id);
    if (!stored) throw new Error(`invariant: checkpoint ${id} was just completed`);
    if (!quiet) this.d.log(`VEE ${vee.domain}: checkpoint ${id} (${trigger}) written on host ${vee.hostName}: ${files.length} file(s), ${sizeBytes} bytes`);
    return stored;
  }

  /** VEE-only checkpoints count their own epochs per VEE: one more than the highest still recorded. */
  private async nextOwnEpoch(veeId: string): Promise<number> {
    const own = (await this.d.checkpoints.listByVee(veeId)).filter((c) => c.groupId === undefined);
    return Math.max(0, ...own.map((c) => c.epoch)) + 1;
  }

  /**
   * The VEE was running when its checkpoint began; a write that failed half-way can leave the guest paused (QEMU
   * paused it for the snapshot and the driver failed before resuming). A paused domain passes the failover checks
   * while the VEE is `running`, so nobody else would ever resume it.
   */
  private async resumeIfLeftPaused(vee: VeeRecord): Promise<void> {
    try {
      const conn = await connectionTo(this.d, vee.hostId);
      if ((await conn.info(vee.domain)).state !== 'paused') return;
      await conn.resume(vee.domain);
      this.d.log(`VEE ${vee.domain}: resumed after its failed checkpoint had left it paused`);
    } catch (err) {
      this.d.log(`VEE ${vee.domain}: could not check or resume it after a failed checkpoint: ${describeError(err)}`);
    }
  }

  private async undo(vee: VeeRecord, id: string, path: string): Promise<void> {
    try {
      if (await removeBundle(this.d, vee.hostId, path)) await this.d.checkpoints.remove([id]);
    } catch (err) {
      this.d.log(`VEE ${vee.domain}: could not clean up failed checkpoint ${id}: ${describeError(err)}`);
    }
  }
}
