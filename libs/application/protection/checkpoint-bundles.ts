import { type CheckpointRecord } from '@reservoir/domain/protection/checkpoints/checkpoint-record';
import { restoreVerdict } from '@reservoir/domain/protection/checkpoints/digest';
import { type CheckpointFile, isHypervisorError } from '@reservoir/domain/ports/hypervisor.port';
import { type VeeRecord } from '@reservoir/domain/vee/vee-record';
import { describeError } from '../deploy/domain-operations';
import { type CheckpointDeps, connectionTo, digestOf } from './checkpoint-deps';

/** A bundle that passed its digest check: its files as measured (what the restore must find), where it is. */
export interface VerifiedBundle {
  ok: true;
  checkpointId: string;
  hostId: string;
  path: string;
  files: CheckpointFile[];
}

export type Verification = VerifiedBundle | { ok: false; reason: string };

/** The fields a check needs: any complete record (a VEE-only checkpoint or a part of a cut). */
export type CheckableRecord = Pick<CheckpointRecord, 'id' | 'veeId' | 'sha256' | 'complete' | 'locations'>;

/**
 * Verifies and restores bundles on the VEEs' hosts. A bundle is restorable only when the digest measured over it
 * now (`checkpointMeasure`, then the bundle digest) equals the recorded one (`restoreVerdict`); its measured file
 * list then *is* the list written, and goes to `checkpointRestore` as what to expect, so a file changed between
 * the check and the restore is refused by the hypervisor too. A checkpoint failing its digest is never restored.
 */
export class CheckpointBundles {
  constructor(private readonly d: Pick<CheckpointDeps, 'hosts' | 'connections' | 'settings' | 'log'>) {}

  /** Checks the record's bundle on `hostId`, the host it must be restored on (restores are in place, for now). */
  async verify(record: CheckableRecord, hostId: string): Promise<Verification> {
    const name = `checkpoint ${record.id} of VEE ${record.veeId}`;
    const local = record.locations.find((l) => l.kind === 'local' && l.siteId === this.d.settings.siteId && (l.hostId ?? hostId) === hostId);
    if (!local) return { ok: false, reason: `${name} has no copy on host ${hostId}` };
    let files: CheckpointFile[];
    try {
      files = await (await connectionTo(this.d, hostId)).checkpointMeasure(local.path);
    } catch (err) {
      return { ok: false, reason: `${name}: its bundle ${local.path} could not be measured: ${describeError(err)}` };
    }
    let measured: string | undefined;
    try {
      measured = digestOf(files).sha256;
    } catch (err) {
      return { ok: false, reason: `${name}: its bundle ${local.path} lists unusable files: ${describeError(err)}` };
    }
    const verdict = restoreVerdict(record, measured);
    return verdict.ok ? { ok: true, checkpointId: record.id, hostId, path: local.path, files } : { ok: false, reason: verdict.reason };
  }

  /**
   * Brings the VEE's domain back to the bundle (defining it first when its host lost the definition), ending paused
   * when `paused`. Id, name, uuid and console log stay the VEE's.
   */
  async restore(vee: VeeRecord, bundle: VerifiedBundle, paused: boolean): Promise<void> {
    const conn = await connectionTo(this.d, bundle.hostId);
    try {
      await conn.info(vee.domain);
    } catch (err) {
      if (!isHypervisorError(err, 'not-found')) throw err;
      this.d.log(`VEE ${vee.domain}: not defined on host ${vee.hostName}; defining it again before restoring checkpoint ${bundle.checkpointId}`);
      await conn.define(vee.spec);
    }
    await conn.checkpointRestore(vee.domain, bundle.path, { paused, expected: bundle.files });
  }
}
