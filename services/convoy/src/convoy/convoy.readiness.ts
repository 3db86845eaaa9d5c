import type { NewEvent } from '@gastown/contracts';
import { clip, listTitles } from './convoy.messages';
import type { BeadState, ConvoyState } from './convoy.state';

/** How many holders a hold names; the rest is summarised, which keeps holds linear in the graph. */
const HOLDERS_NAMED = 5;

export interface Hold {
  heldBy: string[];
  /** True when more beads hold it than `heldBy` names. */
  more: boolean;
}

const isHolder = (bead: BeadState | undefined): boolean => bead?.status === 'FAILED' || bead?.status === 'CANCELLED';

function byIndex(state: ConvoyState, ids: Iterable<string>): string[] {
  const index = (id: string) => state.beads.get(id)?.index ?? Number.MAX_SAFE_INTEGER;
  return [...ids].sort((a, b) => index(a) - index(b));
}

/** The blockers of a bead that are not CLOSED yet, in index order. */
export function openBlockers(state: ConvoyState, beadId: string): BeadState[] {
  const open: BeadState[] = [];
  for (const id of state.blockers.get(beadId) ?? []) {
    const blocker = state.beads.get(id);
    if (blocker && blocker.status !== 'CLOSED') open.push(blocker);
  }
  return open.sort((a, b) => a.index - b.index);
}

function isReady(state: ConvoyState, bead: BeadState): boolean {
  return state.status === 'ACTIVE' && bead.status === 'OPEN' && openBlockers(state, bead.beadId).length === 0;
}

/** Ready bead ids in index order. */
function readyBeads(state: ConvoyState): string[] {
  const ready: string[] = [];
  for (const id of state.beadOrder) {
    const bead = state.beads.get(id);
    if (bead && isReady(state, bead)) ready.push(id);
  }
  return ready;
}

/**
 * OPEN beads downstream of a FAILED or CANCELLED bead, with the beads holding them. Holders
 * flow along depends-on edges in topological order, each bead keeping at most a few named.
 */
export function holds(state: ConvoyState): Map<string, Hold> {
  const result = new Map<string, Hold>();
  if (![...state.beads.values()].some(isHolder)) return result;

  const reach = new Map<string, Hold>();
  const remaining = new Map<string, number>();
  const queue: string[] = [];
  for (const id of state.beadOrder) {
    const count = state.blockers.get(id)?.size ?? 0;
    remaining.set(id, count);
    if (count === 0) queue.push(id);
  }
  for (let head = 0; head < queue.length; head++) {
    const id = queue[head];
    const holders = new Set<string>();
    let more = false;
    for (const blocker of state.blockers.get(id) ?? []) {
      if (isHolder(state.beads.get(blocker))) holders.add(blocker);
      const upstream = reach.get(blocker);
      if (upstream) {
        upstream.heldBy.forEach((h) => holders.add(h));
        more ||= upstream.more;
      }
    }
    if (holders.size > 0) {
      const named = byIndex(state, holders);
      const hold = { heldBy: named.slice(0, HOLDERS_NAMED), more: more || named.length > HOLDERS_NAMED };
      reach.set(id, hold);
      if (state.beads.get(id)?.status === 'OPEN') result.set(id, hold);
    }
    for (const dependent of state.dependents.get(id) ?? []) {
      const left = (remaining.get(dependent) ?? 0) - 1;
      remaining.set(dependent, left);
      if (left === 0) queue.push(dependent);
    }
  }
  return result;
}

export function holdReason(state: ConvoyState, hold: Hold): string {
  const titlesWith = (status: string) =>
    hold.heldBy.filter((id) => state.beads.get(id)?.status === status).map((id) => state.beads.get(id)?.title ?? id);
  const parts: string[] = [];
  for (const [status, word] of [
    ['FAILED', 'failed'],
    ['CANCELLED', 'cancelled'],
  ] as const) {
    const titles = titlesWith(status);
    if (titles.length > 0) parts.push(`${word} bead${titles.length > 1 ? 's' : ''} ${listTitles(titles, HOLDERS_NAMED)}`);
  }
  return `held by ${parts.join(' and ')}${hold.more ? ' and others' : ''}`;
}

/** Something can still move: an OPEN bead nobody holds, or work under way. */
function canProgress(state: ConvoyState, held: ReadonlyMap<string, unknown> = state.held): boolean {
  for (const bead of state.beads.values()) {
    if (bead.status === 'IN_PROGRESS' || bead.status === 'IN_REVIEW') return true;
    if (bead.status === 'OPEN' && !held.has(bead.beadId)) return true;
  }
  return false;
}

const sameIds = (a: readonly string[] | undefined, b: readonly string[]) =>
  a !== undefined && a.length === b.length && a.every((id, i) => id === b[i]);

/**
 * The ready and held sets the facts imply, compared with the sets the events announced so
 * far: every difference becomes a derived event.
 */
export function deriveBeadEvents(state: ConvoyState): NewEvent[] {
  const events: NewEvent[] = [];
  const ready = readyBeads(state);
  const readyNow = new Set(ready);
  const became = ready.filter((id) => !state.ready.has(id));
  const left = byIndex(
    state,
    [...state.ready].filter((id) => !readyNow.has(id)),
  );
  const heldNow = holds(state);
  const newlyHeld = byIndex(
    state,
    [...heldNow.keys()].filter((id) => !sameIds(state.held.get(id), heldNow.get(id)?.heldBy ?? [])),
  );
  const released = byIndex(
    state,
    [...state.held.keys()].filter((id) => !heldNow.has(id)),
  );
  if (became.length > 0) events.push({ type: 'BeadsBecameReady', data: { beadIds: became } });
  if (left.length > 0) events.push({ type: 'BeadsBecameUnready', data: { beadIds: left } });
  if (newlyHeld.length > 0) {
    events.push({
      type: 'BeadsHeld',
      data: {
        beads: newlyHeld.map((beadId) => {
          const hold = heldNow.get(beadId) as Hold;
          return { beadId, reason: holdReason(state, hold), heldBy: hold.heldBy };
        }),
      },
    });
  }
  if (released.length > 0) events.push({ type: 'BeadsReleased', data: { beadIds: released } });
  return events;
}

/** Rigs the convoy's beads use, in the order of their first bead. */
function rigsOfBeads(state: ConvoyState): string[] {
  const rigs = new Set<string>();
  for (const id of state.beadOrder) {
    const bead = state.beads.get(id);
    if (bead) rigs.add(bead.rigId);
  }
  return [...rigs];
}

/** A FAILED convoy that has work it can do again, after a bead was retried. */
export function deriveReactivation(state: ConvoyState): NewEvent[] {
  return state.status === 'FAILED' && canProgress(state, holds(state))
    ? [{ type: 'ConvoyReactivated', data: { status: 'ACTIVE' } }]
    : [];
}

/** The convoy status the bead statuses now imply. */
export function deriveStatusEvents(state: ConvoyState): NewEvent[] {
  const beads = [...state.beads.values()];
  if (state.status === 'LANDING') {
    const rigs = [...state.featureBranches.keys()];
    if (rigs.length === 0 || !rigs.every((rigId) => state.landings.has(rigId))) return [];
    return [
      { type: 'ConvoyLanded', data: { landings: rigs.map((rigId) => ({ rigId, commit: state.landings.get(rigId) as string })) } },
    ];
  }
  if (state.status !== 'ACTIVE' || beads.length === 0) return [];
  if (beads.every((b) => b.status === 'CLOSED')) {
    if (state.mergeMode === 'REVIEW_THEN_LAND') return [{ type: 'ConvoyReadyToLand', data: {} }];
    const landings = rigsOfBeads(state).map((rigId) => ({ rigId, commit: state.lastMerges.get(rigId) as string }));
    return [{ type: 'ConvoyLanded', data: { landings } }];
  }
  const failed = beads.filter((b) => b.status === 'FAILED').sort((a, b) => a.index - b.index);
  if (failed.length === 0 || canProgress(state)) return [];
  const subject = failed.length > 1 ? `beads ${listTitles(failed.map((b) => b.title))}` : `bead ${listTitles([failed[0].title])}`;
  return [
    {
      type: 'ConvoyFailed',
      data: { reason: clip(`${subject} failed and nothing else can progress`), failedBeadIds: failed.map((b) => b.beadId) },
    },
  ];
}
