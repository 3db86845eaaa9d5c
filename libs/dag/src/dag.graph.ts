/**
 * Dependency graphs over dense indices 0..n-1. `deps[i]` lists the nodes i depends on
 * (its blockers). All functions are iterative so that 10,000-node chains do not overflow the stack.
 */
export type Deps = readonly (readonly number[])[];

const WHITE = 0;
const GREY = 1;
const BLACK = 2;

/**
 * One concrete cycle, as the path of nodes that follows depends-on edges and returns to its
 * start (`[1, 3, 2, 1]`: 1 depends on 3, 3 on 2, 2 on 1); null when the graph is acyclic.
 */
export function findCycle(deps: Deps): number[] | null {
  const n = deps.length;
  const colour = new Uint8Array(n);
  const parent = new Int32Array(n).fill(-1);
  const next = new Int32Array(n);
  for (let root = 0; root < n; root++) {
    if (colour[root] !== WHITE) continue;
    const stack = [root];
    colour[root] = GREY;
    while (stack.length > 0) {
      const node = stack[stack.length - 1];
      if (next[node] < deps[node].length) {
        const to = deps[node][next[node]++];
        if (colour[to] === WHITE) {
          colour[to] = GREY;
          parent[to] = node;
          stack.push(to);
        } else if (colour[to] === GREY) {
          const path = [to];
          for (let at = node; at !== to; at = parent[at]) path.push(at);
          path.push(to);
          return path.reverse();
        }
      } else {
        colour[node] = BLACK;
        stack.pop();
      }
    }
  }
  return null;
}

/**
 * Topological waves: wave k holds the nodes whose longest chain of blockers has length k,
 * so every node sits in a later wave than each of its blockers. Nodes keep index order
 * inside a wave. Throws on a cycle.
 */
export function waves(deps: Deps): number[][] {
  const n = deps.length;
  const dependents: number[][] = Array.from({ length: n }, () => []);
  const remaining = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    remaining[i] = deps[i].length;
    for (const d of deps[i]) dependents[d].push(i);
  }
  let frontier: number[] = [];
  for (let i = 0; i < n; i++) if (remaining[i] === 0) frontier.push(i);
  let placed = 0;
  const result: number[][] = [];
  while (frontier.length > 0) {
    frontier.sort((a, b) => a - b);
    result.push(frontier);
    placed += frontier.length;
    const following: number[] = [];
    for (const node of frontier) {
      for (const dep of dependents[node]) {
        if (--remaining[dep] === 0) following.push(dep);
      }
    }
    frontier = following;
  }
  if (placed !== n) throw new Error('waves: the graph has a cycle');
  return result;
}

/** The same over string ids, for read models keyed by bead id. */
export function wavesById(ids: readonly string[], edges: readonly { beadId: string; dependsOnBeadId: string }[]): string[][] {
  const index = new Map(ids.map((id, i) => [id, i]));
  const deps: number[][] = ids.map(() => []);
  for (const e of edges) {
    const from = index.get(e.beadId);
    const to = index.get(e.dependsOnBeadId);
    if (from !== undefined && to !== undefined) deps[from].push(to);
  }
  return waves(deps).map((wave) => wave.map((i) => ids[i]));
}

/** Every node reachable from `start` by following `next` (start excluded). */
export function reachable(start: readonly number[], next: Deps): Set<number> {
  const seen = new Set<number>();
  const stack = [...start];
  while (stack.length > 0) {
    const node = stack.pop() as number;
    for (const to of next[node]) {
      if (!seen.has(to)) {
        seen.add(to);
        stack.push(to);
      }
    }
  }
  return seen;
}
