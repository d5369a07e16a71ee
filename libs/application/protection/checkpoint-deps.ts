import { createHash } from 'node:crypto';
import { bundleDigest, type BundleDigest, type Sha256Hex } from '@reservoir/domain/protection/checkpoints/bundle-digest';
import { type CheckpointLocation, type CheckpointTrigger } from '@reservoir/domain/protection/checkpoints/checkpoint-record';
import { type CheckpointStore } from '@reservoir/domain/ports/checkpoint-store.port';
import { type CheckpointFile, type HypervisorConnection, isHypervisorError } from '@reservoir/domain/ports/hypervisor.port';
import { DomainError } from '@reservoir/domain/shared/domain-error';
import { type TransitionActor, type VeeRecord } from '@reservoir/domain/vee/vee-record';
import { type DeployDeps } from '../deploy/deploy-deps';
import { describeError } from '../deploy/domain-operations';

/** Where bundles go and how many are kept (RESERVOIR_CHECKPOINT_DIR, RESERVOIR_CHECKPOINT_KEEP), and this site's id. */
export interface CheckpointSettings {
  siteId: string;
  /** Absolute directory on every host; a bundle is `<dir>/<domain>/<checkpoint id>`. */
  dir: string;
  /** Complete checkpoints kept per VEE (`planRetention`'s K). */
  keep: number;
}

/** What the checkpoint use cases draw from: the deploy ports they need, the checkpoint store and the settings. */
export type CheckpointDeps = Pick<DeployDeps, 'services' | 'hosts' | 'vees' | 'connections' | 'veePhases' | 'locks' | 'ids' | 'clock' | 'log'> & {
  checkpoints: CheckpointStore;
  settings: CheckpointSettings;
};

/** The bundle directory of one checkpoint of one domain. */
export function bundleDir(root: string, domain: string, checkpointId: string): string {
  return `${root.replace(/\/+$/, '')}/${domain}/${checkpointId}`;
}

export const sha256Hex: Sha256Hex = (text) => createHash('sha256').update(text, 'utf8').digest('hex');

/** The bundle's digest and size as records keep them (see bundle-digest.ts). */
export function digestOf(files: readonly CheckpointFile[]): BundleDigest {
  return bundleDigest(files, sha256Hex);
}

/** The location of a bundle written on the VEE's host. */
export function localLocation(d: Pick<CheckpointDeps, 'settings'>, vee: VeeRecord, path: string): CheckpointLocation {
  return { kind: 'local', siteId: d.settings.siteId, hostId: vee.hostId, path };
}

/** The connection to a host of the site; `unavailable` when the host is not registered any more or does not answer. */
export async function connectionTo(d: Pick<CheckpointDeps, 'hosts' | 'connections'>, hostId: string): Promise<HypervisorConnection> {
  const host = await d.hosts.get(hostId);
  if (!host) throw new DomainError('unavailable', `host ${hostId} is not registered on this site`);
  try {
    return await d.connections.get(host);
  } catch (err) {
    throw asDomainError(`host ${host.name} does not answer`, err);
  }
}

/** Who a trigger's phase moves are recorded as. */
export function actorOf(trigger: CheckpointTrigger): TransitionActor {
  return trigger === 'api' ? 'api' : 'reconcile';
}

/** A hypervisor failure as the edge understands it: a state conflict (409) or a host that did not do it (503). */
export function asDomainError(what: string, err: unknown): DomainError {
  if (err instanceof DomainError) return err;
  const message = `${what}: ${describeError(err)}`;
  if (isHypervisorError(err, 'invalid-state') || isHypervisorError(err, 'already-exists')) return new DomainError('conflict', message);
  return new DomainError('unavailable', message, undefined, isHypervisorError(err) && err.retryable);
}

/** Deletes a bundle; true when it is gone (a missing directory is gone), false (logged) when the host refused. */
export async function removeBundle(d: Pick<CheckpointDeps, 'hosts' | 'connections' | 'log'>, hostId: string, path: string): Promise<boolean> {
  try {
    await (await connectionTo(d, hostId)).checkpointRemove(path);
    return true;
  } catch (err) {
    d.log(`checkpoint bundle ${path} on host ${hostId} not removed (kept for the next pass): ${describeError(err)}`);
    return false;
  }
}
