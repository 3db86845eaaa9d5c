import { TERMINAL_CONVOY_STATUSES, type GastownEvent } from '@gastown/contracts';
import { applyToView, emptyConvoyView, type ConvoyView } from '@gastown/convoy-view';

/**
 * A merge or landing whose push was granted and whose outcome is not folded yet: git may hold it,
 * so even a closed convoy keeps it until its job reports (see reconciliation).
 */
export function pushesUnderWay(view: ConvoyView): boolean {
  return view.landingClaims.size > 0 || [...view.beads.values()].some((b) => b.status === 'IN_REVIEW' && b.mergeClaim !== null);
}

/**
 * What the dispatcher knows, folded from the event stream: every rig's capacity and a view of
 * every convoy that can still need something. Every replica folds the same stream, so every
 * replica holds the same state once it has caught up, and a restart loses nothing.
 */
export interface RigEntry {
  readonly townId: string;
  readonly rigId: string;
  readonly name: string;
  readonly maxPolecats: number;
}

export interface ConvoyEntry {
  readonly view: ConvoyView;
  /** Stream sequence of the commit that last made each bead ready: beads waiting longest go first. */
  readonly readySeq: Map<string, number>;
  /** Landing failures since the convoy last became ready to land by a retry: the landing back-off exponent. */
  landingFailures: number;
  /** Why the convoy is held (one of its commits could not be decoded); nothing is done for it. */
  held: string | null;
}

/** A convoy closed by a client: its agents must be stopped by every git-runner. */
export interface Cancellation {
  readonly townId: string;
  readonly convoyId: string;
  readonly reason: string;
  /** When it was cancelled (epoch ms), to tell a fresh cancellation from history. */
  readonly at: number;
}

/** What the planner reads. */
export interface DispatchStateView {
  readonly rigs: ReadonlyMap<string, RigEntry>;
  readonly convoys: ReadonlyMap<string, ConvoyEntry>;
  readonly cancellations: ReadonlyMap<string, Cancellation>;
}

export interface AppliedCommit {
  readonly subject: string;
  readonly seq: number;
  readonly events: readonly GastownEvent[];
}

/** Not applied: already applied, or on a convoy that is held or finished. */
export type ApplyOutcome = { applied: true; convoyId: string | null } | { applied: false };

export class DispatchState implements DispatchStateView {
  readonly rigs = new Map<string, RigEntry>();
  readonly convoys = new Map<string, ConvoyEntry>();
  readonly cancellations = new Map<string, Cancellation>();
  private readonly lastSeq = new Map<string, number>();
  /** Convoys dropped once terminal with nothing under way: a late event must not bring them back as an empty view. */
  private readonly finished = new Set<string>();

  apply(commit: AppliedCommit): ApplyOutcome {
    if (!this.advance(commit.subject, commit.seq) || commit.events.length === 0) return { applied: false };
    const { townId, convoyId } = commit.events[0];
    if (convoyId === null) {
      for (const event of commit.events) this.applyTownEvent(event);
      return { applied: true, convoyId: null };
    }
    if (this.finished.has(convoyId)) return { applied: false };
    const entry = this.entryOf(townId, convoyId);
    if (entry.held !== null) return { applied: false };
    for (const event of commit.events) this.applyConvoyEvent(entry, event, commit.seq);
    const { view } = entry;
    const cancelled = commit.events.find((e) => e.type === 'ConvoyCancelled');
    if (cancelled) {
      this.cancellations.set(convoyId, { townId, convoyId, reason: view.cancelReason ?? '', at: Date.parse(cancelled.occurredAt) || 0 });
    }
    // A closed convoy stays while a push granted before its close is under way: a job lost after
    // its claim must still be published again, or the bead reads IN_REVIEW for ever.
    if (TERMINAL_CONVOY_STATUSES.includes(view.status) && !pushesUnderWay(view)) {
      this.convoys.delete(convoyId);
      this.finished.add(convoyId);
    }
    return { applied: true, convoyId };
  }

  /**
   * A commit of this convoy could not be decoded: the view would be wrong from here on, so the
   * convoy gets no further commits and no actions until the operator retries or skips it.
   */
  hold(subject: string, seq: number, townId: string, convoyId: string | null, reason: string): void {
    this.advance(subject, seq);
    if (convoyId === null || this.finished.has(convoyId)) return;
    this.entryOf(townId, convoyId).held = reason;
  }

  /**
   * The operator released the held convoy: its commits after `afterSeq` are to be folded again
   * (those from the held one on were passed over while it was held).
   */
  release(subject: string, convoyId: string, afterSeq: number): void {
    const entry = this.convoys.get(convoyId);
    if (!entry) return;
    entry.held = null;
    this.lastSeq.set(subject, afterSeq);
  }

  /**
   * The operator retried a town's held commit: the town's commits after `afterSeq` are folded
   * again (those after the held one were applied already; a rig registered twice is the same rig).
   */
  rewind(subject: string, afterSeq: number): void {
    this.lastSeq.set(subject, afterSeq);
  }

  /** A commit the operator skipped: never applied, and what follows it is. */
  skip(subject: string, seq: number): void {
    this.advance(subject, seq);
  }

  /** Cancellations older than `time` are history: no agent of theirs can still be running. */
  forgetCancellationsBefore(time: number): void {
    for (const [convoyId, cancellation] of this.cancellations) {
      if (cancellation.at < time) this.cancellations.delete(convoyId);
    }
  }

  private advance(subject: string, seq: number): boolean {
    if (seq <= (this.lastSeq.get(subject) ?? 0)) return false;
    this.lastSeq.set(subject, seq);
    return true;
  }

  private entryOf(townId: string, convoyId: string): ConvoyEntry {
    let entry = this.convoys.get(convoyId);
    if (!entry) {
      entry = { view: emptyConvoyView(townId, convoyId), readySeq: new Map(), landingFailures: 0, held: null };
      this.convoys.set(convoyId, entry);
    }
    return entry;
  }

  private applyTownEvent(event: GastownEvent): void {
    if (event.type !== 'RigRegistered') return;
    const { rigId, name, config } = event.data;
    this.rigs.set(rigId, { townId: event.townId, rigId, name, maxPolecats: config.maxPolecats });
  }

  private applyConvoyEvent(entry: ConvoyEntry, event: GastownEvent, seq: number): void {
    switch (event.type) {
      case 'BeadsBecameReady':
        for (const beadId of event.data.beadIds) entry.readySeq.set(beadId, seq);
        break;
      case 'ConvoyLandingFailed':
        entry.landingFailures += 1;
        break;
      case 'ConvoyReactivated':
        entry.landingFailures = 0;
        break;
      default:
        break;
    }
    applyToView(entry.view, event);
  }
}
