import {
  beadIdFor,
  TEXT_LIMITS,
  textProblem,
  type ConvoyCommand,
  type ConvoyCommandOf,
  type MergeMode,
  type NewEvent,
} from '@gastown/contracts';
import { DomainError, rejectInput, type InputError } from '../decider/decider.error';
import type { DecideContext } from './convoy.decide-context';
import { counted, quote } from './convoy.messages';
import { featureBranchName, slugify } from './convoy.naming';
import { assertAcyclic, assertNotFlat, assertPlanSize, checkTasks, type PlannedTask } from './convoy.plan';
import { requireBead, requireLiveConvoy } from './convoy.rules';
import type { BeadState, ConvoyState } from './convoy.state';

const NOT_A_TOWN_RIG = 'is not a rig of this town';

export function slingBatch(command: ConvoyCommandOf<'SlingBatch'>, state: ConvoyState, ctx: DecideContext): NewEvent[] {
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

export function sling(command: ConvoyCommandOf<'Sling'>, state: ConvoyState, ctx: DecideContext): NewEvent[] {
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

export function addTasks(command: ConvoyCommandOf<'AddTasks'>, state: ConvoyState, ctx: DecideContext): NewEvent[] {
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

export function editDependency(
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

export function startConvoy(command: ConvoyCommandOf<'StartConvoy'>, state: ConvoyState): NewEvent[] {
  requireLiveConvoy(state, command);
  // Starting twice is a client bug worth hearing about; a retry of the same command id is not.
  if (state.status !== 'STAGED') {
    throw DomainError.conflict(`StartConvoy needs convoy ${quote(state.title)} STAGED (it is ${state.status})`);
  }
  return [{ type: 'ConvoyStarted', data: {} }];
}

function requireNewConvoy(state: ConvoyState, command: ConvoyCommand): void {
  if (state.exists) {
    throw DomainError.conflict(`convoy ${command.convoyId} already exists (${quote(state.title)})`, {
      convoyId: command.convoyId,
    });
  }
}

const townRigProblem = (ctx: DecideContext) => (rigId: string) => (ctx.rigs.has(rigId) ? null : NOT_A_TOWN_RIG);

function titleErrors(raw: string, title: string): InputError[] {
  const problem = textProblem('title', raw, 'line', TEXT_LIMITS.title);
  if (problem) return [{ path: ['title'], value: problem.codePoint ?? raw.length, message: problem.message }];
  return title === '' ? [{ path: ['title'], value: raw, message: 'title must not be empty' }] : [];
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

/** Every bead's blockers as indices, in bead index order. */
function indexedDeps(state: ConvoyState): number[][] {
  return state.beadOrder.map((id) => [...(state.blockers.get(id) ?? [])].map((b) => beadAt(state, b).index));
}

function beadAt(state: ConvoyState, indexOrId: number | string): BeadState {
  const id = typeof indexOrId === 'number' ? state.beadOrder[indexOrId] : indexOrId;
  return state.beads.get(id) as BeadState;
}
