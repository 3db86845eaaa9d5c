import {
  beadIdFor,
  DEFAULT_TOWN_LIMITS,
  redactAgentResult,
  storableText,
  TEXT_LIMITS,
  textProblem,
  unstoredEnvelopes,
  type AgentResult,
  type BeadStatus,
  type ConvoyCommand,
  type ConvoyCommandOf,
  type ConvoyCommandType,
  type MergeMode,
  type NewEvent,
} from '@gastown/contracts';
import type { Decision } from '../decider/decider.decision';
import { DomainError, rejectInput, type InputError } from '../decider/decider.error';
import { clip, counted, listTitles, quote } from './convoy.messages';
import { beadBranchName, featureBranchName, slugify } from './convoy.naming';
import { assertAcyclic, assertNotFlat, assertPlanSize, checkTasks, type PlannedTask } from './convoy.plan';
import {
  deriveBeadEvents,
  deriveReactivation,
  deriveStatusEvents,
  holdReason,
  openBlockers,
} from './convoy.readiness';
import { cloneState, evolve, type BeadState, type ConvoyState } from './convoy.state';

export type { Decision } from '../decider/decider.decision';
export { progressOf, type ConvoyProgress } from './convoy.progress';
export { cloneState, evolve, initialState, type BeadState, type ConvoyState } from './convoy.state';

export interface RigInfo {
  name: string;
  defaultBranch: string;
}

export interface DecideContext {
  /** When the decision is made; stamped on the events decide folds internally. */
  now: string;
  /** The rigs of the command's town; rigs of other towns are simply absent. */
  rigs: ReadonlyMap<string, RigInfo>;
  maxTasks: number;
  /** Dependency edges one convoy may hold, however they were added. */
  maxEdges: number;
  /** Recorded in ConvoyCreated; later decisions use the convoy's recorded value. */
  maxAttempts: number;
  /** Recorded in ConvoyCreated; later decisions use the convoy's recorded value. */
  maxLandingAttempts: number;
  /** The most a plan's decision (SlingBatch, Sling, AddTasks) may weigh, JSON-encoded. */
  maxPlanBytes: number;
}

export const DEFAULT_LIMITS = {
  maxTasks: DEFAULT_TOWN_LIMITS.maxTasks,
  maxEdges: DEFAULT_TOWN_LIMITS.maxEdges,
  maxAttempts: 3, maxLandingAttempts: 3,
  maxPlanBytes: 8 * 1024 * 1024,
} as const;

export function createDecideContext(
  input: Pick<DecideContext, 'now' | 'rigs'> & Partial<Pick<DecideContext, keyof typeof DEFAULT_LIMITS>>,
): DecideContext {
  return { ...DEFAULT_LIMITS, ...input };
}

const REASON_LENGTH = TEXT_LIMITS.reason;
const COMMIT = /^[0-9a-f]{40}([0-9a-f]{24})?$/;
const NOT_A_TOWN_RIG = 'is not a rig of this town';

/**
 * Decides a command against the state of its convoy. The command's own events come first,
 * then the events derived by comparing the state before and after them: readiness and holds
 * of beads, then the convoy's status. Throws DomainError; never touches `state`.
 */
export function decide(command: ConvoyCommand, state: ConvoyState, ctx: DecideContext): Decision {
  if (state.handledCommands.has(command.commandId)) {
    return { events: [], result: resultOf(command, state), duplicate: true };
  }
  const primary = decidePrimary(command, state, ctx);
  if (primary.length === 0) return { events: [], result: resultOf(command, state), duplicate: false };

  const next = cloneState(state);
  const apply = (events: NewEvent[]) => {
    for (const event of unstoredEnvelopes(events, command, ctx.now)) evolve(next, event);
    return events;
  };
  apply(primary);
  // A reactivated convoy is ACTIVE before readiness is judged, though its event is written last.
  const reactivation = apply(deriveReactivation(next));
  const beadEvents = apply(deriveBeadEvents(next));
  const statusEvents = apply(deriveStatusEvents(next));
  return {
    events: [...primary, ...beadEvents, ...reactivation, ...statusEvents],
    result: resultOf(command, next),
    duplicate: false,
  };
}

function decidePrimary(command: ConvoyCommand, state: ConvoyState, ctx: DecideContext): NewEvent[] {
  switch (command.type) {
    case 'SlingBatch':
      return slingBatch(command, state, ctx);
    case 'Sling':
      return sling(command, state, ctx);
    case 'AddTasks':
      return addTasks(command, state, ctx);
    case 'StartConvoy':
      requireLiveConvoy(state, command);
      // Starting twice is a client bug worth hearing about; a retry of the same command id is not.
      if (state.status !== 'STAGED') {
        throw DomainError.conflict(`StartConvoy needs convoy ${quote(state.title)} STAGED (it is ${state.status})`);
      }
      return [{ type: 'ConvoyStarted', data: {} }];
    case 'CloseConvoy':
      return closeConvoy(command, state);
    case 'AddDependency':
    case 'RemoveDependency':
      return editDependency(command, state, ctx);
    case 'RetryBead': {
      requireLiveConvoy(state, command);
      const bead = requireBead(state, command.data.beadId);
      requireStatus(bead, ['FAILED'], command.type);
      return [{ type: 'BeadRetried', data: { beadId: bead.beadId } }];
    }
    case 'DispatchBead':
      return dispatchBead(command, state, ctx);
    case 'MarkBeadStarted': {
      const bead = requireAttemptBead(state, command, ['IN_PROGRESS']);
      return bead.started ? [] : [{ type: 'BeadStarted', data: { beadId: bead.beadId, attempt: bead.attempt } }];
    }
    case 'SubmitBead': {
      const bead = requireAttemptBead(state, command, ['IN_PROGRESS']);
      const headCommit = requireCommit(command.data.headCommit, 'headCommit');
      if (command.data.branch !== bead.branch) {
        throw DomainError.badInput(
          `branch ${quote(command.data.branch)} is not the branch bead ${quote(bead.title)} was dispatched on (${quote(bead.branch ?? '')})`,
          { path: ['branch'], value: command.data.branch, expected: bead.branch },
        );
      }
      return [
        {
          type: 'BeadSubmitted',
          data: { beadId: bead.beadId, attempt: bead.attempt, branch: bead.branch, headCommit, agentResult: recordable(command.data.agentResult) },
        },
      ];
    }
    case 'ClaimMergePush':
      return claimMergePush(command, state);
    case 'RecordBeadMerged': {
      const bead = state.status === 'CANCELLED' ? requireClaimedAfterClose(state, command) : requireAttemptBead(state, command, ['IN_REVIEW']);
      const mergeCommit = requireCommit(command.data.mergeCommit, 'mergeCommit');
      // A bead reaches review only through a dispatch, which set its base branch.
      const targetBranch = bead.baseBranch as string;
      return [
        {
          type: 'BeadMerged',
          data: { beadId: bead.beadId, attempt: bead.attempt, mergeCommit, targetBranch },
        },
      ];
    }
    case 'RequestRework': {
      if (state.status === 'CANCELLED') {
        // The claimed merge did not land after the close: no rework follows, the merge is recorded as aborted.
        const claimed = requireClaimedAfterClose(state, command);
        const why = requireReason(command.data.reason);
        return [{ type: 'BeadMergeAborted', data: { beadId: claimed.beadId, attempt: claimed.attempt, reason: clip(`${closedBeforePush(state)}: ${why}`, REASON_LENGTH) } }];
      }
      const bead = requireAttemptBead(state, command, ['IN_REVIEW']);
      const reason = requireReason(command.data.reason);
      const rework: NewEvent = { type: 'BeadReworkRequested', data: { beadId: bead.beadId, attempt: bead.attempt, reason } };
      // Review that keeps sending a bead back is a failure too: without a cap it would loop forever.
      return budgetSpent(state, bead)
        ? [
            rework,
            {
              type: 'BeadFailed',
              data: {
                beadId: bead.beadId,
                attempt: bead.attempt,
                reason: clip(`review sent it back on its last allowed attempt: ${reason}`, REASON_LENGTH),
                agentResult: null,
              },
            },
          ]
        : [rework];
    }
    case 'FailBeadAttempt': {
      const bead = requireAttemptBead(state, command, ['IN_PROGRESS']);
      const reason = requireReason(command.data.reason);
      const data = { beadId: bead.beadId, attempt: bead.attempt, reason, agentResult: recordable(command.data.agentResult) };
      return command.data.unrecoverable || budgetSpent(state, bead)
        ? [{ type: 'BeadFailed', data }]
        : [{ type: 'BeadAttemptFailed', data }];
    }
    case 'ReportAgentLost':
      return reportAgentLost(command, state);
    case 'InterruptBeadAttempt':
      return interruptBeadAttempt(command, state);
    case 'StartLanding':
      requireLiveConvoy(state, command);
      requireConvoyStatus(state, 'READY_TO_LAND', command.type);
      return [{ type: 'ConvoyLandingStarted', data: { attempt: state.landingAttempt + 1 } }];
    case 'ClaimLandingPush':
      return claimLandingPush(command, state, ctx);
    case 'RecordRigLanded':
      return recordRigLanded(command, state, ctx);
    case 'RecordRigLandingPrepared':
      return recordRigLandingPrepared(command, state);
    case 'FailLanding':
      return failLanding(command, state, ctx);
    case 'RetryLanding':
      return retryLanding(command, state);
  }
}

function requireNewConvoy(state: ConvoyState, command: ConvoyCommand): void {
  if (state.exists) {
    throw DomainError.conflict(`convoy ${command.convoyId} already exists (${quote(state.title)})`, {
      convoyId: command.convoyId,
    });
  }
}

const townRigProblem = (ctx: DecideContext) => (rigId: string) => (ctx.rigs.has(rigId) ? null : NOT_A_TOWN_RIG);

function slingBatch(command: ConvoyCommandOf<'SlingBatch'>, state: ConvoyState, ctx: DecideContext): NewEvent[] {
  requireNewConvoy(state, command);
  const d = command.data;
  assertPlanSize('the plan', d, ctx.maxPlanBytes);
  const errors: InputError[] = [];
  const title = d.title.trim();
  errors.push(...titleErrors(d.title, title));
  if (!ctx.rigs.has(d.defaultRigId)) {
    errors.push({
      path: ['defaultRigId'],
      value: d.defaultRigId,
      message: `defaultRigId ${JSON.stringify(d.defaultRigId)} ${NOT_A_TOWN_RIG}`,
    });
  }
  let planned: PlannedTask[] = [];
  if (d.tasks.length === 0) {
    errors.push({ path: ['tasks'], value: d.tasks, message: 'tasks: a convoy needs at least one task' });
  } else if (d.tasks.length > ctx.maxTasks) {
    errors.push({
      path: ['tasks'],
      value: d.tasks.length,
      message: `tasks: ${d.tasks.length} tasks exceed the limit of ${ctx.maxTasks} per convoy`,
    });
  } else {
    const checked = checkTasks(d.tasks, {
      firstIndex: 0,
      defaultRigId: d.defaultRigId,
      rigProblem: townRigProblem(ctx),
      defaultRigProblem: null,
    });
    planned = checked.planned;
    errors.push(...checked.errors);
    const edges = countEdges(planned);
    if (edges > ctx.maxEdges) {
      errors.push({ path: ['tasks'], value: edges, message: `tasks: ${edges} dependencies (dependsOn entries) exceed the limit of ${ctx.maxEdges} per convoy` });
    }
  }
  if (errors.length > 0) throw rejectInput(errors);
  assertAcyclic(
    planned.map((t) => t.dependsOn),
    (i) => planned[i].title,
  );
  assertNotFlat(planned.length, countEdges(planned), d.parallel);
  const events = creationEvents(command.convoyId, { ...d, title }, planned, ctx);
  assertPlanSize('the convoy it creates', events, ctx.maxPlanBytes);
  return events;
}

function titleErrors(raw: string, title: string): InputError[] {
  const problem = textProblem('title', raw, 'line', TEXT_LIMITS.title);
  if (problem) return [{ path: ['title'], value: problem.codePoint ?? raw.length, message: problem.message }];
  return title === '' ? [{ path: ['title'], value: raw, message: 'title must not be empty' }] : [];
}

function sling(command: ConvoyCommandOf<'Sling'>, state: ConvoyState, ctx: DecideContext): NewEvent[] {
  requireNewConvoy(state, command);
  const d = command.data;
  assertPlanSize('the plan', d, ctx.maxPlanBytes);
  const errors: InputError[] = [];
  const title = d.title.trim();
  errors.push(...titleErrors(d.title, title));
  const bodyProblem = d.body === undefined ? null : textProblem('body', d.body, 'body', TEXT_LIMITS.body);
  if (bodyProblem) errors.push({ path: ['body'], value: bodyProblem.codePoint ?? d.body?.length, message: bodyProblem.message });
  if (!ctx.rigs.has(d.rigId)) {
    errors.push({ path: ['rigId'], value: d.rigId, message: `rigId ${JSON.stringify(d.rigId)} ${NOT_A_TOWN_RIG}` });
  }
  if (errors.length > 0) throw rejectInput(errors);
  return creationEvents(
    command.convoyId,
    { title, mergeMode: d.mergeMode, staged: d.staged, parallel: false, defaultRigId: d.rigId },
    [{ title, body: d.body ?? '', rigId: d.rigId, dependsOn: [] }],
    ctx,
  );
}

interface ConvoyShape {
  title: string;
  mergeMode: MergeMode;
  staged: boolean;
  parallel: boolean;
  defaultRigId: string;
}

function creationEvents(convoyId: string, shape: ConvoyShape, planned: PlannedTask[], ctx: DecideContext): NewEvent[] {
  const slug = slugify(shape.title);
  const beadIds = planned.map((_, index) => beadIdFor(convoyId, index));
  const rigs = [...new Set(planned.map((t) => t.rigId))];
  const featureBranches =
    shape.mergeMode === 'REVIEW_THEN_LAND' ? rigs.map((rigId) => ({ rigId, branch: featureBranchName(slug, convoyId) })) : [];
  return [
    {
      type: 'ConvoyCreated',
      data: {
        title: shape.title,
        slug,
        mergeMode: shape.mergeMode,
        staged: shape.staged,
        parallel: shape.parallel,
        defaultRigId: shape.defaultRigId,
        maxAttempts: ctx.maxAttempts,
        maxLandingAttempts: ctx.maxLandingAttempts,
        featureBranches,
      },
    },
    ...beadCreations(planned, 0, (index) => beadIds[index], beadIds),
  ];
}

function beadCreations(
  planned: PlannedTask[],
  firstIndex: number,
  beadIdAt: (index: number) => string,
  newIds: string[],
): NewEvent[] {
  return planned.map((task, position) => ({
    type: 'BeadCreated',
    data: {
      beadId: newIds[position],
      index: firstIndex + position,
      title: task.title,
      body: task.body,
      rigId: task.rigId,
      dependsOn: task.dependsOn.map(beadIdAt),
    },
  }));
}

const countEdges = (planned: readonly PlannedTask[]) => planned.reduce((sum, t) => sum + t.dependsOn.length, 0);
const edgeCount = (state: ConvoyState) => [...state.blockers.values()].reduce((sum, blockers) => sum + blockers.size, 0);

function addTasks(command: ConvoyCommandOf<'AddTasks'>, state: ConvoyState, ctx: DecideContext): NewEvent[] {
  requireLiveConvoy(state, command);
  if (state.status !== 'STAGED') {
    throw DomainError.conflict(`tasks can only be added while convoy ${quote(state.title)} is STAGED (it is ${state.status})`, {
      status: state.status,
    });
  }
  const tasks = command.data.tasks;
  assertPlanSize('the tasks', command.data, ctx.maxPlanBytes);
  const existing = state.beadOrder.length;
  const errors: InputError[] = [];
  if (tasks.length === 0) errors.push({ path: ['tasks'], value: tasks, message: 'tasks: add at least one task' });
  if (existing + tasks.length > ctx.maxTasks) {
    errors.push({
      path: ['tasks'],
      value: tasks.length,
      message: `tasks: adding ${tasks.length} tasks to the ${existing} planned exceeds the limit of ${ctx.maxTasks} per convoy`,
    });
    throw rejectInput(errors);
  }
  const rigProblem = (rigId: string): string | null => {
    if (!ctx.rigs.has(rigId)) return NOT_A_TOWN_RIG;
    if (state.mergeMode === 'REVIEW_THEN_LAND' && !state.featureBranches.has(rigId)) {
      return 'is not one of the rigs this convoy was created with (a REVIEW_THEN_LAND convoy lands on those rigs only)';
    }
    return null;
  };
  const defaultProblem = rigProblem(state.defaultRigId);
  const checked = checkTasks(tasks, {
    firstIndex: existing,
    defaultRigId: state.defaultRigId,
    rigProblem,
    defaultRigProblem: defaultProblem && `the convoy's default rig ${JSON.stringify(state.defaultRigId)} ${defaultProblem}; give the task a rigId`,
  });
  errors.push(...checked.errors);
  const existingEdges = edgeCount(state);
  const addedEdges = countEdges(checked.planned);
  if (existingEdges + addedEdges > ctx.maxEdges) {
    errors.push({
      path: ['tasks'],
      value: addedEdges,
      message: `tasks: adding ${counted(addedEdges, 'dependency', 'dependencies')} to the ${existingEdges} planned exceeds the limit of ${ctx.maxEdges} per convoy`,
    });
  }
  if (errors.length > 0) throw rejectInput(errors);

  const planned = checked.planned;
  const deps = [...indexedDeps(state), ...planned.map((t) => t.dependsOn)];
  const titleOf = (i: number) => (i < existing ? beadAt(state, i).title : planned[i - existing].title);
  assertAcyclic(deps, titleOf);
  assertNotFlat(deps.length, deps.reduce((sum, ds) => sum + ds.length, 0), state.parallel);

  const convoyId = state.convoyId ?? command.convoyId;
  const newIds = planned.map((_, position) => beadIdFor(convoyId, existing + position));
  const events = beadCreations(planned, existing, (i) => (i < existing ? state.beadOrder[i] : newIds[i - existing]), newIds);
  assertPlanSize('the beads they create', events, ctx.maxPlanBytes);
  return events;
}

/** Every bead's blockers as indices, in bead index order. */
function indexedDeps(state: ConvoyState): number[][] {
  return state.beadOrder.map((id) => [...(state.blockers.get(id) ?? [])].map((b) => beadAt(state, b).index));
}

function beadAt(state: ConvoyState, indexOrId: number | string): BeadState {
  const id = typeof indexOrId === 'number' ? state.beadOrder[indexOrId] : indexOrId;
  return state.beads.get(id) as BeadState;
}

function closeConvoy(command: ConvoyCommandOf<'CloseConvoy'>, state: ConvoyState): NewEvent[] {
  requireExistingConvoy(state, command);
  const reason = requireReason(command.data.reason);
  const problem = textProblem('reason', command.data.reason, 'reason', REASON_LENGTH);
  if (problem) throw rejectInput([{ path: ['reason'], value: problem.codePoint ?? reason.length, message: problem.message }]);
  if (state.status === 'CANCELLED') return [];
  requireLiveConvoy(state, command);
  const beads = orderedBeads(state);
  const stopAgents = beads
    .filter((b) => b.status === 'IN_PROGRESS' && b.agent)
    .map((b) => ({ beadId: b.beadId, agentId: b.agent?.id ?? '', attempt: b.attempt }));
  // A bead whose merge push was granted stays IN_REVIEW: git may already hold it, so only its
  // outcome (BeadMerged or BeadMergeAborted) may close it.
  const pushing = (b: BeadState) => b.status === 'IN_REVIEW' && b.mergeClaim !== null;
  const dropReviews = beads.filter((b) => b.status === 'IN_REVIEW' && !pushing(b)).map((b) => b.beadId);
  const cancelled: NewEvent[] = beads
    .filter((b) => b.status !== 'CLOSED' && b.status !== 'CANCELLED' && !pushing(b))
    .map((b) => ({ type: 'BeadCancelled', data: { beadId: b.beadId, previousStatus: b.status } }));
  return [
    { type: 'ConvoyCancelled', data: { reason, stopAgents, dropReviews, dropLanding: state.status === 'LANDING' } },
    ...cancelled,
  ];
}

/**
 * The fence of every bead merge push: decided on the convoy's latest sequence like every command,
 * so it and CloseConvoy are ordered. Granted while the convoy is open; once it is closed, the
 * push must not happen and the history records that it was stopped.
 */
function claimMergePush(command: ConvoyCommandOf<'ClaimMergePush'>, state: ConvoyState): NewEvent[] {
  const mergeCommit = requireCommit(command.data.mergeCommit, 'mergeCommit');
  if (state.status !== 'CANCELLED') {
    const bead = requireAttemptBead(state, command, ['IN_REVIEW']);
    if (bead.mergeClaim === mergeCommit) return [];
    // A bead reaches review only through a dispatch, which set its base branch.
    const targetBranch = bead.baseBranch as string;
    return [{ type: 'BeadMergeClaimed', data: { beadId: bead.beadId, attempt: bead.attempt, mergeCommit, targetBranch } }];
  }
  requireExistingConvoy(state, command);
  const bead = requireAttemptOf(state, command);
  if (bead.status === 'IN_REVIEW' && bead.mergeClaim === mergeCommit) return [];
  // The bead's review was dropped by the close, or its claimed push failed and this is a new merge.
  requireStatus(bead, ['IN_REVIEW', 'CANCELLED'], command.type);
  return [{ type: 'BeadMergeAborted', data: { beadId: bead.beadId, attempt: bead.attempt, reason: closedBeforePush(state) } }];
}

const closedBeforePush = (state: ConvoyState) => `convoy ${quote(state.title)} was closed before this merge was pushed`;

/** In a closed convoy only a bead whose push was granted before the close may still report its merge's outcome. */
function requireClaimedAfterClose(state: ConvoyState, command: ConvoyCommandOf<'RecordBeadMerged' | 'RequestRework'>): BeadState {
  requireExistingConvoy(state, command);
  const bead = requireAttemptOf(state, command);
  if (bead.status !== 'IN_REVIEW' || bead.mergeClaim === null) {
    throw DomainError.conflict(
      `convoy ${quote(state.title)} is CANCELLED and bead ${quote(bead.title)} had no merge under way when it was closed: it accepts no ${command.type}`,
      { status: state.status, beadId: bead.beadId, beadStatus: bead.status },
    );
  }
  return bead;
}

function editDependency(
  command: ConvoyCommandOf<'AddDependency'> | ConvoyCommandOf<'RemoveDependency'>,
  state: ConvoyState,
  ctx: DecideContext,
): NewEvent[] {
  requireLiveConvoy(state, command);
  const bead = requireBead(state, command.data.beadId);
  const blocker = requireBead(state, command.data.dependsOnBeadId);
  if (bead.beadId === blocker.beadId) {
    throw DomainError.badInput(`bead ${quote(bead.title)} cannot depend on itself`, {
      path: ['dependsOnBeadId'],
      value: blocker.beadId,
    });
  }
  if (state.status !== 'STAGED' && state.status !== 'ACTIVE') {
    throw DomainError.conflict(
      `dependencies can only change while convoy ${quote(state.title)} is STAGED or ACTIVE (it is ${state.status})`,
      { status: state.status },
    );
  }
  const adding = command.type === 'AddDependency';
  if (state.blockers.get(bead.beadId)?.has(blocker.beadId) === adding) return [];
  if (bead.status !== 'OPEN' || bead.attempt > 0) {
    throw DomainError.conflict(
      `bead ${quote(bead.title)} has already started (it is ${bead.status}, attempt ${bead.attempt}): ` +
        'only a bead that has not started can change its dependencies',
      { beadId: bead.beadId, status: bead.status, attempt: bead.attempt },
    );
  }
  const data = { beadId: bead.beadId, dependsOnBeadId: blocker.beadId };
  if (!adding) return [{ type: 'DependencyRemoved', data }];
  const edges = edgeCount(state);
  if (edges >= ctx.maxEdges) {
    throw DomainError.conflict(
      `convoy ${quote(state.title)} already has ${counted(edges, 'dependency', 'dependencies')} (limit ${ctx.maxEdges}): remove one before adding another`,
      { count: edges, limit: ctx.maxEdges },
    );
  }
  const deps = indexedDeps(state);
  deps[bead.index].push(blocker.index);
  assertAcyclic(deps, (i) => beadAt(state, i).title, 'would form');
  return [{ type: 'DependencyAdded', data }];
}

function dispatchBead(command: ConvoyCommandOf<'DispatchBead'>, state: ConvoyState, ctx: DecideContext): NewEvent[] {
  requireLiveConvoy(state, command);
  const bead = requireBead(state, command.data.beadId);
  const agent = command.data.agent;
  const blank = (['id', 'name'] as const).filter((field) => agent[field].trim() === '');
  if (blank.length > 0) {
    throw rejectInput(
      blank.map((field) => ({ path: ['agent', field], value: agent[field], message: `agent.${field} must not be empty` })),
    );
  }
  requireStatus(bead, ['OPEN'], command.type);
  const notReady = (why: string, details: Record<string, unknown>) =>
    DomainError.conflict(`bead ${quote(bead.title)} is not ready: ${why}`, { beadId: bead.beadId, ...details });
  if (state.status !== 'ACTIVE') {
    throw notReady(`convoy ${quote(state.title)} is ${state.status}`, { convoyStatus: state.status });
  }
  const heldBy = state.held.get(bead.beadId);
  if (heldBy) throw notReady(holdReason(state, { heldBy: [...heldBy], more: false }), { heldBy });
  const open = openBlockers(state, bead.beadId);
  if (open.length > 0) {
    const shown = open.slice(0, 5).map((b) => `${quote(b.title)} (${b.status})`);
    if (open.length > 5) shown.push(`and ${open.length - 5} more`);
    throw notReady(`its blocker${open.length > 1 ? 's' : ''} ${shown.join(', ')} ${open.length > 1 ? 'are' : 'is'} not closed`, {
      openBlockers: open.map((b) => ({ beadId: b.beadId, title: b.title, status: b.status })),
    });
  }
  const baseBranch =
    state.mergeMode === 'REVIEW_THEN_LAND' ? state.featureBranches.get(bead.rigId) : ctx.rigs.get(bead.rigId)?.defaultBranch;
  if (!baseBranch) {
    throw DomainError.notFound(`rig ${bead.rigId} of bead ${quote(bead.title)} is not registered in this town`, {
      rigId: bead.rigId,
    });
  }
  const convoyId = state.convoyId ?? command.convoyId;
  return [
    {
      type: 'BeadDispatched',
      data: {
        beadId: bead.beadId,
        attempt: bead.attempt + 1,
        agent: { id: agent.id, name: agent.name },
        branch: beadBranchName(state.slug, convoyId, agent.name, bead.beadId),
        baseBranch,
        previousReason: bead.lastReason,
      },
    },
  ];
}

/**
 * The attempts since the bead was created or last retried have reached the convoy's allowance;
 * attempts a draining runner interrupted are not counted.
 */
const budgetSpent = (state: ConvoyState, bead: BeadState) => bead.attempt - bead.budgetStart - bead.interrupted >= state.maxAttempts;

/** The bead in progress on the command's attempt, worked on by the agent the command names. */
function requireWorkingAgent(state: ConvoyState, command: ConvoyCommandOf<'ReportAgentLost' | 'InterruptBeadAttempt'>): BeadState {
  const bead = requireAttemptBead(state, command, ['IN_PROGRESS']);
  if (bead.agent?.id !== command.data.agentId) {
    throw DomainError.conflict(
      `agent ${quote(command.data.agentId)} is not working on bead ${quote(bead.title)} (agent ${quote(bead.agent?.id ?? '')} is)`,
      { beadId: bead.beadId, agentId: bead.agent?.id },
    );
  }
  return bead;
}

function reportAgentLost(command: ConvoyCommandOf<'ReportAgentLost'>, state: ConvoyState): NewEvent[] {
  const bead = requireWorkingAgent(state, command);
  const reason = requireReason(command.data.reason);
  const lost: NewEvent = {
    type: 'BeadAgentLost',
    data: { beadId: bead.beadId, attempt: bead.attempt, agentId: command.data.agentId, reason },
  };
  return budgetSpent(state, bead)
    ? [lost, { type: 'BeadFailed', data: { beadId: bead.beadId, attempt: bead.attempt, reason, agentResult: null } }]
    : [lost];
}

/**
 * Only a git-runner may say it interrupted an attempt (it does so from its drain path alone, never
 * for an agent that ended by itself): anyone else could retry a bead for ever without spending
 * its budget.
 */
function interruptBeadAttempt(command: ConvoyCommandOf<'InterruptBeadAttempt'>, state: ConvoyState): NewEvent[] {
  if (command.actor.kind !== 'service' || !command.actor.id.startsWith('git-runner:')) {
    throw DomainError.badInput(`only a git-runner may interrupt an attempt; ${command.actor.kind} ${quote(command.actor.id)} may not`, {
      actor: command.actor,
    });
  }
  const bead = requireWorkingAgent(state, command);
  const reason = requireReason(command.data.reason);
  return [{ type: 'BeadAttemptInterrupted', data: { beadId: bead.beadId, attempt: bead.attempt, agentId: command.data.agentId, reason } }];
}

/**
 * The fence of every landing push, as ClaimMergePush is for bead merges: decided on the convoy's
 * latest sequence, so it and CloseConvoy are ordered. Granted while the convoy is landing and the
 * rig is prepared; once the convoy is closed, the push must not happen and the history says so.
 */
function claimLandingPush(command: ConvoyCommandOf<'ClaimLandingPush'>, state: ConvoyState, ctx: DecideContext): NewEvent[] {
  const commit = requireCommit(command.data.commit, 'commit');
  const { rigId, attempt } = command.data;
  if (state.status !== 'CANCELLED') {
    requireLiveConvoy(state, command);
    requireConvoyStatus(state, 'LANDING', command.type);
    requireLandingAttempt(state, attempt, command.type);
    requireLandingRig(state, rigId);
    requireUnlandedRig(state, rigId, command.type);
    if (!state.landingPrepared || !state.landingPreparations.has(rigId)) {
      throw DomainError.conflict(`${command.type} needs every rig of convoy ${quote(state.title)} prepared for landing attempt ${attempt}`, { rigId, attempt });
    }
    if (state.landingClaims.get(rigId) === commit) return [];
    const rig = ctx.rigs.get(rigId);
    if (!rig) throw DomainError.notFound(`rig ${rigId} is not registered in this town`, { rigId });
    return [{ type: 'RigLandingClaimed', data: { rigId, attempt, commit, targetBranch: rig.defaultBranch } }];
  }
  requireExistingConvoy(state, command);
  requireLandingAttempt(state, attempt, command.type);
  requireLandingRig(state, rigId);
  requireUnlandedRig(state, rigId, command.type);
  // Granted before the close and asked again (a lost reply): still granted.
  if (state.landingClaims.get(rigId) === commit) return [];
  if (state.landingAborts.has(rigId)) return [];
  // Closed before this push was claimed, or a claimed push that failed and this is a new merge.
  return [{ type: 'RigLandingAborted', data: { rigId, attempt, reason: closedBeforeLanding(state) } }];
}

const closedBeforeLanding = (state: ConvoyState) => `convoy ${quote(state.title)} was closed before this landing was pushed`;

function requireUnlandedRig(state: ConvoyState, rigId: string, commandType: ConvoyCommandType): void {
  const landed = state.landings.get(rigId);
  if (landed) throw DomainError.conflict(`${commandType}: rig ${rigId} of convoy ${quote(state.title)} already landed at ${landed}`, { rigId, commit: landed });
}

/** In a closed convoy only a rig whose landing push was granted before the close may still report its outcome. */
function requireClaimedLandingAfterClose(state: ConvoyState, command: ConvoyCommandOf<'RecordRigLanded' | 'FailLanding'>, rigId: string | null): string {
  requireExistingConvoy(state, command);
  requireLandingAttempt(state, command.data.attempt, command.type);
  if (rigId === null || !state.landingClaims.has(rigId)) {
    throw DomainError.conflict(
      `convoy ${quote(state.title)} is CANCELLED and ${rigId === null ? 'this landing failure names no rig' : `rig ${rigId} had no landing push under way when it was closed`}: it accepts no ${command.type}`,
      { status: state.status, rigId },
    );
  }
  return rigId;
}

function recordRigLanded(command: ConvoyCommandOf<'RecordRigLanded'>, state: ConvoyState, ctx: DecideContext): NewEvent[] {
  const { rigId } = command.data;
  const commit = requireCommit(command.data.commit, 'commit');
  if (state.status !== 'CANCELLED') {
    requireLiveConvoy(state, command);
    requireConvoyStatus(state, 'LANDING', command.type);
    requireLandingAttempt(state, command.data.attempt, command.type);
  } else if (state.landings.get(rigId) !== commit) {
    // A push granted before the close: what git accepted is recorded, never left silent.
    requireClaimedLandingAfterClose(state, command, rigId);
  }
  requireLandingRig(state, rigId);
  const rig = ctx.rigs.get(rigId);
  if (!rig) throw DomainError.notFound(`rig ${rigId} is not registered in this town`, { rigId });
  const landed = state.landings.get(rigId);
  if (landed === commit) return [];
  if (landed) {
    throw DomainError.conflict(`rig ${quote(rig.name)} already landed attempt ${state.landingAttempt} at ${landed}`, {
      rigId,
      commit: landed,
    });
  }
  return [{ type: 'RigLanded', data: { rigId, commit, targetBranch: rig.defaultBranch } }];
}

/** Records one rig's prepared landing; the last rig to be prepared lets the pushes start. */
function recordRigLandingPrepared(command: ConvoyCommandOf<'RecordRigLandingPrepared'>, state: ConvoyState): NewEvent[] {
  requireLiveConvoy(state, command);
  requireConvoyStatus(state, 'LANDING', command.type);
  requireLandingAttempt(state, command.data.attempt, command.type);
  const { rigId, attempt } = command.data;
  requireLandingRig(state, rigId);
  const targetTip = requireCommit(command.data.targetTip, 'targetTip');
  const tree = requireCommit(command.data.tree, 'tree');
  // A redelivered preparation, or one of a rig that landed meanwhile: the first record stands.
  if (state.landings.has(rigId) || state.landingPreparations.has(rigId)) return [];
  const prepared: NewEvent = { type: 'RigLandingPrepared', data: { rigId, attempt, targetTip, tree } };
  const waiting = [...state.featureBranches.keys()].filter((r) => r !== rigId && !state.landings.has(r) && !state.landingPreparations.has(r));
  return waiting.length > 0 ? [prepared] : [prepared, { type: 'ConvoyLandingPrepared', data: { attempt } }];
}

function failLanding(command: ConvoyCommandOf<'FailLanding'>, state: ConvoyState, ctx: DecideContext): NewEvent[] {
  if (state.status === 'CANCELLED') {
    // The claimed push did not land after the close: no landing attempt follows, the landing is recorded as aborted.
    const rigId = requireClaimedLandingAfterClose(state, command, command.data.rigId ?? null);
    const why = requireReason(command.data.reason);
    return [{ type: 'RigLandingAborted', data: { rigId, attempt: command.data.attempt, reason: clip(`${closedBeforeLanding(state)}: ${why}`, REASON_LENGTH) } }];
  }
  requireLiveConvoy(state, command);
  requireConvoyStatus(state, 'LANDING', command.type);
  requireLandingAttempt(state, command.data.attempt, command.type);
  const rigId = command.data.rigId ?? null;
  if (rigId !== null) requireLandingRig(state, rigId);
  const reason = requireReason(command.data.reason);
  const used = state.landingAttempt - state.landingBudgetStart;
  const failed: NewEvent = { type: 'ConvoyLandingFailed', data: { attempt: state.landingAttempt, reason, rigId } };
  if (used < state.maxLandingAttempts) return [failed];
  const landed = [...state.featureBranches.keys()].filter((r) => state.landings.has(r));
  // A half-landed convoy says so: which rigs hold the landing and that retryLanding lands the rest.
  const half = landed.length > 0 ? ` (landed on ${listTitles(landed.map((r) => ctx.rigs.get(r)?.name ?? r))}; retryLanding lands the rest)` : '';
  return [
    failed,
    {
      type: 'ConvoyFailed',
      data: { reason: clip(`landing failed on attempt ${used} of ${state.maxLandingAttempts}: ${reason}${half}`), failedBeadIds: [] },
    },
  ];
}

/** Lands the rigs not yet landed again, with a fresh budget, once the cause of the failure is fixed. */
function retryLanding(command: ConvoyCommandOf<'RetryLanding'>, state: ConvoyState): NewEvent[] {
  requireExistingConvoy(state, command);
  const title = quote(state.title);
  if (state.mergeMode !== 'REVIEW_THEN_LAND') {
    throw DomainError.badInput(`convoy ${title} is REVIEW_AND_MERGE: its beads merge straight to the default branch, there is no landing to retry`, {
      mergeMode: state.mergeMode,
    });
  }
  if (state.status !== 'FAILED') {
    const why =
      state.status === 'LANDED' ? 'it already LANDED on every rig'
      : state.status === 'LANDING' || state.status === 'READY_TO_LAND' ? `it is ${state.status}: its landing is under way`
      : `it is ${state.status}`;
    throw DomainError.conflict(`retryLanding needs a convoy whose landing FAILED; convoy ${title}: ${why}`, { status: state.status });
  }
  const unclosed = orderedBeads(state).filter((b) => b.status !== 'CLOSED');
  if (unclosed.length > 0) {
    throw DomainError.conflict(
      `retryLanding needs a convoy whose landing FAILED; convoy ${title} failed because beads ${listTitles(unclosed.map((b) => b.title))} are not CLOSED (retryBead them instead)`,
      { status: state.status },
    );
  }
  return [{ type: 'ConvoyReactivated', data: { status: 'READY_TO_LAND' } }];
}

function requireLandingRig(state: ConvoyState, rigId: string): void {
  if (!state.featureBranches.has(rigId)) {
    throw DomainError.notFound(`rig ${rigId} is not one of the rigs convoy ${quote(state.title)} lands on`, { rigId });
  }
}

function requireExistingConvoy(state: ConvoyState, command: ConvoyCommand): void {
  if (!state.exists || state.townId !== command.townId) {
    throw DomainError.notFound(`convoy ${command.convoyId} does not exist`, { convoyId: command.convoyId });
  }
}

/** The convoy exists and still accepts commands: LANDED and CANCELLED are final. */
function requireLiveConvoy(state: ConvoyState, command: ConvoyCommand): void {
  requireExistingConvoy(state, command);
  if (state.status === 'LANDED' || state.status === 'CANCELLED') {
    throw DomainError.conflict(`convoy ${quote(state.title)} is ${state.status}: it accepts no ${command.type}`, {
      status: state.status,
    });
  }
}

function requireConvoyStatus(state: ConvoyState, status: string, commandType: ConvoyCommandType): void {
  if (state.status !== status) {
    throw DomainError.conflict(`${commandType} needs convoy ${quote(state.title)} ${status} (it is ${state.status})`, {
      status: state.status,
    });
  }
}

function requireLandingAttempt(state: ConvoyState, attempt: number, commandType: ConvoyCommandType): void {
  if (attempt !== state.landingAttempt) {
    throw DomainError.conflict(
      `${commandType} names landing attempt ${attempt} of convoy ${quote(state.title)}, but attempt ${state.landingAttempt} is under way`,
      { attempt, currentAttempt: state.landingAttempt },
    );
  }
}

function requireBead(state: ConvoyState, beadId: string): BeadState {
  const bead = state.beads.get(beadId);
  if (!bead) throw DomainError.notFound(`bead ${beadId} is not part of convoy ${quote(state.title)}`, { beadId });
  return bead;
}

function requireStatus(bead: BeadState, allowed: readonly BeadStatus[], commandType: ConvoyCommandType): void {
  if (!allowed.includes(bead.status)) {
    throw DomainError.conflict(`bead ${quote(bead.title)} is ${bead.status}: ${commandType} needs it ${allowed.join(' or ')}`, {
      beadId: bead.beadId,
      status: bead.status,
    });
  }
}

type AttemptCommand = ConvoyCommandOf<
  'MarkBeadStarted' | 'SubmitBead' | 'RecordBeadMerged' | 'ClaimMergePush' | 'RequestRework' | 'FailBeadAttempt' | 'ReportAgentLost' | 'InterruptBeadAttempt'
>;

/** The bead a report is about, on the attempt the report names and in a status that accepts it. */
function requireAttemptBead(state: ConvoyState, command: AttemptCommand, allowed: readonly BeadStatus[]): BeadState {
  requireLiveConvoy(state, command);
  const bead = requireAttemptOf(state, command);
  requireStatus(bead, allowed, command.type);
  return bead;
}

function requireAttemptOf(state: ConvoyState, command: AttemptCommand): BeadState {
  const bead = requireBead(state, command.data.beadId);
  if (command.data.attempt !== bead.attempt) {
    const current = bead.attempt === 0 ? 'it has not been dispatched yet' : `it is on attempt ${bead.attempt}`;
    throw DomainError.conflict(
      `${command.type} for bead ${quote(bead.title)} names attempt ${command.data.attempt}, but ${current}: a stale report is ignored`,
      { beadId: bead.beadId, attempt: command.data.attempt, currentAttempt: bead.attempt },
    );
  }
  return bead;
}

/**
 * Reasons mostly come from services and carry agent or git output, which may hold anything:
 * made storable rather than refused, so a failure is never lost over one bad byte.
 */
function requireReason(value: string): string {
  const reason = storableText(value.trim());
  if (reason === '') throw rejectInput([{ path: ['reason'], value, message: 'reason must not be empty' }]);
  if (reason.length > REASON_LENGTH) {
    throw rejectInput([
      { path: ['reason'], value: reason.length, message: `reason must be at most ${REASON_LENGTH} characters (it has ${reason.length})` },
    ]);
  }
  return reason;
}

/** A reported agent result as the event log may keep it; null when the report had none. */
function recordable(result: AgentResult | undefined): AgentResult | null {
  return result ? redactAgentResult(result) : null;
}

function requireCommit(value: string, field: string): string {
  const commit = value.toLowerCase();
  if (!COMMIT.test(commit)) {
    throw rejectInput([{ path: [field], value, message: `${field} ${quote(value)} is not a full commit id (40 hex characters)` }]);
  }
  return commit;
}

function orderedBeads(state: ConvoyState): BeadState[] {
  return state.beadOrder.map((id) => state.beads.get(id) as BeadState);
}

/** What the caller gets back; computed from the state so a repeated command gets the same answer. */
function resultOf(command: ConvoyCommand, state: ConvoyState): Record<string, unknown> {
  const convoyId = command.convoyId;
  switch (command.type) {
    case 'SlingBatch':
    case 'Sling':
    case 'AddTasks':
      return { convoyId, beadIds: state.beadOrder.filter((id) => state.beads.get(id)?.createdBy === command.commandId) };
    case 'DispatchBead': {
      const dispatch = state.dispatches.get(command.commandId);
      return {
        convoyId,
        beadId: command.data.beadId,
        attempt: dispatch?.attempt ?? null,
        branch: dispatch?.branch ?? null,
        baseBranch: dispatch?.baseBranch ?? null,
      };
    }
    case 'StartLanding':
      return { convoyId, convoyStatus: state.status, landingAttempt: state.landingAttempt };
    case 'CloseConvoy':
      return { convoyId, convoyStatus: state.status, mergesUnderWay: state.mergesUnderWayAtClose, landingsUnderWay: state.landingsUnderWayAtClose };
    case 'ClaimMergePush': {
      const bead = state.beads.get(command.data.beadId);
      const claimed = bead?.status === 'IN_REVIEW' && bead.mergeClaim === command.data.mergeCommit.toLowerCase();
      return { convoyId, beadId: command.data.beadId, claimed, beadStatus: bead?.status ?? null, convoyStatus: state.status };
    }
    case 'ClaimLandingPush': {
      const claimed = state.landingAttempt === command.data.attempt && state.landingClaims.get(command.data.rigId) === command.data.commit.toLowerCase();
      return { convoyId, rigId: command.data.rigId, claimed, convoyStatus: state.status };
    }
    case 'StartConvoy':
    case 'RecordRigLandingPrepared':
    case 'RecordRigLanded':
    case 'FailLanding':
    case 'RetryLanding':
      return { convoyId, convoyStatus: state.status };
    case 'AddDependency':
    case 'RemoveDependency':
    case 'RetryBead':
    case 'MarkBeadStarted':
    case 'SubmitBead':
    case 'RecordBeadMerged':
    case 'RequestRework':
    case 'FailBeadAttempt':
    case 'ReportAgentLost':
    case 'InterruptBeadAttempt':
      return {
        convoyId,
        beadId: command.data.beadId,
        beadStatus: state.beads.get(command.data.beadId)?.status ?? null,
        convoyStatus: state.status,
      };
  }
}
