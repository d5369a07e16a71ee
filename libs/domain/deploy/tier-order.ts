import { type ServiceDefinition, type TierDefinition } from '../manifest/service-definition';

/** A tier with the tiers it needs (`relation from=this to=that`): those must run before it starts. */
export interface OrderedTier {
  tier: TierDefinition;
  dependsOn: string[];
}

/**
 * The service's tiers in dependency order: a relation `from → to` means `from` needs `to`, so `to` comes first.
 * Kahn's algorithm; among tiers that are ready at the same time, manifest order wins (deterministic). Manifests
 * are validated acyclic; should a cycle slip through, its tiers follow in manifest order rather than vanish.
 */
export function deploymentOrder(definition: Pick<ServiceDefinition, 'tiers' | 'relations'>): OrderedTier[] {
  const names = new Set(definition.tiers.map((t) => t.name));
  const needs = new Map<string, Set<string>>(definition.tiers.map((t) => [t.name, new Set<string>()]));
  for (const r of definition.relations) {
    if (r.from !== r.to && names.has(r.from) && names.has(r.to)) needs.get(r.from)?.add(r.to);
  }
  const done = new Set<string>();
  const ordered: OrderedTier[] = [];
  const emit = (tier: TierDefinition) => {
    done.add(tier.name);
    ordered.push({ tier, dependsOn: [...(needs.get(tier.name) ?? [])] });
  };
  for (;;) {
    const ready = definition.tiers.find((t) => !done.has(t.name) && [...(needs.get(t.name) ?? [])].every((n) => done.has(n)));
    if (ready === undefined) break;
    emit(ready);
  }
  for (const t of definition.tiers) if (!done.has(t.name)) emit(t);
  return ordered;
}
