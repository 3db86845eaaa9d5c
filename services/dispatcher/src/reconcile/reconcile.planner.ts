import { jobId, type Job } from '@gastown/contracts';
import { landingStepsOf, type ConvoyView } from '@gastown/convoy-view';
import type { DispatchStateView } from '../dispatch/dispatch.state';

/**
 * Reconciliation of in-flight work, the pure part. What should be in a runner's hands is derived
 * from the event stream alone (never from what a publish returned): a dispatched attempt not yet
 * started, a submitted bead not yet merged or sent back, a rig not yet landed. Each gets one
 * deadline; work that starts (or ends) in time leaves the list before it is due, so the happy
 * path costs a timer and nothing else.
 */
export interface InFlight {
  /** The job id, which is also its message id on the jobs stream. */
  readonly key: string;
  readonly job: Job;
  /** For an agent job: the polecat the attempt was dispatched to, whom a LOST report names. */
  readonly agentId: string | null;
}

/** What the reconciler remembers of one item between checks. */
export interface Watch {
  /** When the item is next looked at (epoch ms). */
  readonly checkAt: number;
  /** Checks that found the job neither started nor anywhere on the jobs stream, each answered by a re-publish. */
  readonly republishes: number;
}

export interface ReconcileLimits {
  /**
   * How long dispatched work may take to start (an agent job) or to end (a merge or landing job)
   * before the jobs stream is looked at for it; also the pause between two looks.
   */
  startDeadlineMs: number;
  /** Re-publishes of an agent job that vanished without starting before its attempt is reported LOST. */
  maxRepublishes: number;
}

export const DEFAULT_RECONCILE_LIMITS: ReconcileLimits = { startDeadlineMs: 15_000, maxRepublishes: 2 };

/** Attempts known to have started (`BeadStarted`, which the convoy view does not keep). */
export interface StartedAttempts {
  has(beadId: string, attempt: number): boolean;
}

/**
 * The land jobs a convoy needs. A closed one needs only the pushes it granted before the close:
 * such a job records what origin holds, or that the push did not happen, and never pushes anew.
 */
function landJobsOf(view: ConvoyView): { rigId: string; phase: 'prepare' | 'push' }[] {
  if (view.status === 'CANCELLED') return [...view.landingClaims.keys()].map((rigId) => ({ rigId, phase: 'push' }));
  return landingStepsOf(view);
}

/**
 * Everything that should be in a runner's hands now. Held convoys are left alone, as the planner
 * leaves them; a closed convoy is still here while a push it granted is under way, and in it only
 * that push's merge (a bead still IN_REVIEW) or landing is.
 */
export function inFlight(state: DispatchStateView, started: StartedAttempts): InFlight[] {
  const items: InFlight[] = [];
  const add = (job: Job, agentId: string | null = null) => items.push({ key: jobId(job), job, agentId });
  for (const entry of state.convoys.values()) {
    // Nothing of a staged convoy is ever in a runner's hands.
    if (entry.held !== null || entry.view.status === 'STAGED') continue;
    const { view } = entry;
    const scope = { townId: view.townId, convoyId: view.convoyId };
    for (const bead of view.beads.values()) {
      if (bead.status !== 'IN_PROGRESS' && bead.status !== 'IN_REVIEW') continue;
      const beadScope = { ...scope, rigId: bead.rigId, beadId: bead.beadId, attempt: bead.attempt };
      if (bead.status === 'IN_PROGRESS') {
        // A started attempt is the runner's: its heartbeat and the job's ack wait cover its death.
        if (!started.has(bead.beadId, bead.attempt)) add({ kind: 'agent', ...beadScope }, bead.agent?.id ?? null);
      } else if (bead.status === 'IN_REVIEW') add({ kind: 'merge', ...beadScope });
    }
    for (const { rigId, phase } of landJobsOf(view)) add({ kind: 'land', ...scope, rigId, attempt: view.landingAttempt, phase });
  }
  return items;
}

export interface Schedule {
  /** The watches of the items still in flight; a new item's deadline counts from `now`. */
  readonly watches: Map<string, Watch>;
  /** Items whose deadline has passed: look for their jobs now. */
  readonly due: InFlight[];
  /** The next deadline after now, or null when nothing is in flight. */
  readonly nextAt: number | null;
}

/**
 * Who is watched and who is due. A deadline counts from when this process first saw the item in
 * flight — after a restart, from the end of catching up — so clocks of other services never
 * matter, and a restarted dispatcher (which publishes every job once anyway) waits one deadline.
 */
export function schedule(items: readonly InFlight[], watches: ReadonlyMap<string, Watch>, now: number, limits: ReconcileLimits): Schedule {
  const next = new Map<string, Watch>();
  const due: InFlight[] = [];
  let nextAt = Number.POSITIVE_INFINITY;
  for (const item of items) {
    const watch = watches.get(item.key) ?? { checkAt: now + limits.startDeadlineMs, republishes: 0 };
    next.set(item.key, watch);
    if (watch.checkAt <= now) due.push(item);
    else nextAt = Math.min(nextAt, watch.checkAt);
  }
  return { watches: next, due, nextAt: Number.isFinite(nextAt) ? nextAt : null };
}

export type Verdict =
  /** The job is on the stream, waiting for a free slot or in a runner's hands: its ack wait and claim cover it. */
  | { readonly kind: 'wait' }
  /** The job is gone without its work having started or ended: publish it again, same id. */
  | { readonly kind: 'republish' }
  /** An agent job that vanished again after every re-publish: its attempt is LOST, so the normal retry rules apply. */
  | { readonly kind: 'lost'; readonly reason: string };

/** What a due item needs, given whether its job is still on the jobs stream. */
export function verdict(item: InFlight, watch: Watch, jobOnStream: boolean, limits: ReconcileLimits): Verdict {
  if (jobOnStream) return { kind: 'wait' };
  // A merge or landing has no LOST: the refinery and the landing are idempotent against their
  // target, so re-publishing until one reports is always safe.
  if (item.job.kind !== 'agent' || watch.republishes < limits.maxRepublishes) return { kind: 'republish' };
  const seconds = Math.round(limits.startDeadlineMs / 1_000);
  return {
    kind: 'lost',
    reason: `its agent job did not start: it left the jobs stream unstarted ${watch.republishes + 1} times, ${seconds} s apart (published again each time)`,
  };
}

/** The watch after a check: looked at again one deadline later, re-publishes counted. */
export function afterCheck(watch: Watch, outcome: Verdict, now: number, limits: ReconcileLimits): Watch {
  return { checkAt: now + limits.startDeadlineMs, republishes: watch.republishes + (outcome.kind === 'republish' ? 1 : 0) };
}
