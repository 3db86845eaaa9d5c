import { commandIds, jobId, type AgentRef, type CancelConvoy, type Job } from '@gastown/contracts';
import { landingStepsOf, rigsOf, type BeadView, type ConvoyView } from '@gastown/convoy-view';
import type { ConvoyEntry, DispatchStateView } from './dispatch.state';
import { idlePolecat } from './polecat.names';

/**
 * The planner: from the current state, what must exist. It is level-triggered — it does not
 * care which event arrived, only what the state now is — and pure, so every replica computes
 * the same actions with the same ids, and a restart recomputes what is still missing.
 */
export interface Dispatch {
  readonly kind: 'dispatch';
  readonly key: string;
  /** `commandIds.dispatchBead`: two replicas dispatching one attempt send one command. */
  readonly commandId: string;
  readonly townId: string;
  readonly convoyId: string;
  readonly beadId: string;
  readonly beadIndex: number;
  readonly rigId: string;
  readonly attempt: number;
  readonly agent: AgentRef;
}

export interface PublishJob {
  readonly kind: 'job';
  readonly key: string;
  readonly job: Job;
}

export interface StartLanding {
  readonly kind: 'start-landing';
  readonly key: string;
  /** `commandIds.startLanding`: one per landing attempt. */
  readonly commandId: string;
  readonly townId: string;
  readonly convoyId: string;
  readonly attempt: number;
}

export interface BroadcastCancel {
  readonly kind: 'cancel';
  readonly key: string;
  readonly cancel: CancelConvoy;
}

/** Nothing more to do now, but something becomes due at `at` (a back-off ends): plan again then. */
export interface WakeAt {
  readonly kind: 'wake';
  readonly at: number;
}

export type Effect = Dispatch | PublishJob | StartLanding | BroadcastCancel;
export type Action = Effect | WakeAt;

/** What this process has already done: each effect is carried out once per process. */
export interface Done {
  /** Keys of effects carried out, in flight or waiting for a retry: never planned again. */
  readonly effects: { has(key: string): boolean };
  /**
   * Dispatches sent (or waiting to be sent again) whose BeadDispatched is not in the state yet:
   * they hold a slot and a polecat name, or the next pass would fill the slot a second time.
   */
  readonly dispatching: Iterable<Dispatch>;
}

export const NOTHING_DONE: Done = { effects: new Set<string>(), dispatching: [] };

export interface PlanLimits {
  /**
   * Agents one town may have at work at once. Set below the runners' agent slots, so another
   * town always finds a free slot however much work this one has (see README, fair share).
   */
  maxAgentsPerTown: number;
  /**
   * The agent slots of all runners together (0: not known, no cap here). When set, no more
   * agents are dispatched than there are slots, so no town's job queues on a runner behind
   * another town's, and each free slot goes to the town with the fewest agents at work.
   */
  agentSlots: number;
  retryBaseMs: number;
  retryMaxMs: number;
  /** A cancellation younger than this is broadcast again by a freshly started dispatcher. */
  cancelReplayMs: number;
}

export const DEFAULT_PLAN_LIMITS: PlanLimits = {
  maxAgentsPerTown: 16,
  agentSlots: 0,
  retryBaseMs: 2_000,
  retryMaxMs: 60_000,
  cancelReplayMs: 5 * 60_000,
};

/** The pause after `failures` failures in a row: base·2^(failures−1), at most max; none before the first. */
export function backoffMs(failures: number, { retryBaseMs, retryMaxMs }: Pick<PlanLimits, 'retryBaseMs' | 'retryMaxMs'>): number {
  if (failures <= 0) return 0;
  return Math.min(retryBaseMs * 2 ** (failures - 1), retryMaxMs);
}

/** When a bead may be dispatched again after failed attempts (epoch ms); 0 when it may at once. */
export function beadEligibleAt(bead: BeadView, limits: PlanLimits): number {
  if (bead.consecutiveFailures <= 0 || bead.lastFailureAt === null) return 0;
  return Date.parse(bead.lastFailureAt) + backoffMs(bead.consecutiveFailures, limits);
}

export function landingEligibleAt(entry: ConvoyEntry, limits: PlanLimits): number {
  const failedAt = entry.view.lastLandingFailureAt;
  if (entry.landingFailures <= 0 || failedAt === null) return 0;
  return Date.parse(failedAt) + backoffMs(entry.landingFailures, limits);
}

const jobKey = (job: Job) => `job:${jobId(job)}`;
const cancelKey = (convoyId: string) => `cancel:${convoyId}`;

const WITH_BRANCHES = new Set(['ACTIVE', 'READY_TO_LAND', 'LANDING']);

/** A dispatch whose BeadDispatched has not been folded yet: the bead is still OPEN at the attempt before. */
export function isAwaitingDispatch(state: DispatchStateView, dispatch: Dispatch): boolean {
  const bead = state.convoys.get(dispatch.convoyId)?.view.beads.get(dispatch.beadId);
  return bead !== undefined && bead.status === 'OPEN' && bead.attempt === dispatch.attempt - 1;
}

/** Agents at work per rig and per town: beads IN_PROGRESS plus dispatches on their way. */
class Occupancy {
  private readonly perRig = new Map<string, number>();
  private readonly perTown = new Map<string, number>();
  private readonly agents = new Map<string, Set<string>>();
  total = 0;

  occupy(townId: string, rigId: string, agentId: string | undefined): void {
    this.total += 1;
    this.perRig.set(rigId, this.onRig(rigId) + 1);
    this.perTown.set(townId, this.inTown(townId) + 1);
    if (agentId === undefined) return;
    const busy = this.agents.get(rigId) ?? new Set<string>();
    busy.add(agentId);
    this.agents.set(rigId, busy);
  }

  onRig(rigId: string): number {
    return this.perRig.get(rigId) ?? 0;
  }

  inTown(townId: string): number {
    return this.perTown.get(townId) ?? 0;
  }

  busyAgents(rigId: string): ReadonlySet<string> {
    return this.agents.get(rigId) ?? new Set<string>();
  }
}

interface Candidate {
  readonly view: ConvoyView;
  readonly bead: BeadView;
  readonly readySeq: number;
}

function blockersClosed(view: ConvoyView, bead: BeadView): boolean {
  return bead.dependsOn.every((id) => view.beads.get(id)?.status === 'CLOSED');
}

/**
 * Ready in the view, and checked again here: a blocker that is not CLOSED (merged) or a hold
 * must never let a bead through, whatever the derived events said.
 */
function isDispatchable(view: ConvoyView, bead: BeadView): boolean {
  return view.status === 'ACTIVE' && bead.status === 'OPEN' && bead.ready && !bead.held && blockersClosed(view, bead);
}

export function plan(state: DispatchStateView, now: number, done: Done, limits: PlanLimits = DEFAULT_PLAN_LIMITS): Action[] {
  const actions: Action[] = [];
  let wake = Number.POSITIVE_INFINITY;
  const wakeAt = (at: number) => {
    if (at > now && at < wake) wake = at;
  };
  const effect = (action: Effect) => {
    if (!done.effects.has(action.key)) actions.push(action);
  };
  const job = (j: Job) => effect({ kind: 'job', key: jobKey(j), job: j });

  for (const c of state.cancellations.values()) {
    if (now - c.at > limits.cancelReplayMs) continue;
    effect({ kind: 'cancel', key: cancelKey(c.convoyId), cancel: { townId: c.townId, convoyId: c.convoyId, reason: c.reason } });
  }

  const occupancy = new Occupancy();
  for (const { view } of state.convoys.values()) {
    if (view.status === 'STAGED') continue;
    for (const bead of view.beads.values()) {
      if (bead.status === 'IN_PROGRESS') occupancy.occupy(view.townId, bead.rigId, bead.agent?.id);
    }
  }
  for (const d of done.dispatching) {
    if (isAwaitingDispatch(state, d)) occupancy.occupy(d.townId, d.rigId, d.agent.id);
  }

  const candidates: Candidate[] = [];
  for (const entry of state.convoys.values()) {
    const { view } = entry;
    // A closed convoy is kept only for the pushes granted before its close: reconciliation alone sees them through.
    // A staged one has no work out and none to give: passing over its beads would make every town's pass pay for a town's largest staged plan.
    if (entry.held !== null || view.status === 'CANCELLED' || view.status === 'STAGED') continue;
    const scope = { townId: view.townId, convoyId: view.convoyId };
    if (view.mergeMode === 'REVIEW_THEN_LAND' && WITH_BRANCHES.has(view.status)) {
      for (const rigId of rigsOf(view)) {
        const branch = view.featureBranches.get(rigId);
        if (branch) job({ kind: 'branch', ...scope, rigId, branch });
      }
    }
    for (const bead of view.beads.values()) {
      const beadScope = () => ({ ...scope, rigId: bead.rigId, beadId: bead.beadId, attempt: bead.attempt });
      if (bead.status === 'IN_PROGRESS') job({ kind: 'agent', ...beadScope() });
      else if (bead.status === 'IN_REVIEW') job({ kind: 'merge', ...beadScope() });
      else if (isDispatchable(view, bead)) candidates.push({ view, bead, readySeq: entry.readySeq.get(bead.beadId) ?? 0 });
    }
    if (view.status === 'READY_TO_LAND') {
      const eligibleAt = landingEligibleAt(entry, limits);
      if (now < eligibleAt) wakeAt(eligibleAt);
      else {
        const attempt = view.landingAttempt + 1;
        const commandId = commandIds.startLanding(view.convoyId, attempt);
        effect({ kind: 'start-landing', key: commandId, commandId, ...scope, attempt });
      }
    }
    for (const { rigId, phase } of landingStepsOf(view)) job({ kind: 'land', ...scope, rigId, attempt: view.landingAttempt, phase });
  }

  const earlier = (a: Candidate, b: Candidate) =>
    a.readySeq - b.readySeq || a.bead.index - b.bead.index || a.view.convoyId.localeCompare(b.view.convoyId);
  candidates.sort(earlier);
  for (const { view, bead } of fairOrder(candidates, occupancy, earlier)) {
    if (limits.agentSlots > 0 && occupancy.total >= limits.agentSlots) break;
    const attempt = bead.attempt + 1;
    const commandId = commandIds.dispatchBead(bead.beadId, attempt);
    if (done.effects.has(commandId)) continue;
    const eligibleAt = beadEligibleAt(bead, limits);
    if (now < eligibleAt) {
      wakeAt(eligibleAt);
      continue;
    }
    const rig = state.rigs.get(bead.rigId);
    if (!rig || occupancy.onRig(rig.rigId) >= rig.maxPolecats) continue;
    if (occupancy.inTown(view.townId) >= limits.maxAgentsPerTown) continue;
    const agent = idlePolecat(rig.rigId, occupancy.busyAgents(rig.rigId));
    occupancy.occupy(view.townId, rig.rigId, agent.id);
    actions.push({
      kind: 'dispatch',
      key: commandId,
      commandId,
      townId: view.townId,
      convoyId: view.convoyId,
      beadId: bead.beadId,
      beadIndex: bead.index,
      rigId: rig.rigId,
      attempt,
      agent,
    });
  }

  if (Number.isFinite(wake)) actions.push({ kind: 'wake', at: wake });
  return actions;
}

/**
 * The candidates one at a time, each taken from the town with the fewest agents at work at that
 * moment (ties: the town whose next bead became ready first), each town's own in ready order. A
 * town with many ready beads then waits behind its own work, not another town behind it. Reads
 * the occupancy as the caller fills it, so a dispatch counts before the next pick.
 */
function* fairOrder(sorted: readonly Candidate[], occupancy: Occupancy, earlier: (a: Candidate, b: Candidate) => number): Generator<Candidate> {
  const queues = new Map<string, Candidate[]>();
  for (const candidate of sorted) {
    const queue = queues.get(candidate.view.townId) ?? [];
    queue.push(candidate);
    queues.set(candidate.view.townId, queue);
  }
  while (queues.size > 0) {
    let next: { townId: string; queue: Candidate[] } | undefined;
    for (const [townId, queue] of queues) {
      const load = occupancy.inTown(townId);
      const best = next === undefined ? Infinity : occupancy.inTown(next.townId);
      if (next === undefined || load < best || (load === best && earlier(queue[0], next.queue[0]) < 0)) next = { townId, queue };
    }
    if (next === undefined) return;
    const candidate = next.queue.shift() as Candidate;
    if (next.queue.length === 0) queues.delete(next.townId);
    yield candidate;
  }
}
