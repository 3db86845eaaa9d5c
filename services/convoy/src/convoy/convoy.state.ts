import { beadStatusAfter, convoyStatusAfter, type AgentRef, type BeadStatus, type ConvoyStatus, type GastownEvent, type MergeMode } from '@gastown/contracts';

export interface BeadState {
  beadId: string;
  index: number;
  title: string;
  body: string;
  rigId: string;
  /** The command that created the bead, to answer a repeated SlingBatch or AddTasks. */
  createdBy: string;
  status: BeadStatus;
  /** The number of the latest attempt; it keeps counting across retries so stale reports stay recognisable. */
  attempt: number;
  /** The attempt number the current budget started after (0, or the attempt a RetryBead followed). */
  budgetStart: number;
  /** Attempts of the current budget a draining runner interrupted: they are not charged to it. */
  interrupted: number;
  started: boolean;
  agent: AgentRef | null;
  branch: string | null;
  baseBranch: string | null;
  /** The latest rework or failure reason, handed to the next attempt's agent. */
  lastReason: string | null;
  /** The merge commit the refinery was granted to push for the current attempt; null when none is under way. */
  mergeClaim: string | null;
}

export interface DispatchRecord {
  beadId: string;
  attempt: number;
  agent: AgentRef;
  branch: string;
  baseBranch: string;
}

export interface ConvoyState {
  exists: boolean;
  convoyId: string | null;
  townId: string | null;
  /** Null until the convoy is created. */
  status: ConvoyStatus | null;
  title: string;
  slug: string;
  mergeMode: MergeMode;
  staged: boolean;
  parallel: boolean;
  defaultRigId: string;
  maxAttempts: number;
  maxLandingAttempts: number;
  /** rigId → feature branch, in the order ConvoyCreated listed them. */
  featureBranches: Map<string, string>;
  beads: Map<string, BeadState>;
  /** Bead ids by index. */
  beadOrder: string[];
  /** beadId → the beads it depends on. */
  blockers: Map<string, Set<string>>;
  /** beadId → the beads that depend on it. */
  dependents: Map<string, Set<string>>;
  /** The ready set as the events announced it. */
  ready: Set<string>;
  /** beadId → the failed or cancelled beads holding it, as the events announced them. */
  held: Map<string, readonly string[]>;
  landingAttempt: number;
  landingBudgetStart: number;
  /**
   * rigId → landing commit. Never reset: a rig that landed holds the landing on its default
   * branch whatever happens to the other rigs, so a later attempt lands only the rest.
   */
  landings: Map<string, string>;
  /** rigId → the prepared merge of the landing attempt under way (reset by each attempt). */
  landingPreparations: Map<string, LandingPreparation>;
  /** Every rig not yet landed is prepared in the attempt under way: pushes may start. */
  landingPrepared: boolean;
  /** rigId → the landing commit the runner was granted to push in the attempt under way, until its outcome is recorded. */
  landingClaims: Map<string, string>;
  /** Rigs whose landing of the attempt under way was recorded as aborted by a close. */
  landingAborts: Set<string>;
  /** rigId → the latest bead merge commit. */
  lastMerges: Map<string, string>;
  /** commandId → what that DispatchBead handed out. */
  dispatches: Map<string, DispatchRecord>;
  /** batchId → the refinery's merge batches, in the order they started. */
  batches: Map<string, MergeBatchState>;
  /** Beads whose merge push was already granted when the convoy was closed: they may still be merged. */
  mergesUnderWayAtClose: string[];
  /** Rigs whose landing push was already granted when the convoy was closed: they may still land. */
  landingsUnderWayAtClose: string[];
  handledCommands: Set<string>;
}

export interface MergeBatchState {
  rigId: string;
  targetBranch: string;
  beads: readonly { beadId: string; attempt: number; mergeCommit: string }[];
  /** Until it ends (merged, split, discarded or abandoned). */
  open: boolean;
  checkRuns: number;
}

export interface LandingPreparation {
  targetTip: string;
  tree: string;
}

export function initialState(): ConvoyState {
  return {
    exists: false,
    convoyId: null,
    townId: null,
    status: null,
    title: '',
    slug: '',
    mergeMode: 'REVIEW_THEN_LAND',
    staged: false,
    parallel: false,
    defaultRigId: '',
    maxAttempts: 1,
    maxLandingAttempts: 1,
    featureBranches: new Map(),
    beads: new Map(),
    beadOrder: [],
    blockers: new Map(),
    dependents: new Map(),
    ready: new Set(),
    held: new Map(),
    landingAttempt: 0,
    landingBudgetStart: 0,
    landings: new Map(),
    landingPreparations: new Map(),
    landingPrepared: false,
    landingClaims: new Map(),
    landingAborts: new Set(),
    lastMerges: new Map(),
    dispatches: new Map(),
    batches: new Map(),
    mergesUnderWayAtClose: [],
    landingsUnderWayAtClose: [],
    handledCommands: new Set(),
  };
}

/** A copy that shares nothing mutable with the original. */
export function cloneState(state: ConvoyState): ConvoyState {
  const copySets = (m: Map<string, Set<string>>) => new Map([...m].map(([k, v]) => [k, new Set(v)]));
  return {
    ...state,
    featureBranches: new Map(state.featureBranches),
    beads: new Map([...state.beads].map(([id, bead]) => [id, { ...bead }])),
    beadOrder: [...state.beadOrder],
    blockers: copySets(state.blockers),
    dependents: copySets(state.dependents),
    ready: new Set(state.ready),
    held: new Map(state.held),
    landings: new Map(state.landings),
    landingPreparations: new Map(state.landingPreparations),
    landingClaims: new Map(state.landingClaims),
    landingAborts: new Set(state.landingAborts),
    lastMerges: new Map(state.lastMerges),
    dispatches: new Map(state.dispatches),
    batches: new Map([...state.batches].map(([id, batch]) => [id, { ...batch }])),
    handledCommands: new Set(state.handledCommands),
  };
}

function edgesOf(map: Map<string, Set<string>>, beadId: string): Set<string> {
  let edges = map.get(beadId);
  if (!edges) {
    edges = new Set();
    map.set(beadId, edges);
  }
  return edges;
}

/** Object.assign that checks the patch against the target's own fields. */
function patch<T extends object>(target: T, changes: Partial<T>): void {
  Object.assign(target, changes);
}

/** A new event type fails to compile here until evolve decides what it does to the state. */
function unhandled(event: never): never {
  throw new Error(`evolve: no case for event type ${(event as { type: string }).type}`);
}

function beadOf(state: ConvoyState, beadId: string): BeadState {
  const bead = state.beads.get(beadId);
  if (!bead) throw new Error(`evolve: event for unknown bead ${beadId}`);
  return bead;
}

/**
 * Folds one event into the state **in place** and returns it: replaying a 10,000-bead convoy
 * must stay linear, which copying per event would not. Whoever needs the state from before
 * keeps a clone (decide works on one and never touches its input).
 */
export function evolve(state: ConvoyState, event: GastownEvent): ConvoyState {
  state.handledCommands.add(event.commandId);
  switch (event.type) {
    case 'ConvoyCreated': {
      const d = event.data;
      patch(state, {
        exists: true,
        convoyId: event.convoyId,
        townId: event.townId,
        status: convoyStatusAfter(event),
        title: d.title,
        slug: d.slug,
        mergeMode: d.mergeMode,
        staged: d.staged,
        parallel: d.parallel,
        defaultRigId: d.defaultRigId,
        maxAttempts: d.maxAttempts,
        maxLandingAttempts: d.maxLandingAttempts,
        featureBranches: new Map(d.featureBranches.map((f) => [f.rigId, f.branch])),
      });
      break;
    }
    case 'BeadCreated': {
      const d = event.data;
      // The decider numbers beads densely; any other index is a corrupt stream, and taking it
      // would make beadOrder a sparse array as long as the index (2^31 loops every fold for ever).
      if (d.index !== state.beadOrder.length) {
        throw new Error(`evolve: bead ${d.beadId} has index ${d.index} where the convoy's next index is ${state.beadOrder.length}`);
      }
      state.beads.set(d.beadId, {
        beadId: d.beadId,
        index: d.index,
        title: d.title,
        body: d.body,
        rigId: d.rigId,
        createdBy: event.commandId,
        status: beadStatusAfter(event),
        attempt: 0,
        budgetStart: 0,
        interrupted: 0,
        started: false,
        agent: null,
        branch: null,
        baseBranch: null,
        lastReason: null,
        mergeClaim: null,
      });
      state.beadOrder[d.index] = d.beadId;
      const blockers = edgesOf(state.blockers, d.beadId);
      edgesOf(state.dependents, d.beadId);
      for (const blocker of d.dependsOn) {
        blockers.add(blocker);
        edgesOf(state.dependents, blocker).add(d.beadId);
      }
      break;
    }
    case 'ConvoyStarted':
      state.status = convoyStatusAfter(event);
      break;
    case 'DependencyAdded':
      edgesOf(state.blockers, event.data.beadId).add(event.data.dependsOnBeadId);
      edgesOf(state.dependents, event.data.dependsOnBeadId).add(event.data.beadId);
      break;
    case 'DependencyRemoved':
      edgesOf(state.blockers, event.data.beadId).delete(event.data.dependsOnBeadId);
      edgesOf(state.dependents, event.data.dependsOnBeadId).delete(event.data.beadId);
      break;
    case 'BeadsBecameReady':
      for (const id of event.data.beadIds) state.ready.add(id);
      break;
    case 'BeadsBecameUnready':
      for (const id of event.data.beadIds) state.ready.delete(id);
      break;
    case 'BeadsHeld':
      for (const hold of event.data.beads) state.held.set(hold.beadId, hold.heldBy);
      break;
    case 'BeadsReleased':
      for (const id of event.data.beadIds) state.held.delete(id);
      break;
    case 'BeadDispatched': {
      const d = event.data;
      patch(beadOf(state, d.beadId), {
        status: beadStatusAfter(event),
        attempt: d.attempt,
        started: false,
        agent: d.agent,
        branch: d.branch,
        baseBranch: d.baseBranch,
        mergeClaim: null,
      });
      // A dispatch leaves the ready set without a BeadsBecameUnready of its own.
      state.ready.delete(d.beadId);
      state.dispatches.set(event.commandId, {
        beadId: d.beadId,
        attempt: d.attempt,
        agent: d.agent,
        branch: d.branch,
        baseBranch: d.baseBranch,
      });
      break;
    }
    case 'BeadStarted':
      patch(beadOf(state, event.data.beadId), { status: beadStatusAfter(event), started: true });
      break;
    case 'BeadSubmitted':
      beadOf(state, event.data.beadId).status = beadStatusAfter(event);
      break;
    case 'BeadMerged': {
      const bead = beadOf(state, event.data.beadId);
      patch(bead, { status: beadStatusAfter(event), mergeClaim: null });
      state.lastMerges.set(bead.rigId, event.data.mergeCommit);
      break;
    }
    case 'BeadMergeClaimed':
      beadOf(state, event.data.beadId).mergeClaim = event.data.mergeCommit;
      break;
    case 'BeadMergeAborted':
      // Only a closed convoy aborts a merge: the bead is cancelled as the close would have.
      patch(beadOf(state, event.data.beadId), { status: beadStatusAfter(event), mergeClaim: null });
      break;
    case 'BeadReworkRequested':
      patch(beadOf(state, event.data.beadId), { status: beadStatusAfter(event), agent: null, lastReason: event.data.reason, mergeClaim: null });
      break;
    case 'BeadAttemptFailed':
    case 'BeadAgentLost':
      patch(beadOf(state, event.data.beadId), { status: beadStatusAfter(event), agent: null, lastReason: event.data.reason });
      break;
    case 'BeadAttemptInterrupted': {
      // Not the bead's failure: the next agent is not told about it as a reason.
      const bead = beadOf(state, event.data.beadId);
      patch(bead, { status: beadStatusAfter(event), agent: null, interrupted: bead.interrupted + 1 });
      break;
    }
    case 'BeadFailed':
      patch(beadOf(state, event.data.beadId), { status: beadStatusAfter(event), agent: null, lastReason: event.data.reason, mergeClaim: null });
      break;
    case 'BeadRetried': {
      const bead = beadOf(state, event.data.beadId);
      bead.status = beadStatusAfter(event);
      bead.budgetStart = bead.attempt;
      bead.interrupted = 0;
      break;
    }
    case 'BeadCancelled':
      beadOf(state, event.data.beadId).status = beadStatusAfter(event);
      break;
    case 'ConvoyReadyToLand':
      state.status = convoyStatusAfter(event);
      break;
    case 'ConvoyLandingStarted':
      state.status = convoyStatusAfter(event);
      state.landingAttempt = event.data.attempt;
      state.landingPreparations = new Map();
      state.landingPrepared = false;
      state.landingClaims = new Map();
      state.landingAborts = new Set();
      break;
    case 'RigLandingPrepared':
      state.landingPreparations.set(event.data.rigId, { targetTip: event.data.targetTip, tree: event.data.tree });
      break;
    case 'ConvoyLandingPrepared':
      state.landingPrepared = true;
      break;
    case 'RigLandingClaimed':
      state.landingClaims.set(event.data.rigId, event.data.commit);
      break;
    case 'RigLandingAborted':
      state.landingClaims.delete(event.data.rigId);
      state.landingAborts.add(event.data.rigId);
      break;
    case 'RigLanded':
      state.landings.set(event.data.rigId, event.data.commit);
      state.landingClaims.delete(event.data.rigId);
      break;
    case 'ConvoyLanded':
      state.status = convoyStatusAfter(event);
      // In review-and-merge no RigLanded precedes it: the rigs' last merges are the landing it states.
      for (const landing of event.data.landings) state.landings.set(landing.rigId, landing.commit);
      break;
    case 'ConvoyLandingFailed':
      state.status = convoyStatusAfter(event);
      // A failed attempt pushes nothing more: none of its claims is under way any longer.
      state.landingClaims = new Map();
      break;
    case 'ConvoyFailed':
      state.status = convoyStatusAfter(event);
      break;
    case 'ConvoyReactivated':
      state.status = convoyStatusAfter(event);
      if (event.data.status === 'READY_TO_LAND') state.landingBudgetStart = state.landingAttempt;
      break;
    case 'ConvoyCancelled':
      state.status = convoyStatusAfter(event);
      state.mergesUnderWayAtClose = state.beadOrder.filter((id) => {
        const bead = beadOf(state, id);
        return bead.status === 'IN_REVIEW' && bead.mergeClaim !== null;
      });
      state.landingsUnderWayAtClose = [...state.featureBranches.keys()].filter((rigId) => state.landingClaims.has(rigId));
      break;
    case 'MergeBatchStarted': {
      const { batchId, rigId, targetBranch, beads } = event.data;
      state.batches.set(batchId, { rigId, targetBranch, beads, open: true, checkRuns: 0 });
      break;
    }
    case 'MergeBatchChecked': {
      const batch = state.batches.get(event.data.batchId);
      if (batch) batch.checkRuns = Math.max(batch.checkRuns, event.data.run);
      break;
    }
    case 'MergeBatchEnded': {
      const batch = state.batches.get(event.data.batchId);
      if (batch) batch.open = false;
      break;
    }
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
  return state;
}
