import { beadStatusAfter, convoyStatusAfter, type AgentRef, type BeadStatus, type ConvoyStatus, type GastownEvent, type MergeMode } from '@gastown/contracts';

/**
 * What the execution services need to know about one convoy, folded from its events. The
 * convoy service's decider remains the only judge of what may happen next; this view only
 * reads what has happened, so a dispatcher or a runner can check that a job still applies.
 */
export interface BeadView {
  beadId: string;
  index: number;
  title: string;
  body: string;
  rigId: string;
  dependsOn: string[];
  status: BeadStatus;
  ready: boolean;
  held: boolean;
  /** The current (or last) attempt; 0 before the first dispatch. */
  attempt: number;
  agent: AgentRef | null;
  branch: string | null;
  baseBranch: string | null;
  /** Why the previous attempt ended without a merge, for the next attempt's prompt. */
  previousReason: string | null;
  headCommit: string | null;
  mergeCommit: string | null;
  /** The merge the refinery was granted to push for this attempt: in a closed convoy, only it may still land. */
  mergeClaim: string | null;
  /** When the last attempt failed or was lost: the start of the dispatcher's back-off. */
  lastFailureAt: string | null;
  /** Failures in a row since the last retry or success, for the back-off exponent. */
  consecutiveFailures: number;
  /** When the current attempt was submitted: the refinery's queue order. */
  submittedAt: string | null;
}

export interface ConvoyView {
  townId: string;
  convoyId: string;
  title: string;
  slug: string;
  status: ConvoyStatus;
  mergeMode: MergeMode;
  defaultRigId: string;
  featureBranches: Map<string, string>;
  beads: Map<string, BeadView>;
  landingAttempt: number;
  landings: Map<string, string>;
  /** rigId → the prepared landing (target tip and merged tree) of the attempt under way. */
  landingPreparations: Map<string, { targetTip: string; tree: string }>;
  /** Every rig not yet landed is prepared in the attempt under way: its pushes may start. */
  landingPrepared: boolean;
  /** rigId → the landing commit a runner was granted to push in the attempt under way: in a closed convoy, only it may still land. */
  landingClaims: Map<string, string>;
  /** When the last landing attempt failed, for the landing back-off. */
  lastLandingFailureAt: string | null;
  cancelReason: string | null;
}

export function emptyConvoyView(townId: string, convoyId: string): ConvoyView {
  return {
    townId,
    convoyId,
    title: '',
    slug: '',
    status: 'STAGED',
    mergeMode: 'REVIEW_THEN_LAND',
    defaultRigId: '',
    featureBranches: new Map(),
    beads: new Map(),
    landingAttempt: 0,
    landings: new Map(),
    landingPreparations: new Map(),
    landingPrepared: false,
    landingClaims: new Map(),
    lastLandingFailureAt: null,
    cancelReason: null,
  };
}

/** Applies one event in place (a 10,000-bead convoy is folded once, not copied per event). */
export function applyToView(view: ConvoyView, event: GastownEvent): ConvoyView {
  const bead = (id: string): BeadView | undefined => view.beads.get(id);
  switch (event.type) {
    case 'ConvoyCreated': {
      const d = event.data;
      Object.assign(view, {
        title: d.title,
        slug: d.slug,
        status: convoyStatusAfter(event),
        mergeMode: d.mergeMode,
        defaultRigId: d.defaultRigId,
        featureBranches: new Map(d.featureBranches.map((f) => [f.rigId, f.branch])),
      });
      break;
    }
    case 'BeadCreated': {
      const d = event.data;
      view.beads.set(d.beadId, {
        beadId: d.beadId,
        index: d.index,
        title: d.title,
        body: d.body,
        rigId: d.rigId,
        dependsOn: [...d.dependsOn],
        status: beadStatusAfter(event),
        ready: false,
        held: false,
        attempt: 0,
        agent: null,
        branch: null,
        baseBranch: null,
        previousReason: null,
        headCommit: null,
        mergeCommit: null,
        mergeClaim: null,
        lastFailureAt: null,
        consecutiveFailures: 0,
        submittedAt: null,
      });
      break;
    }
    case 'ConvoyStarted':
      view.status = convoyStatusAfter(event);
      break;
    case 'DependencyAdded': {
      const b = bead(event.data.beadId);
      if (b && !b.dependsOn.includes(event.data.dependsOnBeadId)) b.dependsOn.push(event.data.dependsOnBeadId);
      break;
    }
    case 'DependencyRemoved': {
      const b = bead(event.data.beadId);
      if (b) b.dependsOn = b.dependsOn.filter((d) => d !== event.data.dependsOnBeadId);
      break;
    }
    case 'BeadsBecameReady':
      for (const id of event.data.beadIds) setReady(bead(id), true);
      break;
    case 'BeadsBecameUnready':
      for (const id of event.data.beadIds) setReady(bead(id), false);
      break;
    case 'BeadsHeld':
      for (const h of event.data.beads) {
        const b = bead(h.beadId);
        if (b) b.held = true;
      }
      break;
    case 'BeadsReleased':
      for (const id of event.data.beadIds) {
        const b = bead(id);
        if (b) b.held = false;
      }
      break;
    case 'BeadDispatched': {
      const b = bead(event.data.beadId);
      if (b) {
        Object.assign(b, {
          status: beadStatusAfter(event),
          ready: false,
          attempt: event.data.attempt,
          agent: event.data.agent,
          branch: event.data.branch,
          baseBranch: event.data.baseBranch,
          previousReason: event.data.previousReason,
          headCommit: null,
          mergeClaim: null,
        });
      }
      break;
    }
    case 'BeadSubmitted': {
      const b = bead(event.data.beadId);
      if (b) Object.assign(b, { status: beadStatusAfter(event), headCommit: event.data.headCommit, branch: event.data.branch, submittedAt: event.occurredAt });
      break;
    }
    case 'BeadMerged': {
      const b = bead(event.data.beadId);
      if (b) Object.assign(b, { status: beadStatusAfter(event), mergeCommit: event.data.mergeCommit, mergeClaim: null, agent: null, consecutiveFailures: 0 });
      break;
    }
    case 'BeadMergeClaimed': {
      const b = bead(event.data.beadId);
      if (b) b.mergeClaim = event.data.mergeCommit;
      break;
    }
    case 'BeadMergeAborted': {
      const b = bead(event.data.beadId);
      if (b) Object.assign(b, { status: beadStatusAfter(event), ready: false, agent: null, mergeClaim: null });
      break;
    }
    case 'BeadReworkRequested': {
      const b = bead(event.data.beadId);
      if (b) Object.assign(b, { status: beadStatusAfter(event), previousReason: event.data.reason, agent: null, mergeClaim: null });
      break;
    }
    case 'BeadAttemptFailed':
    case 'BeadAgentLost': {
      const b = bead(event.data.beadId);
      if (b) {
        Object.assign(b, {
          status: beadStatusAfter(event),
          previousReason: event.data.reason,
          agent: null,
          lastFailureAt: event.occurredAt,
          consecutiveFailures: b.consecutiveFailures + 1,
        });
      }
      break;
    }
    case 'BeadAttemptInterrupted': {
      // Its runner stopped: dispatched again at once, no back-off and no new reason for the prompt.
      const b = bead(event.data.beadId);
      if (b) Object.assign(b, { status: beadStatusAfter(event), agent: null });
      break;
    }
    case 'BeadFailed': {
      const b = bead(event.data.beadId);
      if (b) Object.assign(b, { status: beadStatusAfter(event), ready: false, previousReason: event.data.reason, agent: null, lastFailureAt: event.occurredAt });
      break;
    }
    case 'BeadRetried': {
      const b = bead(event.data.beadId);
      if (b) Object.assign(b, { status: beadStatusAfter(event), consecutiveFailures: 0, lastFailureAt: null });
      break;
    }
    case 'BeadCancelled': {
      const b = bead(event.data.beadId);
      if (b) Object.assign(b, { status: beadStatusAfter(event), ready: false, agent: null });
      break;
    }
    case 'ConvoyReadyToLand':
      view.status = convoyStatusAfter(event);
      break;
    case 'ConvoyLandingStarted':
      view.status = convoyStatusAfter(event);
      view.landingAttempt = event.data.attempt;
      view.landingPreparations = new Map();
      view.landingPrepared = false;
      view.landingClaims = new Map();
      break;
    case 'RigLandingPrepared':
      view.landingPreparations.set(event.data.rigId, { targetTip: event.data.targetTip, tree: event.data.tree });
      break;
    case 'ConvoyLandingPrepared':
      view.landingPrepared = true;
      break;
    case 'RigLandingClaimed':
      view.landingClaims.set(event.data.rigId, event.data.commit);
      break;
    case 'RigLandingAborted':
      view.landingClaims.delete(event.data.rigId);
      break;
    case 'RigLanded':
      view.landings.set(event.data.rigId, event.data.commit);
      view.landingClaims.delete(event.data.rigId);
      break;
    case 'ConvoyLanded':
      view.status = convoyStatusAfter(event);
      for (const l of event.data.landings) view.landings.set(l.rigId, l.commit);
      break;
    case 'ConvoyLandingFailed':
      view.status = convoyStatusAfter(event);
      view.lastLandingFailureAt = event.occurredAt;
      view.landingClaims = new Map();
      break;
    case 'ConvoyFailed':
      view.status = convoyStatusAfter(event);
      break;
    case 'ConvoyReactivated':
      view.status = convoyStatusAfter(event);
      break;
    case 'ConvoyCancelled':
      view.status = convoyStatusAfter(event);
      view.cancelReason = event.data.reason;
      break;
    case 'BeadStarted': {
      const b = bead(event.data.beadId);
      if (b) b.status = beadStatusAfter(event);
      break;
    }
    // The refinery decides its batches from the beads in review, never from its own past batches.
    case 'MergeBatchStarted':
    case 'MergeBatchChecked':
    case 'MergeBatchEnded':
      break;
    // A town's own events change no convoy.
    case 'TownCreated':
    case 'RigRegistered':
    case 'RigCredentialsSet':
    case 'RigCredentialsCleared':
    case 'WebhookAdded':
    case 'WebhookRemoved':
      break;
    default:
      return unhandled(event);
  }
  return view;
}

/** A new event type fails to compile here until the view decides what it does to a convoy. */
function unhandled(event: never): never {
  throw new Error(`applyToView: no case for event type ${(event as { type: string }).type}`);
}

function setReady(bead: BeadView | undefined, ready: boolean): void {
  if (bead) bead.ready = ready;
}

export function foldConvoy(townId: string, convoyId: string, events: Iterable<GastownEvent>): ConvoyView {
  const view = emptyConvoyView(townId, convoyId);
  for (const event of events) applyToView(view, event);
  return view;
}

/** The rigs a convoy's beads work on (each needs its feature branch and its landing). */
export function rigsOf(view: ConvoyView): string[] {
  return [...new Set([...view.beads.values()].map((b) => b.rigId))];
}

/** Where a bead's work is merged: the rig's feature branch, or its default branch in review-and-merge. */
export function targetBranchOf(view: ConvoyView, bead: BeadView, defaultBranch: string): string {
  return view.mergeMode === 'REVIEW_THEN_LAND' ? (view.featureBranches.get(bead.rigId) ?? defaultBranch) : defaultBranch;
}

/**
 * The land jobs a LANDING convoy needs now. Every rig not yet landed is prepared first (merge and
 * checks, nothing pushed); once all are, the pushes go rig by rig, so a push that fails leaves the
 * rigs after it untouched.
 */
export function landingStepsOf(view: ConvoyView): { rigId: string; phase: 'prepare' | 'push' }[] {
  if (view.status !== 'LANDING') return [];
  const rest = rigsOf(view).filter((rigId) => !view.landings.has(rigId));
  if (!view.landingPrepared) return rest.filter((rigId) => !view.landingPreparations.has(rigId)).map((rigId) => ({ rigId, phase: 'prepare' }));
  return rest.slice(0, 1).map((rigId) => ({ rigId, phase: 'push' }));
}
