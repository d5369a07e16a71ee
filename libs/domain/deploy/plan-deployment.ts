/**
 * Service definition × hosts × image catalogue → a deployment plan: per tier, in dependency order, the VEEs to
 * create, each with its host and full domain spec. Pure (ids come in through the IdGenerator port). Nothing is
 * created when the plan is not ok: the caller stores the per-tier reasons on the failed service.
 */
import { type ServiceDefinition, type TierDefinition } from '../manifest/service-definition';
import { type IdGenerator } from '../ports/clock.port';
import { type DomainSpec } from '../ports/hypervisor.port';
import { type ImageInfo } from '../ports/image-catalogue.port';
import { planPlacement, type HostState, type PlacementPolicy, type TierDemand } from '../placement';
import { buildDomainSpec, consoleLogPath, domainName, effectiveStorage } from './domain-spec';
import { deploymentOrder } from './tier-order';

/** Why a tier cannot be deployed here: one line per host (placement) or about its image. */
export interface PlacementError {
  tier: string;
  reasons: string[];
}

/** One VEE to create. */
export interface PlannedVee {
  id: string;
  tier: string;
  index: number;
  hostId: string;
  domain: string;
  consoleLog: string;
  spec: DomainSpec;
}

/** A tier's VEEs; the tier starts once every tier in `dependsOn` reports running. */
export interface TierStep {
  tier: string;
  dependsOn: string[];
  vees: PlannedVee[];
}

export type DeploymentPlan =
  | { ok: true; steps: TierStep[]; warnings: string[] }
  | { ok: false; errors: PlacementError[] };

export interface DeploymentInput {
  service: { id: string; name: string; definition: Pick<ServiceDefinition, 'tiers' | 'relations'> };
  /** The site's hosts with what they already hold (every VEE that is not lost or deleted). */
  hosts: readonly HostState[];
  /** What the site's catalogue can boot, by ref. */
  images: ReadonlyMap<string, ImageInfo>;
  /**
   * What each host can boot (by host id, then ref), where hosts differ: a placed VEE's image is checked against its
   * host's entry and its spec built from it. Hosts absent here use `images`.
   */
  hostImages?: ReadonlyMap<string, ReadonlyMap<string, ImageInfo>>;
  consoleDir: string;
  ids: IdGenerator;
  policy?: PlacementPolicy;
}

/** The placement demand of a tier: disks as deployed (a root disk when the manifest has none). */
export function tierDemand(serviceName: string, tier: TierDefinition): TierDemand {
  return { service: serviceName, name: tier.name, vee: tier.vee, storage: effectiveStorage(tier), qos: tier.qos };
}

export function planDeployment(input: DeploymentInput): DeploymentPlan {
  const order = deploymentOrder(input.service.definition);
  const errors: PlacementError[] = [];
  for (const { tier } of order) {
    // With per-host catalogues the site-wide one only says whether any host has the ref; digests and sizes are per host.
    const known = input.images.has(tier.image.ref);
    const reasons = input.hostImages && known ? [] : imageProblems(tier, input.images);
    if (reasons.length > 0) errors.push({ tier: tier.name, reasons });
  }
  const demands = order.map(({ tier }) => tierDemand(input.service.name, tier));
  const placement = planPlacement({ hosts: input.hosts, tiers: demands, policy: input.policy });
  for (const u of placement.unplaced) {
    errors.push({ tier: u.tier, reasons: [`${u.placed} of ${u.needed} VEE(s) placed`, ...u.reasons] });
  }
  if (errors.length === 0 && input.hostImages) {
    const hostImages = input.hostImages;
    for (const { tier } of order) {
      const reasons = new Set<string>();
      for (const a of placement.assignments.filter((x) => x.tier === tier.name)) {
        const images = hostImages.get(a.hostId);
        if (!images) continue;
        for (const r of imageProblems(tier, images)) reasons.add(`host ${a.hostId}: ${r}`);
      }
      if (reasons.size > 0) errors.push({ tier: tier.name, reasons: [...reasons] });
    }
  }
  if (errors.length > 0) return { ok: false, errors };
  const imageFor = (hostId: string, ref: string): ImageInfo | undefined => (input.hostImages?.get(hostId) ?? input.images).get(ref);
  const steps: TierStep[] = order.map(({ tier, dependsOn }) => ({
    tier: tier.name,
    dependsOn,
    vees: placement.assignments
      .filter((a) => a.tier === tier.name)
      .map((a) => {
        const id = input.ids.next();
        const domain = domainName(input.service.name, tier.name, a.index, input.service.id);
        const consoleLog = consoleLogPath(input.consoleDir, domain);
        const spec = buildDomainSpec(tier, { serviceId: input.service.id, id, domain, consoleLog }, imageFor(a.hostId, tier.image.ref));
        return { id, tier: tier.name, index: a.index, hostId: a.hostId, domain, consoleLog, spec };
      }),
  }));
  return { ok: true, steps, warnings: placement.warnings };
}

function imageProblems(tier: TierDefinition, images: ReadonlyMap<string, ImageInfo>): string[] {
  const image = images.get(tier.image.ref);
  if (image === undefined) {
    const known = [...images.keys()].sort().join(', ') || 'none';
    return [`image '${tier.image.ref}' is not in this site's image catalogue (known: ${known})`];
  }
  const problems: string[] = [];
  if (image.problem !== undefined) problems.push(`image '${image.ref}' cannot be used: ${image.problem}`);
  if (tier.image.sha256 !== undefined && image.sha256 !== undefined && tier.image.sha256.toLowerCase() !== image.sha256.toLowerCase()) {
    problems.push(`image '${image.ref}' has sha256 ${image.sha256}, the manifest asks for ${tier.image.sha256}`);
  }
  if (image.minMemoryMiB !== undefined && tier.vee.memoryMiB < image.minMemoryMiB) {
    problems.push(`image '${image.ref}' needs at least ${image.minMemoryMiB} MiB of memory, the tier gives ${tier.vee.memoryMiB} MiB`);
  }
  return problems;
}
