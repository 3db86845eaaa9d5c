import {
  beadIdFor,
  type AgentRef,
  type ConvoyCommand,
  type ConvoyCommandOf,
  type ConvoyCommandType,
  type NewEvent,
  type TaskInput,
} from '@gastown/contracts';
import { DeciderSpecification, envelope, type GivenEvent } from '../decider/decider.specification';
import { createDecideContext, decide, evolve, initialState, type DecideContext } from './convoy.decider';
import { beadBranchName, featureBranchName } from './convoy.naming';
import type { ConvoyState } from './convoy.state';

/** Shared ids and builders for the convoy decider specs. */
export const TOWN_ID = '0b7a6c1e-3f2d-4e5a-9b8c-1d2e3f4a5b6c';
export const CONVOY_ID = 'c0ffee00-1234-4abc-8def-0123456789ab';
export const RIG_API = '11111111-1111-4111-8111-111111111111';
export const RIG_WEB = '22222222-2222-4222-8222-222222222222';
/** Registered in another town: absent from this town's rigs. */
export const RIG_ELSEWHERE = '33333333-3333-4333-8333-333333333333';

export const TITLE = 'Ship login';
export const SLUG = 'ship-login';
export const FEATURE_BRANCH = featureBranchName(SLUG, CONVOY_ID);
export const AGENT: AgentRef = { id: 'agent-7', name: 'Ace' };

export const ctx: DecideContext = createDecideContext({
  now: '2025-01-01T00:00:00.000Z',
  rigs: new Map([
    [RIG_API, { name: 'api', defaultBranch: 'main' }],
    [RIG_WEB, { name: 'web', defaultBranch: 'trunk' }],
  ]),
});

export const bead = (index: number) => beadIdFor(CONVOY_ID, index);
export const sha = (hex: string) => hex.repeat(40 / hex.length);
export const branchOf = (index: number, agentName = AGENT.name) => beadBranchName(SLUG, CONVOY_ID, agentName, bead(index));

export const spec = (context: DecideContext = ctx) =>
  DeciderSpecification.for({
    decide: (command: ConvoyCommand, state: ConvoyState) => decide(command, state, context),
    evolve,
    initialState,
  });

let sequence = 0;
export function command<T extends ConvoyCommandType>(
  type: T,
  data: ConvoyCommandOf<T>['data'],
  commandId = `${type}-${++sequence}`,
): ConvoyCommandOf<T> {
  return { type, data, commandId, townId: TOWN_ID, convoyId: CONVOY_ID, actor: { kind: 'user', id: 'mayor' } } as ConvoyCommandOf<T>;
}

export const task = (title: string, dependsOn?: number[], rigId?: string): TaskInput => ({
  title,
  ...(dependsOn ? { dependsOn } : {}),
  ...(rigId ? { rigId } : {}),
});

/** A → {B, C} → D */
export const DIAMOND = [task('A'), task('B', [0]), task('C', [0]), task('D', [1, 2])];
/** A → B → C */
export const CHAIN = [task('A'), task('B', [0]), task('C', [1])];

export const slingBatch = (
  tasks: TaskInput[],
  options: Partial<ConvoyCommandOf<'SlingBatch'>['data']> = {},
  commandId?: string,
) =>
  command(
    'SlingBatch',
    { title: TITLE, defaultRigId: RIG_API, mergeMode: 'REVIEW_THEN_LAND', staged: false, parallel: false, tasks, ...options },
    commandId,
  );
export const start = () => command('StartConvoy', {});
export const addTasks = (tasks: TaskInput[]) => command('AddTasks', { tasks });
export const close = (reason = 'no longer needed') => command('CloseConvoy', { reason });
export const dispatch = (index: number, agent: AgentRef = AGENT, commandId?: string) =>
  command('DispatchBead', { beadId: bead(index), agent }, commandId);
export const markStarted = (index: number, attempt = 1) => command('MarkBeadStarted', { beadId: bead(index), attempt });
export const submit = (index: number, attempt = 1, headCommit = sha('a'), branch = branchOf(index)) =>
  command('SubmitBead', { beadId: bead(index), attempt, branch, headCommit });
export const merge = (index: number, attempt = 1, mergeCommit = sha('b')) =>
  command('RecordBeadMerged', { beadId: bead(index), attempt, mergeCommit });
export const rework = (index: number, attempt = 1, reason = 'tests are missing') =>
  command('RequestRework', { beadId: bead(index), attempt, reason });
export const fail = (index: number, attempt = 1, reason = 'compiler crashed', unrecoverable = false) =>
  command('FailBeadAttempt', { beadId: bead(index), attempt, reason, unrecoverable });
export const lose = (index: number, attempt = 1, agentId = AGENT.id, reason = 'heartbeat lost') =>
  command('ReportAgentLost', { beadId: bead(index), attempt, agentId, reason });
/** A draining git-runner's report: the actor is the runner, as only a runner may send it. */
export const interrupt = (index: number, attempt = 1, agentId = AGENT.id, reason = 'runner gr-1 shut down') => ({
  ...command('InterruptBeadAttempt', { beadId: bead(index), attempt, agentId, reason }),
  actor: { kind: 'service' as const, id: 'git-runner:gr-1' },
});
export const retry = (index: number) => command('RetryBead', { beadId: bead(index) });
export const addDependency = (index: number, on: number) =>
  command('AddDependency', { beadId: bead(index), dependsOnBeadId: bead(on) });
export const removeDependency = (index: number, on: number) =>
  command('RemoveDependency', { beadId: bead(index), dependsOnBeadId: bead(on) });
export const startLanding = () => command('StartLanding', {});
export const rigLanded = (rigId: string, attempt = 1, commit = sha('c')) => command('RecordRigLanded', { rigId, attempt, commit });
export const failLanding = (attempt = 1, reason = 'main moved on') => command('FailLanding', { attempt, reason });
export const retryLanding = () => command('RetryLanding', {});

/** Dispatch, submit and merge one bead on its first attempt. */
export const deliver = (index: number, mergeCommit = sha('b')) => [dispatch(index), submit(index), merge(index, 1, mergeCommit)];

/**
 * The events a run of accepted commands wrote, each tagged with its command id. Long
 * histories read better as the commands that made them than as a wall of derived events.
 */
export function historyOf(commands: readonly ConvoyCommand[], context: DecideContext = ctx): GivenEvent[] {
  const state = initialState();
  const history: GivenEvent[] = [];
  for (const c of commands) {
    const { events } = decide(c, state, context);
    for (const event of envelope(events, c)) evolve(state, event);
    history.push(...events.map((event) => ({ ...event, commandId: c.commandId }) as GivenEvent));
  }
  return history;
}

export const ready = (...indices: number[]): NewEvent => ({ type: 'BeadsBecameReady', data: { beadIds: indices.map(bead) } });
export const unready = (...indices: number[]): NewEvent => ({ type: 'BeadsBecameUnready', data: { beadIds: indices.map(bead) } });
export const released = (...indices: number[]): NewEvent => ({ type: 'BeadsReleased', data: { beadIds: indices.map(bead) } });
export const heldBy = (holder: number, reason: string, ...indices: number[]): NewEvent => ({
  type: 'BeadsHeld',
  data: { beads: indices.map((i) => ({ beadId: bead(i), reason, heldBy: [bead(holder)] })) },
});
