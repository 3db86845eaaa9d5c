import fc from 'fast-check';
import { findCycle, waves, wavesById } from './dag.graph';

/** Random DAGs: a node may only depend on lower indices, then indices are shuffled. */
const dag = fc
  .integer({ min: 1, max: 60 })
  .chain((n) =>
    fc.tuple(
      fc.array(fc.array(fc.nat(), { maxLength: 4 }), { minLength: n, maxLength: n }),
      fc.shuffledSubarray([...Array(n).keys()], { minLength: n, maxLength: n }),
    ),
  )
  .map(([raw, perm]) => {
    const deps: number[][] = raw.map((ds, i) => (i === 0 ? [] : [...new Set(ds.map((d) => d % i))]));
    const shuffled: number[][] = Array.from({ length: deps.length }, () => []);
    deps.forEach((ds, i) => (shuffled[perm[i]] = ds.map((d) => perm[d])));
    return shuffled;
  });

describe('dag', () => {
  it('given a diamond, when layered, then A, {B, C}, D', () => {
    expect(waves([[], [0], [0], [1, 2]])).toEqual([[0], [1, 2], [3]]);
  });

  it('given a three-node loop, when searched, then the loop is reported from its entry', () => {
    expect(findCycle([[], [3], [1], [2]])).toEqual([1, 3, 2, 1]);
  });

  it('given a self edge, when searched, then it is a cycle of one', () => {
    expect(findCycle([[0]])).toEqual([0, 0]);
  });

  it('given a 10,000-node chain, when layered, then it does not overflow the stack', () => {
    const deps = Array.from({ length: 10_000 }, (_, i) => (i === 0 ? [] : [i - 1]));
    expect(findCycle(deps)).toBeNull();
    expect(waves(deps)).toHaveLength(10_000);
  });

  it('property: random DAGs have no cycle and their waves put each node after all of its blockers', () => {
    fc.assert(
      fc.property(dag, (deps) => {
        expect(findCycle(deps)).toBeNull();
        const ws = waves(deps);
        const waveOf = new Map<number, number>();
        ws.forEach((w, k) => w.forEach((node) => waveOf.set(node, k)));
        expect(waveOf.size).toBe(deps.length);
        deps.forEach((ds, node) => ds.forEach((d) => expect(waveOf.get(node)!).toBeGreaterThan(waveOf.get(d)!)));
        // Longest-path layering: a node in wave k > 0 has a blocker in wave k - 1.
        deps.forEach((ds, node) => {
          if (waveOf.get(node)! > 0) expect(ds.some((d) => waveOf.get(d) === waveOf.get(node)! - 1)).toBe(true);
        });
      }),
    );
  });

  it('property: a planted cycle is found and the reported cycle follows real edges', () => {
    fc.assert(
      fc.property(dag, fc.nat(), fc.nat(), (deps, a, b) => {
        const n = deps.length;
        if (n < 2) return;
        const [x, y] = [a % n, b % n];
        const ws = waves(deps);
        const waveOf = new Map<number, number>();
        ws.forEach((w, k) => w.forEach((node) => waveOf.set(node, k)));
        // Plant an edge from an earlier-or-equal wave node to a later one, closing a loop when a path exists.
        const [lo, hi] = waveOf.get(x)! <= waveOf.get(y)! ? [x, y] : [y, x];
        const planted = deps.map((ds) => [...ds]);
        planted[lo].push(hi);
        planted[hi].push(lo);
        const cycle = findCycle(planted);
        expect(cycle).not.toBeNull();
        expect(cycle![0]).toBe(cycle![cycle!.length - 1]);
        for (let i = 0; i + 1 < cycle!.length; i++) expect(planted[cycle![i]]).toContain(cycle![i + 1]);
        expect(() => waves(planted)).toThrow(/cycle/);
      }),
    );
  });

  it('given ids and edges, when layered by id, then ids come back in waves', () => {
    expect(wavesById(['a', 'b', 'c'], [{ beadId: 'c', dependsOnBeadId: 'a' }])).toEqual([['a', 'b'], ['c']]);
  });
});
