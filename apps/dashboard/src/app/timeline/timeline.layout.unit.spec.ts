import fc from 'fast-check';
import {
  COLLAPSE_ABOVE,
  DEFAULT_SIZES,
  collapsedWaveKey,
  defaultCollapsed,
  layoutTimeline,
  planTimeline,
  type TimelineBead,
  type TimelineEdge,
  type TimelineLayout,
} from './timeline.layout';

function bead(id: string, extra: Partial<TimelineBead> = {}): TimelineBead {
  return { id, title: `Title ${id}`, status: 'OPEN', blocked: false, blockedReason: null, assignee: null, rigId: 'rig-1', ...extra };
}

const edge = (beadId: string, dependsOnBeadId: string): TimelineEdge => ({ beadId, dependsOnBeadId });

function node(layout: TimelineLayout, id: string) {
  const found = layout.nodes.find((n) => n.key === id);
  if (!found) throw new Error(`no node ${id}`);
  return found;
}

/** Start and end points of an SVG path "M x1,y1 C … x2,y2". */
function ends(d: string): { x1: number; y1: number; x2: number; y2: number } {
  const numbers = d.match(/-?\d+(\.\d+)?/g)?.map(Number) ?? [];
  return { x1: numbers[0], y1: numbers[1], x2: numbers[numbers.length - 2], y2: numbers[numbers.length - 1] };
}

describe('timeline layout', () => {
  describe('given a diamond (B and C wait for A, D waits for B and C)', () => {
    const beads = ['a', 'b', 'c', 'd'].map((id) => bead(id));
    const edges = [edge('b', 'a'), edge('c', 'a'), edge('d', 'b'), edge('d', 'c')];

    it('when laid out, then A, B+C and D stand in three columns left to right with four arrows pointing right', () => {
      const layout = layoutTimeline(planTimeline(beads, edges, [['a'], ['b', 'c'], ['d']]));

      expect(layout.waves.map((w) => w.count)).toEqual([1, 2, 1]);
      expect(node(layout, 'a').x).toBeLessThan(node(layout, 'b').x);
      expect(node(layout, 'b').x).toBe(node(layout, 'c').x);
      expect(node(layout, 'c').x).toBeLessThan(node(layout, 'd').x);
      expect(layout.edges.map((e) => `${e.from}>${e.to}`).sort()).toEqual(['a>b', 'a>c', 'b>d', 'c>d']);
      for (const e of layout.edges) {
        const { x1, x2 } = ends(e.d);
        expect(x1).toBe(node(layout, e.from).x + DEFAULT_SIZES.nodeWidth);
        expect(x2).toBe(node(layout, e.to).x);
      }
    });

    it('when the server sends no waves, then the same waves are computed from the edges', () => {
      const plan = planTimeline(beads, edges, []);

      expect(plan.waves).toEqual([['a'], ['b', 'c'], ['d']]);
    });

    it('when the server waves disagree with an edge (a change raced them), then the waves are recomputed', () => {
      const plan = planTimeline(beads, edges, [['a', 'b'], ['c'], ['d']]);

      expect(plan.waves).toEqual([['a'], ['b', 'c'], ['d']]);
    });
  });

  it('given a chain, when laid out, then each bead has a column of its own on one row', () => {
    const beads = ['x', 'y', 'z'].map((id) => bead(id));
    const layout = layoutTimeline(planTimeline(beads, [edge('y', 'x'), edge('z', 'y')]));

    expect(layout.waves).toHaveLength(3);
    expect(new Set(layout.nodes.map((n) => n.y)).size).toBe(1);
    expect(layout.edges).toHaveLength(2);
  });

  it('given independent beads, when laid out, then they stack in one column in plan order with no arrow', () => {
    const beads = ['p', 'q', 'r'].map((id) => bead(id));
    const layout = layoutTimeline(planTimeline(beads, []));

    expect(layout.waves).toHaveLength(1);
    expect(layout.nodes.map((n) => n.key)).toEqual(['p', 'q', 'r']);
    expect(layout.edges).toEqual([]);
    expect(layout.width).toBe(2 * DEFAULT_SIZES.padding + DEFAULT_SIZES.nodeWidth);
  });

  it('given crossing arrows in the server order, when laid out, then the later wave is reordered to follow its blockers', () => {
    const beads = ['a1', 'a2', 'b1', 'b2'].map((id) => bead(id));
    const edges = [edge('b1', 'a2'), edge('b2', 'a1')];
    const layout = layoutTimeline(planTimeline(beads, edges, [['a1', 'a2'], ['b1', 'b2']]));

    expect(node(layout, 'b2').y).toBe(node(layout, 'a1').y);
    expect(node(layout, 'b1').y).toBe(node(layout, 'a2').y);
  });

  describe('given a fan-out: A unblocks five beads in wave 1, which all unblock Z', () => {
    const middle = ['m1', 'm2', 'm3', 'm4', 'm5'];
    const beads = [bead('a'), ...middle.map((id) => bead(id, { status: id === 'm1' ? 'CLOSED' : 'OPEN' })), bead('z')];
    const edges = [...middle.map((id) => edge(id, 'a')), ...middle.map((id) => edge('z', id))];
    const plan = planTimeline(beads, edges);

    it('when wave 1 is collapsed, then its beads give way to one box and the ten arrows become two', () => {
      const layout = layoutTimeline(plan, { collapsed: new Set([1]) });

      expect(layout.nodes.map((n) => n.key)).toEqual(['a', 'z']);
      expect(layout.collapsedWaves).toEqual([expect.objectContaining({ key: collapsedWaveKey(1), wave: 1, count: 5 })]);
      expect(layout.waves[1]).toEqual(expect.objectContaining({ collapsed: true, count: 5, counts: { CLOSED: 1, OPEN: 4 } }));
      expect(layout.edges.map((e) => e.key)).toEqual([`a>${collapsedWaveKey(1)}`, `${collapsedWaveKey(1)}>z`]);
    });

    it('when nothing is collapsed, then every arrow is drawn', () => {
      expect(layoutTimeline(plan).edges).toHaveLength(10);
    });
  });

  it(`given a wave of more than ${COLLAPSE_ABOVE} beads, then it starts collapsed and smaller waves do not`, () => {
    const wide = Array.from({ length: COLLAPSE_ABOVE + 1 }, (_, i) => bead(`w${i}`));
    const plan = planTimeline([...wide, bead('end')], wide.map((b) => edge('end', b.id)));

    expect([...defaultCollapsed(plan)]).toEqual([0]);
  });

  describe('given beads with titles, agents and states', () => {
    const beads = [
      bead('1', { title: 'Schema', status: 'CLOSED' }),
      bead('2', { title: 'API', assignee: 'nux', status: 'IN_PROGRESS' }),
      bead('3', { title: 'UI schema form' }),
      bead('4', { title: 'E2E', blocked: true, blockedReason: 'upstream failed' }),
    ];
    const plan = planTimeline(beads, [edge('2', '1'), edge('3', '1'), edge('4', '2')]);

    it('when searching a word, then the beads that contain it match, in reading order, whatever the case', () => {
      const layout = layoutTimeline(plan, { search: '  SCHEMA ' });

      expect(layout.matches).toEqual(['1', '3']);
      expect(layout.nodes.filter((n) => n.match).map((n) => n.key)).toEqual(['1', '3']);
    });

    it('when searching an agent or a state, then the beads it names match', () => {
      expect(layoutTimeline(plan, { search: 'nux' }).matches).toEqual(['2']);
      expect(layoutTimeline(plan, { search: 'blocked' }).matches).toEqual(['4']);
    });

    it('when the matching bead is in a collapsed wave, then the wave counts it', () => {
      const layout = layoutTimeline(plan, { search: 'schema form', collapsed: new Set([1]) });

      expect(layout.matches).toEqual(['3']);
      expect(layout.waves[1].matches).toBe(1);
      expect(layout.collapsedWaves[0].matches).toBe(1);
    });

    it('when the search is empty, then nothing matches', () => {
      expect(layoutTimeline(plan, { search: '  ' }).matches).toEqual([]);
    });
  });

  it('given a cycle that slipped through, when laid out, then every bead still shows', () => {
    const layout = layoutTimeline(planTimeline([bead('a'), bead('b')], [edge('a', 'b'), edge('b', 'a')]));

    expect(layout.nodes.map((n) => n.key).sort()).toEqual(['a', 'b']);
    expect(layout.edges).toEqual([]);
  });

  it('given 600 beads with 1,500 edges, when laid out, then it takes well under a second', () => {
    const count = 600;
    const beads = Array.from({ length: count }, (_, i) => bead(`b${i}`));
    const edges: TimelineEdge[] = [];
    let seed = 7;
    const next = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31);
    for (let i = 1; edges.length < 1_500; i = (i % (count - 1)) + 1) edges.push(edge(`b${i}`, `b${next() % i}`));
    const started = performance.now();

    const layout = layoutTimeline(planTimeline(beads, edges));

    expect(performance.now() - started).toBeLessThan(1_000);
    expect(layout.nodes).toHaveLength(count);
  });
});

/** A random DAG: edges only from a lower index to a higher one, so it has no cycle. */
const dags = fc
  .integer({ min: 1, max: 40 })
  .chain((n) =>
    fc.record({
      n: fc.constant(n),
      pairs: fc.uniqueArray(fc.tuple(fc.integer({ min: 0, max: n - 1 }), fc.integer({ min: 0, max: n - 1 })), {
        maxLength: 3 * n,
        selector: ([a, b]) => `${Math.min(a, b)}-${Math.max(a, b)}`,
      }),
      collapsedWaves: fc.uniqueArray(fc.integer({ min: 0, max: n - 1 }), { maxLength: 3 }),
      statuses: fc.array(fc.constantFrom('OPEN', 'IN_PROGRESS', 'IN_REVIEW', 'CLOSED', 'FAILED', 'CANCELLED') as fc.Arbitrary<TimelineBead['status']>, {
        minLength: n,
        maxLength: n,
      }),
    }),
  )
  .map(({ n, pairs, collapsedWaves, statuses }) => ({
    beads: Array.from({ length: n }, (_, i) => bead(`n${i}`, { status: statuses[i] })),
    edges: pairs.filter(([a, b]) => a !== b).map(([a, b]) => edge(`n${Math.max(a, b)}`, `n${Math.min(a, b)}`)),
    collapsed: new Set(collapsedWaves),
  }));

function overlaps(a: { x: number; y: number; width: number; height: number }, b: typeof a): boolean {
  return a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;
}

describe('timeline layout properties over random DAGs', () => {
  it('every bead is placed exactly once, or counted inside exactly one collapsed wave', () => {
    fc.assert(
      fc.property(dags, ({ beads, edges, collapsed }) => {
        const layout = layoutTimeline(planTimeline(beads, edges), { collapsed });
        const placed = layout.nodes.map((n) => n.key);
        expect(new Set(placed).size).toBe(placed.length);
        const hidden = layout.collapsedWaves.reduce((sum, w) => sum + w.count, 0);
        expect(placed.length + hidden).toBe(beads.length);
        expect(layout.waves.reduce((sum, w) => sum + w.count, 0)).toBe(beads.length);
      }),
    );
  });

  it('every edge goes strictly from left to right, from a dependency to what it unblocks', () => {
    fc.assert(
      fc.property(dags, ({ beads, edges, collapsed }) => {
        const layout = layoutTimeline(planTimeline(beads, edges), { collapsed });
        for (const e of layout.edges) {
          const { x1, x2 } = ends(e.d);
          expect(x2).toBeGreaterThan(x1);
        }
      }),
    );
  });

  it('no two boxes overlap, and every box lies inside the drawing', () => {
    fc.assert(
      fc.property(dags, ({ beads, edges, collapsed }) => {
        const layout = layoutTimeline(planTimeline(beads, edges), { collapsed });
        const boxes = [...layout.nodes, ...layout.collapsedWaves, ...layout.waves];
        for (let i = 0; i < boxes.length; i++) {
          const box = boxes[i];
          expect(box.x + box.width).toBeLessThanOrEqual(layout.width);
          expect(box.y + box.height).toBeLessThanOrEqual(layout.height);
          for (let j = i + 1; j < boxes.length; j++) expect(overlaps(box, boxes[j])).toBe(false);
        }
      }),
    );
  });

  it('an arrow that skips waves runs between rows, never across a box of the columns it passes', () => {
    fc.assert(
      fc.property(dags, ({ beads, edges, collapsed }) => {
        const layout = layoutTimeline(planTimeline(beads, edges), { collapsed });
        const boxes = [...layout.nodes, ...layout.collapsedWaves];
        for (const e of layout.edges) {
          const lane = / L(-?[\d.]+),(-?[\d.]+)/.exec(e.d);
          if (!lane) continue;
          const [xa, y] = [Number(e.d.split(' ')[3].split(',')[0]), Number(lane[2])];
          const xb = Number(lane[1]);
          for (const box of boxes) {
            const crosses = box.x < xb && xa < box.x + box.width && box.y < y && y < box.y + box.height;
            expect(crosses).toBe(false);
          }
        }
      }),
    );
  });

  it('the layout is deterministic', () => {
    fc.assert(
      fc.property(dags, fc.string({ maxLength: 3 }), ({ beads, edges, collapsed }, search) => {
        const once = layoutTimeline(planTimeline(beads, edges), { collapsed, search });
        const again = layoutTimeline(planTimeline([...beads], [...edges]), { collapsed: new Set(collapsed), search });
        expect(again).toEqual(once);
      }),
    );
  });

  it('with nothing collapsed, every dependency edge is drawn once', () => {
    fc.assert(
      fc.property(dags, ({ beads, edges }) => {
        const layout = layoutTimeline(planTimeline(beads, edges));
        expect(layout.edges).toHaveLength(edges.length);
        expect(new Set(layout.edges.map((e) => e.key)).size).toBe(edges.length);
      }),
    );
  });

  it('the server waves from @gastown/dag are kept as they are, only reordered inside', () => {
    fc.assert(
      fc.property(dags, ({ beads, edges }) => {
        const computed = planTimeline(beads, edges).waves;
        const reversed = computed.map((wave) => [...wave].reverse());
        const plan = planTimeline(beads, edges, reversed);
        expect(plan.waves.map((w) => [...w].sort())).toEqual(computed.map((w) => [...w].sort()));
      }),
    );
  });
});
