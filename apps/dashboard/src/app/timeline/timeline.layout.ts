import { wavesById } from '@gastown/dag';
import { STATE_LABEL, beadState, type BeadState, type BeadStatus } from '../gateway/gateway.types';

/** What the timeline needs of a bead. */
export interface TimelineBead {
  readonly id: string;
  readonly title: string;
  readonly status: BeadStatus;
  readonly blocked: boolean;
  readonly blockedReason: string | null;
  readonly assignee: string | null;
  readonly rigId: string;
  /** Shown on the chip and searched; left out when the convoy has a single rig. */
  readonly rigName?: string | null;
}

/** beadId waits for dependsOnBeadId, so the arrow runs from dependsOnBeadId to beadId. */
export interface TimelineEdge {
  readonly beadId: string;
  readonly dependsOnBeadId: string;
}

/**
 * Waves and their order inside, which depend on the graph only: searching, zooming or
 * collapsing never reshuffles the chips a reader has found their way around.
 */
export interface TimelinePlan {
  readonly waves: readonly (readonly string[])[];
  readonly beads: ReadonlyMap<string, TimelineBead>;
  readonly waveOf: ReadonlyMap<string, number>;
  /** Edges between known beads, each once, every one from an earlier wave to a later one. */
  readonly edges: readonly TimelineEdge[];
}

export interface TimelineSizes {
  readonly nodeWidth: number;
  readonly nodeHeight: number;
  readonly columnGap: number;
  readonly rowGap: number;
  readonly headerHeight: number;
  readonly padding: number;
}

export const DEFAULT_SIZES: TimelineSizes = { nodeWidth: 208, nodeHeight: 50, columnGap: 56, rowGap: 10, headerHeight: 58, padding: 12 };

/**
 * Waves larger than this start collapsed. Forty chips already make a column about 2,400 px
 * tall; past that one wide wave (a fan-out of hundreds of independent beads) dwarfs the rest of
 * the graph, buries the other waves' arrows in a single fan and puts most of the page's DOM in
 * one column, while its header still tells how many beads it holds and in which state.
 */
export const COLLAPSE_ABOVE = 40;

export interface LayoutOptions {
  readonly collapsed?: ReadonlySet<number>;
  readonly search?: string;
  readonly sizes?: Partial<TimelineSizes>;
}

interface Box {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

export interface PositionedBead extends Box {
  readonly key: string;
  readonly bead: TimelineBead;
  readonly state: BeadState;
  readonly wave: number;
  readonly row: number;
  readonly match: boolean;
}

/** A collapsed wave stands in for its beads as one box; arrows to or from them meet it instead. */
export interface CollapsedWave extends Box {
  readonly key: string;
  readonly wave: number;
  readonly count: number;
  readonly matches: number;
}

export interface WaveHeader {
  readonly index: number;
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
  readonly count: number;
  readonly counts: Readonly<Partial<Record<BeadState, number>>>;
  readonly collapsed: boolean;
  readonly matches: number;
}

export interface EdgePath {
  readonly key: string;
  /** Node keys: a bead id, or a collapsed wave's key. */
  readonly from: string;
  readonly to: string;
  readonly d: string;
}

export interface TimelineLayout {
  readonly nodes: readonly PositionedBead[];
  readonly collapsedWaves: readonly CollapsedWave[];
  readonly waves: readonly WaveHeader[];
  readonly edges: readonly EdgePath[];
  readonly width: number;
  readonly height: number;
  /** Ids of the beads the search finds, in reading order (wave, then row), collapsed ones included. */
  readonly matches: readonly string[];
}

const SWEEPS = 4;

export function collapsedWaveKey(wave: number): string {
  return `wave#${wave}`;
}

/** The waves to collapse when the reader has not chosen: the ones too big to read as a column. */
export function defaultCollapsed(plan: TimelinePlan): Set<number> {
  const collapsed = new Set<number>();
  plan.waves.forEach((wave, index) => {
    if (wave.length > COLLAPSE_ABOVE) collapsed.add(index);
  });
  return collapsed;
}

/**
 * Puts beads in waves (the server's when they are consistent with the edges, otherwise computed
 * here) and orders each wave by a few barycenter sweeps so that arrows cross less.
 */
export function planTimeline(
  beads: readonly TimelineBead[],
  edges: readonly TimelineEdge[],
  serverWaves: readonly (readonly string[])[] = [],
): TimelinePlan {
  const byId = new Map(beads.map((b) => [b.id, b]));
  const known = uniqueEdges(edges.filter((e) => byId.has(e.beadId) && byId.has(e.dependsOnBeadId) && e.beadId !== e.dependsOnBeadId));
  const waves = consistentWaves(byId, known, serverWaves) ?? computedWaves(beads, known);
  const waveOf = new Map<string, number>();
  waves.forEach((wave, index) => wave.forEach((id) => waveOf.set(id, index)));
  const forward = known.filter((e) => (waveOf.get(e.dependsOnBeadId) ?? 0) < (waveOf.get(e.beadId) ?? 0));
  return { waves: orderWaves(waves, forward), beads: byId, waveOf, edges: forward };
}

export function layoutTimeline(plan: TimelinePlan, options: LayoutOptions = {}): TimelineLayout {
  const size = { ...DEFAULT_SIZES, ...options.sizes };
  const collapsed = options.collapsed ?? new Set<number>();
  const query = (options.search ?? '').trim().toLowerCase();
  const columnX = (wave: number) => size.padding + wave * (size.nodeWidth + size.columnGap);
  const top = size.padding + size.headerHeight + size.rowGap;

  const nodes: PositionedBead[] = [];
  const collapsedWaves: CollapsedWave[] = [];
  const headers: WaveHeader[] = [];
  const boxes = new Map<string, Box>();
  const keyOf = new Map<string, string>();
  const matches: string[] = [];
  let bottom = top;

  plan.waves.forEach((wave, index) => {
    const x = columnX(index);
    const isCollapsed = collapsed.has(index);
    const counts: Partial<Record<BeadState, number>> = {};
    let waveMatches = 0;
    wave.forEach((id, row) => {
      const bead = plan.beads.get(id) as TimelineBead;
      const state = beadState(bead);
      counts[state] = (counts[state] ?? 0) + 1;
      const match = query !== '' && matchesQuery(bead, state, query);
      if (match) {
        matches.push(id);
        waveMatches++;
      }
      if (isCollapsed) {
        keyOf.set(id, collapsedWaveKey(index));
        return;
      }
      const node = { key: id, bead, state, wave: index, row, match, x, y: top + row * (size.nodeHeight + size.rowGap), width: size.nodeWidth, height: size.nodeHeight };
      nodes.push(node);
      boxes.set(id, node);
      keyOf.set(id, id);
      bottom = Math.max(bottom, node.y + node.height);
    });
    if (isCollapsed) {
      const box = { key: collapsedWaveKey(index), wave: index, count: wave.length, matches: waveMatches, x, y: top, width: size.nodeWidth, height: 2 * size.nodeHeight + size.rowGap };
      collapsedWaves.push(box);
      boxes.set(box.key, box);
      bottom = Math.max(bottom, box.y + box.height);
    }
    headers.push({ index, x, y: size.padding, width: size.nodeWidth, height: size.headerHeight, count: wave.length, counts, collapsed: isCollapsed, matches: waveMatches });
  });

  const edges: EdgePath[] = [];
  const drawn = new Set<string>();
  const lanes: Lanes = { top, pitch: size.nodeHeight + size.rowGap, gap: size.rowGap, columnX, collapsed, nodeWidth: size.nodeWidth };
  for (const edge of plan.edges) {
    const from = keyOf.get(edge.dependsOnBeadId) as string;
    const to = keyOf.get(edge.beadId) as string;
    const key = `${from}>${to}`;
    if (drawn.has(key)) continue;
    drawn.add(key);
    const span = { from: plan.waveOf.get(edge.dependsOnBeadId) as number, to: plan.waveOf.get(edge.beadId) as number };
    edges.push({ key, from, to, d: route(boxes.get(from) as Box, boxes.get(to) as Box, span, lanes, size.columnGap) });
  }

  const columns = plan.waves.length;
  const width = 2 * size.padding + Math.max(0, columns * size.nodeWidth + (columns - 1) * size.columnGap);
  return { nodes, collapsedWaves, waves: headers, edges, width, height: bottom + size.padding, matches };
}

function matchesQuery(bead: TimelineBead, state: BeadState, query: string): boolean {
  return [bead.title, bead.id, bead.assignee ?? '', bead.rigName ?? '', STATE_LABEL[state]].some((text) => text.toLowerCase().includes(query));
}

interface Lanes {
  readonly top: number;
  readonly pitch: number;
  readonly gap: number;
  readonly nodeWidth: number;
  readonly columnX: (wave: number) => number;
  readonly collapsed: ReadonlySet<number>;
}

/**
 * From the right edge of the dependency to the left edge of the bead it unblocks. An arrow that
 * skips waves runs through the columns in between along a gap between two rows (the gap nearest
 * the middle of its ends, or the one above the first row when a collapsed box fills that gap),
 * so it never hides behind a chip it has nothing to do with.
 */
function route(from: Box, to: Box, span: { from: number; to: number }, lanes: Lanes, gap: number): string {
  const x1 = from.x + from.width;
  const y1 = from.y + from.height / 2;
  const x2 = to.x;
  const y2 = to.y + to.height / 2;
  const bend = gap / 2;
  if (span.to - span.from <= 1) return `M${x1},${y1} C${x1 + bend},${y1} ${x2 - bend},${y2} ${x2},${y2}`;
  let boundary = Math.max(0, Math.round(((y1 + y2) / 2 - lanes.top) / lanes.pitch));
  for (let wave = span.from + 1; wave < span.to && boundary === 1; wave++) if (lanes.collapsed.has(wave)) boundary = 0;
  const lane = lanes.top + boundary * lanes.pitch - lanes.gap / 2;
  const xa = lanes.columnX(span.from + 1);
  const xb = lanes.columnX(span.to - 1) + lanes.nodeWidth;
  return `M${x1},${y1} C${x1 + bend},${y1} ${xa - bend},${lane} ${xa},${lane} L${xb},${lane} C${xb + bend},${lane} ${x2 - bend},${y2} ${x2},${y2}`;
}

function uniqueEdges(edges: readonly TimelineEdge[]): TimelineEdge[] {
  const seen = new Set<string>();
  return edges.filter((e) => {
    const key = `${e.dependsOnBeadId}>${e.beadId}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** The server's waves, unless a live change raced them (a bead missing, an edge pointing back). */
function consistentWaves(
  beads: ReadonlyMap<string, TimelineBead>,
  edges: readonly TimelineEdge[],
  waves: readonly (readonly string[])[],
): string[][] | null {
  const waveOf = new Map<string, number>();
  const nonEmpty = waves.filter((w) => w.length > 0);
  for (const [index, wave] of nonEmpty.entries()) {
    for (const id of wave) {
      if (!beads.has(id) || waveOf.has(id)) return null;
      waveOf.set(id, index);
    }
  }
  if (waveOf.size !== beads.size) return null;
  const forward = edges.every((e) => (waveOf.get(e.dependsOnBeadId) as number) < (waveOf.get(e.beadId) as number));
  return forward ? nonEmpty.map((w) => [...w]) : null;
}

function computedWaves(beads: readonly TimelineBead[], edges: readonly TimelineEdge[]): string[][] {
  const ids = [...new Set(beads.map((b) => b.id))];
  try {
    return wavesById(ids, edges);
  } catch {
    // The gateway refuses cycles; should one slip through, every bead still shows, in one wave.
    return ids.length > 0 ? [ids] : [];
  }
}

/**
 * Barycenter heuristic: alternately (left to right, then right to left) each bead moves to the
 * mean relative position of its neighbours in the waves already placed. Beads without such
 * neighbours keep their place, and ties keep the previous order, so the result is deterministic.
 */
function orderWaves(waves: readonly string[][], edges: readonly TimelineEdge[]): string[][] {
  const index = new Map<string, number>();
  const ids: string[] = [];
  for (const wave of waves) for (const id of wave) index.set(id, ids.push(id) - 1);
  const blockers: number[][] = ids.map(() => []);
  const unblocks: number[][] = ids.map(() => []);
  for (const e of edges) {
    const bead = index.get(e.beadId) as number;
    const dependency = index.get(e.dependsOnBeadId) as number;
    blockers[bead].push(dependency);
    unblocks[dependency].push(bead);
  }
  const layers = waves.map((wave) => wave.map((id) => index.get(id) as number));
  const position = new Float64Array(ids.length);
  const place = (layer: number[]) => layer.forEach((node, row) => (position[node] = (row + 0.5) / layer.length));
  layers.forEach(place);

  const reorder = (layer: number[], neighbours: number[][]): number[] => {
    const keyed = layer.map((node, row) => {
      const around = neighbours[node];
      let sum = 0;
      for (const other of around) sum += position[other];
      return { node, row, at: around.length > 0 ? sum / around.length : position[node] };
    });
    keyed.sort((a, b) => a.at - b.at || a.row - b.row);
    const ordered = keyed.map((k) => k.node);
    place(ordered);
    return ordered;
  };

  for (let sweep = 0; sweep < SWEEPS; sweep++) {
    if (sweep % 2 === 0) {
      for (let k = 1; k < layers.length; k++) layers[k] = reorder(layers[k], blockers);
    } else {
      for (let k = layers.length - 2; k >= 0; k--) layers[k] = reorder(layers[k], unblocks);
    }
  }
  return layers.map((layer) => layer.map((node) => ids[node]));
}
