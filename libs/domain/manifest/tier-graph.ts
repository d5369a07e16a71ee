/**
 * The dependency graph between tiers: an edge `from -> to` means the `from` tier needs the `to` tier.
 * Iterative (no recursion), so a long chain of tiers cannot overflow the stack.
 */

/** A directed dependency between two tiers. */
export interface DependencyEdge {
  readonly from: string;
  readonly to: string;
}

/**
 * One cycle per group of tiers that depend on each other (strongly connected component with more than one
 * tier; self-dependencies are not cycles here). A cycle `[a, b, c]` reads `a -> b -> c -> a`; it starts at
 * the group's tier that appears first in `edges`, and is a shortest cycle through that tier.
 * Deterministic: groups come in order of first appearance.
 */
export function findDependencyCycles(edges: readonly DependencyEdge[]): string[][] {
  const graph = adjacency(edges.filter((e) => e.from !== e.to));
  return stronglyConnectedComponents(graph)
    .filter((component) => component.length > 1)
    .map((component) => shortestCycleThrough(graph, new Set(component), component[0] ?? ''));
}

/** Successor lists in edge order; map iteration order is first appearance of each tier. */
function adjacency(edges: readonly DependencyEdge[]): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const { from, to } of edges) {
    if (!graph.has(from)) graph.set(from, []);
    if (!graph.has(to)) graph.set(to, []);
    graph.get(from)?.push(to);
  }
  return graph;
}

/** Tarjan's algorithm with an explicit stack; each component sorted by first appearance, components too. */
function stronglyConnectedComponents(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  const order = new Map<string, number>([...graph.keys()].map((node, i) => [node, i]));
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const components: string[][] = [];
  const visit = (node: string): void => {
    const n = index.size;
    index.set(node, n);
    low.set(node, n);
    stack.push(node);
    onStack.add(node);
  };
  for (const root of graph.keys()) {
    if (index.has(root)) continue;
    visit(root);
    const work: { node: string; next: number }[] = [{ node: root, next: 0 }];
    while (work.length > 0) {
      const frame = work[work.length - 1] as { node: string; next: number };
      const successor = graph.get(frame.node)?.[frame.next];
      frame.next += 1;
      if (successor !== undefined) {
        if (!index.has(successor)) {
          visit(successor);
          work.push({ node: successor, next: 0 });
        } else if (onStack.has(successor)) {
          low.set(frame.node, Math.min(at(low, frame.node), at(index, successor)));
        }
        continue;
      }
      work.pop();
      const parent = work[work.length - 1];
      if (parent) low.set(parent.node, Math.min(at(low, parent.node), at(low, frame.node)));
      if (at(low, frame.node) === at(index, frame.node)) components.push(popComponent(stack, onStack, frame.node));
    }
  }
  const byOrder = (a: string, b: string): number => at(order, a) - at(order, b);
  return components.map((c) => c.sort(byOrder)).sort((a, b) => byOrder(a[0] ?? '', b[0] ?? ''));
}

function popComponent(stack: string[], onStack: Set<string>, root: string): string[] {
  const component: string[] = [];
  for (let node = stack.pop(); node !== undefined; node = stack.pop()) {
    onStack.delete(node);
    component.push(node);
    if (node === root) break;
  }
  return component;
}

/** Breadth-first search inside one component from `start` back to `start`. */
function shortestCycleThrough(graph: ReadonlyMap<string, readonly string[]>, members: ReadonlySet<string>, start: string): string[] {
  const cameFrom = new Map<string, string>();
  const queue = [start];
  for (let head = 0; head < queue.length; head += 1) {
    const node = queue[head] ?? start;
    for (const next of graph.get(node) ?? []) {
      if (next === start) return unwind(cameFrom, node, start);
      if (!members.has(next) || cameFrom.has(next)) continue;
      cameFrom.set(next, node);
      queue.push(next);
    }
  }
  return [start];
}

function unwind(cameFrom: ReadonlyMap<string, string>, last: string, start: string): string[] {
  const cycle = [last];
  for (let node = last; node !== start; ) {
    node = cameFrom.get(node) ?? start;
    cycle.push(node);
  }
  return cycle.reverse();
}

function at(map: ReadonlyMap<string, number>, key: string): number {
  return map.get(key) ?? 0;
}
