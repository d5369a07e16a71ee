/**
 * A tier update (`PATCH /v1/services/:id/tiers/:tier`, or a primary's CooperationUpdate at a replica site): a new
 * image, software versions or configuration. The new definition and revision are stored with the move to
 * `deploying` (the reconcile loop leaves the service alone meanwhile), then the tier's VEEs are re-created one at
 * a time from the tier's image with the new spec — a rolling reinstall: each keeps its id, domain name and console
 * log, the others keep serving. The service is `running` again after the last one, or `failed` with the VEE that
 * did not come back.
 *
 * Before a VEE is re-created its state is about to be replaced, so every running VEE of the tier (whatever its
 * protection level: the operator may want to go back from any update) gets a checkpoint with trigger
 * `before-update`, taken under the service's lock right before its domain is removed. A checkpoint that fails does
 * not stop the update: it is logged and noted in the VEE's history (a `running → running` row whose reason says so),
 * which `GET /v1/services/:id/events` shows.
 */
import { buildDomainSpec } from '@reservoir/domain/deploy/domain-spec';
import { type HostRecord } from '@reservoir/domain/hosts/host-record';
import { type ImageInfo } from '@reservoir/domain/ports/image-catalogue.port';
import { type ServiceRecord } from '@reservoir/domain/service/service-record';
import { isLiveStandby, type VeeRecord } from '@reservoir/domain/vee/vee-record';
import { applyTierUpdate, checkTierUpdate, type TierUpdate } from '@reservoir/domain/service/tier-update';
import { DomainError } from '@reservoir/domain/shared/domain-error';
import { type DeployDeps, serviceKey } from './deploy-deps';
import { describeError, removeDomain, startAndWait } from './domain-operations';

type Deps = Pick<DeployDeps, 'services' | 'hosts' | 'vees' | 'images' | 'connections' | 'servicePhases' | 'locks' | 'clock' | 'start' | 'log'>;

export interface UpdateOptions {
  /**
   * The revision to record (a replica takes its primary's). An update older than the stored revision is skipped;
   * one of the same revision is applied (a newly shipped replica receives every updated tier at the primary's
   * current revision).
   */
  revision?: number;
  by: 'api' | 'peer';
}

/** What an accepted update was: for the caller to pass on (the primary tells its replica sites). */
export interface AppliedUpdate {
  service: ServiceRecord;
  tier: string;
  update: TierUpdate;
  revision: number;
}

/**
 * Takes a `before-update` checkpoint of a running VEE whose service lock the caller holds (the service is
 * `deploying` meanwhile); resolves with the checkpoint's id, rejects when it could not be taken.
 */
export type BeforeUpdateCheckpoint = (vee: VeeRecord) => Promise<{ id: string }>;

export class UpdateTier {
  constructor(
    private readonly d: Deps,
    /** Called once the new definition is stored, before the VEEs roll (the primary propagates from here). */
    private readonly onAccepted: (applied: AppliedUpdate) => Promise<void> = async () => undefined,
    /** Checkpoints each VEE before it is re-created; without it (sites without checkpoints) none is taken. */
    private readonly checkpointFirst?: BeforeUpdateCheckpoint,
  ) {}

  /**
   * Validates and stores the update, then rolls it through the tier in the background; resolves with the
   * accepted update (or undefined when a peer's revision was already applied). Bad input changes nothing.
   */
  async execute(serviceId: string, tierName: string, body: unknown, options: UpdateOptions): Promise<AppliedUpdate | undefined> {
    const service = await this.d.services.get(serviceId);
    if (!service) throw DomainError.notFound('service', serviceId);
    const checked = checkTierUpdate(body, service.definition, tierName);
    if (!checked.ok) throw new DomainError('invalid-input', `tier update rejected: ${checked.errors.length} problem(s)`, checked.errors);
    const current = service.revision ?? 0;
    if (options.revision !== undefined && options.revision < current) return undefined;
    await this.checkImage(checked.update);
    if (service.phase !== 'running' && service.phase !== 'degraded') {
      throw new DomainError('conflict', `service '${service.name}' is ${service.phase}; a tier update needs it running`);
    }
    const revision = options.revision ?? current + 1;
    const definition = applyTierUpdate(service.definition, tierName, checked.update);
    const reason = `tier ${tierName} update to revision ${revision}`;
    const moved = await this.d.servicePhases.move(service, { type: 'update-started', reason }, options.by, { definition, revision });
    if (!moved) throw new DomainError('conflict', `service '${service.name}' changed meanwhile; try again`);
    const applied: AppliedUpdate = { service: { ...service, phase: moved.phase, definition, revision }, tier: tierName, update: checked.update, revision };
    await this.onAccepted(applied).catch((err: unknown) => this.d.log(`tier update of ${service.name}: passing it on failed: ${describeError(err)}`));
    this.rolling = this.d.locks.run(serviceKey(serviceId), () => this.roll(applied)).catch((err: unknown) => {
      this.d.log(`tier update of ${service.name} failed: ${describeError(err)}`);
    });
    return applied;
  }

  /** The rollout under way (tests await it). */
  rolling: Promise<void> = Promise.resolve();

  private async roll({ service, tier: tierName, revision }: AppliedUpdate): Promise<void> {
    const tier = service.definition.tiers.find((t) => t.name === tierName);
    if (!tier) return;
    // A live standby is not re-created: the next checkpoint of its updated VEE refreshes it.
    const vees = (await this.d.vees.listByService(service.id)).filter((v) => v.tier === tierName && v.phase !== 'deleted' && !isLiveStandby(v)).sort((a, b) => a.index - b.index);
    let done = 0;
    for (const vee of vees) {
      await this.checkpoint(vee, `tier ${tierName} update to revision ${revision}`);
      try {
        const host = await this.d.hosts.get(vee.hostId);
        if (!host) throw new Error(`host ${vee.hostName} is no longer registered`);
        const spec = buildDomainSpec(tier, { serviceId: service.id, id: vee.id, domain: vee.domain, consoleLog: vee.consoleLog }, await this.image(host, tier.image.ref));
        const conn = await this.d.connections.get(host);
        await removeDomain(conn, vee.domain);
        await conn.define(spec);
        await startAndWait(conn, vee.domain, this.d.start);
        if (vee.role === 'standby') await conn.pause(vee.domain);
        await this.d.vees.updateSpec(vee.id, spec, this.d.clock.now());
        done += 1;
      } catch (err) {
        const current = (await this.d.services.get(service.id)) ?? service;
        const reason = `tier ${tierName} update to revision ${revision} stopped at ${vee.domain} (${done} of ${vees.length} updated): ${describeError(err)}`;
        await this.d.servicePhases.move(current, { type: 'gave-up', reason }, 'deploy');
        return;
      }
    }
    const current = (await this.d.services.get(service.id)) ?? service;
    await this.d.servicePhases.move(current, { type: 'all-running' }, 'deploy');
  }

  /** The VEE's `before-update` checkpoint; a failure is logged and noted in its history, never thrown. */
  private async checkpoint(vee: VeeRecord, update: string): Promise<void> {
    if (!this.checkpointFirst || vee.phase !== 'running') return;
    try {
      const { id } = await this.checkpointFirst(vee);
      this.d.log(`${update}: checkpoint ${id} of ${vee.domain} taken before re-creating it`);
    } catch (err) {
      const reason = `checkpoint before ${update} failed (updating anyway): ${describeError(err)}`;
      this.d.log(`VEE ${vee.domain}: ${reason}`);
      const current = (await this.d.vees.get(vee.id).catch(() => undefined)) ?? vee;
      const entry = { veeId: vee.id, serviceId: vee.serviceId, from: current.phase, to: current.phase, reason, by: 'deploy' as const, at: this.d.clock.now() };
      await this.d.vees.transition(entry).catch((e: unknown) => this.d.log(`VEE ${vee.domain}: could not note the failed checkpoint: ${describeError(e)}`));
    }
  }

  private async checkImage(update: TierUpdate): Promise<void> {
    if (!update.image) return;
    const known = (await this.d.images.list()).find((i) => i.ref === update.image?.ref);
    const problem = !known
      ? `image '${update.image.ref}' is not in this site's image catalogue`
      : update.image.sha256 !== undefined && known.sha256 !== undefined && known.sha256 !== update.image.sha256
        ? `image '${update.image.ref}' has sha256 ${known.sha256}, the update asks for ${update.image.sha256}`
        : undefined;
    if (problem) throw new DomainError('invalid-input', 'tier update rejected: 1 problem(s)', [{ path: '/image', message: problem }]);
  }

  private async image(host: HostRecord, ref: string): Promise<ImageInfo | undefined> {
    const forHost = this.d.images.forHost?.bind(this.d.images);
    const images = forHost ? await forHost(host.uri) : await this.d.images.list();
    return images.find((i) => i.ref === ref);
  }
}
