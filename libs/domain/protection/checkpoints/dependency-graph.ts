/**
 * The tier dependency graph the protection modules share: a relation `from → to` means `from` needs `to`.
 * Self-relations are ignored (a tier does not wait for itself). Everything is iterative: no recursion depth limit.
 */
import { type TierRelation } from '../../manifest/service-definition';
import { findDependencyCycles } from '../../manifest/tier-graph';

/** Adjacency sets; every tier named anywhere gets an entry. */
export type TierEdges = Map<string, Set<string>>;

/** `needs.get(t)`: the tiers `t` needs. `neededBy.get(t)`: the tiers that need `t` (the reverse edges). */
export function edgesOf(tiers: readonly string[], relations: readonly TierRelation[]): { needs: TierEdges; neededBy: TierEdges } {
  const needs: TierEdges = new Map();
  const neededBy: TierEdges = new Map();
  const touch = (t: string) => {
    if (!needs.has(t)) needs.set(t, new Set());
    if (!neededBy.has(t)) neededBy.set(t, new Set());
  };
  for (const t of tiers) touch(t);
  for (const { from, to } of relations) {
    touch(from);
    touch(to);
    if (from === to) continue;
    needs.get(from)?.add(to);
    neededBy.get(to)?.add(from);
  }
  return { needs, neededBy };
}

/** `start` and every tier reachable from it along `edges`. */
export function reachableFrom(start: string, edges: TierEdges): Set<string> {
  const seen = new Set([start]);
  const queue = [start];
  for (let head = 0; head < queue.length; head += 1) {
    for (const next of edges.get(queue[head] ?? start) ?? []) {
      if (seen.has(next)) continue;
      seen.add(next);
      queue.push(next);
    }
  }
  return seen;
}

/** The first dependency cycle (`[a, b]` reads a → b → a), or undefined when the relations are acyclic. */
export function firstCycle(relations: readonly TierRelation[]): string[] | undefined {
  return findDependencyCycles(relations)[0];
}

/**
 * Dependency level of every tier named in `tiers` or `relations`: 0 for a tier that needs nothing, otherwise one
 * more than the highest level among the tiers it needs. So `a` needs `b` ⇒ level(a) > level(b). Undefined when
 * the relations have a cycle (no such numbering exists).
 */
export function dependencyLevels(tiers: readonly string[], relations: readonly TierRelation[]): Map<string, number> | undefined {
  const { needs, neededBy } = edgesOf(tiers, relations);
  const waiting = new Map([...needs].map(([t, n]) => [t, n.size]));
  const level = new Map<string, number>();
  const ready = [...waiting].filter(([, n]) => n === 0).map(([t]) => t);
  for (let head = 0; head < ready.length; head += 1) {
    const tier = ready[head] as string;
    const own = Math.max(-1, ...[...(needs.get(tier) ?? [])].map((n) => level.get(n) ?? 0)) + 1;
    level.set(tier, own);
    for (const dependent of neededBy.get(tier) ?? []) {
      const left = (waiting.get(dependent) ?? 0) - 1;
      waiting.set(dependent, left);
      if (left === 0) ready.push(dependent);
    }
  }
  return level.size === needs.size ? level : undefined;
}

/**
 * The service's tiers split into groups linked by relations (connected components, ignoring direction), each in
 * `tiers` order, groups in order of their first tier. A tier with no relation is a group of its own.
 */
export function linkedTierGroups(tiers: readonly string[], relations: readonly TierRelation[]): string[][] {
  const { needs, neededBy } = edgesOf(tiers, relations);
  const both: TierEdges = new Map([...needs].map(([t, n]) => [t, new Set([...n, ...(neededBy.get(t) ?? [])])]));
  const placed = new Set<string>();
  const groups: string[][] = [];
  for (const tier of new Set(tiers)) {
    if (placed.has(tier)) continue;
    const component = reachableFrom(tier, both);
    const group = [...new Set(tiers)].filter((t) => component.has(t));
    for (const t of group) placed.add(t);
    groups.push(group);
  }
  return groups;
}
