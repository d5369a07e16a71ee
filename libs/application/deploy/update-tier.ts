/**
 * A tier update (`PATCH /v1/services/:id/tiers/:tier`, or a primary's CooperationUpdate at a replica site): a new
 * image, software versions or configuration. The new definition and revision are stored with the move to
 * `deploying` (the reconcile loop leaves the service alone meanwhile), then the tier's VEEs are re-created one at
 * a time from the tier's image with the new spec — a rolling reinstall: each keeps its id, domain name and console
 * log, the others keep serving. The service is `running` again after the last one, or `failed` with the VEE that
 * did not come back.
 */
import { buildDomainSpec } from '@reservoir/domain/deploy/domain-spec';
import { type HostRecord } from '@reservoir/domain/hosts/host-record';
import { type ImageInfo } from '@reservoir/domain/ports/image-catalogue.port';
import { type ServiceRecord } from '@reservoir/domain/service/service-record';
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

export class UpdateTier {
  constructor(
    private readonly d: Deps,
    /** Called once the new definition is stored, before the VEEs roll (the primary propagates from here). */
    private readonly onAccepted: (applied: AppliedUpdate) => Promise<void> = async () => undefined,
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
    const vees = (await this.d.vees.listByService(service.id)).filter((v) => v.tier === tierName && v.phase !== 'deleted').sort((a, b) => a.index - b.index);
    let done = 0;
    for (const vee of vees) {
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
