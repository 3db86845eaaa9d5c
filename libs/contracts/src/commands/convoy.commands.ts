import { z } from 'zod';
import { AgentResult } from '../domain/agent.result';
import { AgentRef, MergeMode } from '../domain/convoy.types';
import { CommandMeta } from './command.envelope';

/**
 * Shapes only: the convoy decider checks the values (empty titles, ranges, cycles) so that
 * each rejection can name the task and the value.
 */
export const TaskInput = z.object({
  title: z.string(),
  body: z.string().optional(),
  rigId: z.string().optional(),
  dependsOn: z.array(z.number().int()).optional(),
});
export type TaskInput = z.infer<typeof TaskInput>;

const ConvoyCommandMeta = CommandMeta.extend({ convoyId: z.uuid() });
const command = <T extends string, D extends z.ZodType>(type: T, data: D) =>
  ConvoyCommandMeta.extend({ type: z.literal(type), data });

const BeadRef = { beadId: z.uuid() };
const Attempt = z.number().int().positive();

export const SlingBatch = command(
  'SlingBatch',
  z.object({
    title: z.string(),
    defaultRigId: z.string(),
    mergeMode: MergeMode.default('REVIEW_THEN_LAND'),
    staged: z.boolean().default(false),
    parallel: z.boolean().default(false),
    tasks: z.array(TaskInput),
  }),
);
export const Sling = command(
  'Sling',
  z.object({
    title: z.string(),
    body: z.string().optional(),
    rigId: z.string(),
    mergeMode: MergeMode.default('REVIEW_THEN_LAND'),
    staged: z.boolean().default(false),
  }),
);
export const AddTasks = command('AddTasks', z.object({ tasks: z.array(TaskInput) }));
export const StartConvoy = command('StartConvoy', z.object({}));
export const CloseConvoy = command('CloseConvoy', z.object({ reason: z.string() }));
export const AddDependency = command('AddDependency', z.object({ ...BeadRef, dependsOnBeadId: z.uuid() }));
export const RemoveDependency = command('RemoveDependency', z.object({ ...BeadRef, dependsOnBeadId: z.uuid() }));
export const RetryBead = command('RetryBead', z.object(BeadRef));
export const DispatchBead = command('DispatchBead', z.object({ ...BeadRef, agent: AgentRef }));
export const MarkBeadStarted = command('MarkBeadStarted', z.object({ ...BeadRef, attempt: Attempt }));
export const SubmitBead = command(
  'SubmitBead',
  z.object({ ...BeadRef, attempt: Attempt, branch: z.string().min(1), headCommit: z.string(), agentResult: AgentResult.optional() }),
);
export const RecordBeadMerged = command(
  'RecordBeadMerged',
  z.object({ ...BeadRef, attempt: Attempt, mergeCommit: z.string(), batchId: z.uuid().optional() }),
);

const BatchRef = { batchId: z.uuid() };
/** The refinery built a batch and starts its checks (see MergeBatchStarted). */
export const StartMergeBatch = command(
  'StartMergeBatch',
  z.object({
    ...BatchRef,
    rigId: z.uuid(),
    baseCommit: z.string(),
    speculativeOn: z.uuid().optional(),
    beads: z.array(z.object({ ...BeadRef, attempt: Attempt, mergeCommit: z.string() })),
  }),
);
export const RecordMergeBatchCheck = command(
  'RecordMergeBatchCheck',
  z.object({
    ...BatchRef,
    run: z.number().int().positive(),
    /** How many of the batch's beads, from its first, the checked tree holds. */
    beadCount: z.number().int().positive(),
    outcome: z.enum(['PASSED', 'FAILED', 'FLAKY']),
    durationMs: z.number().int().nonnegative(),
    reason: z.string().optional(),
  }),
);
export const EndMergeBatch = command(
  'EndMergeBatch',
  z.object({
    ...BatchRef,
    outcome: z.enum(['MERGED', 'SPLIT', 'DISCARDED']),
    /** How many of the batch's beads, from its first, were pushed. */
    mergedCount: z.number().int().nonnegative(),
    culpritBeadId: z.uuid().optional(),
    checkRuns: z.number().int().nonnegative(),
    reason: z.string().optional(),
  }),
);
/**
 * ClaimMergePush for the batch's first `beadCount` beads at once, at the merge commits the batch
 * started with: one decision, so a close is ordered before the whole push or after it.
 */
export const ClaimBatchPush = command('ClaimBatchPush', z.object({ ...BatchRef, beadCount: z.number().int().positive() }));
/**
 * The refinery asks for this under the rig lease, after the checks and immediately before it
 * pushes `mergeCommit`: granted only while the convoy is open, so a close decided first stops the
 * push and a close decided after it knows this merge may still land.
 */
export const ClaimMergePush = command('ClaimMergePush', z.object({ ...BeadRef, attempt: Attempt, mergeCommit: z.string() }));
export const RequestRework = command('RequestRework', z.object({ ...BeadRef, attempt: Attempt, reason: z.string() }));
export const FailBeadAttempt = command(
  'FailBeadAttempt',
  z.object({
    ...BeadRef,
    attempt: Attempt,
    reason: z.string(),
    unrecoverable: z.boolean().default(false),
    /** Absent when no agent ran (it could not be started). */
    agentResult: AgentResult.optional(),
  }),
);
export const ReportAgentLost = command(
  'ReportAgentLost',
  z.object({ ...BeadRef, attempt: Attempt, agentId: z.string().min(1), reason: z.string() }),
);
/**
 * Sent only by a draining git-runner for an agent it killed when its grace period ran out; unlike
 * a lost agent, the attempt does not count against the bead's budget.
 */
export const InterruptBeadAttempt = command(
  'InterruptBeadAttempt',
  z.object({ ...BeadRef, attempt: Attempt, agentId: z.string().min(1), reason: z.string() }),
);
export const StartLanding = command('StartLanding', z.object({}));
export const RecordRigLanded = command('RecordRigLanded', z.object({ rigId: z.uuid(), attempt: Attempt, commit: z.string() }));
export const RecordRigLandingPrepared = command(
  'RecordRigLandingPrepared',
  z.object({ rigId: z.uuid(), attempt: Attempt, targetTip: z.string(), tree: z.string() }),
);
/**
 * The landing asks for this under the rig lease, right before it pushes `commit` (the prepared
 * landing merge) onto the rig's target: granted only while the convoy is still landing, so a close
 * decided first stops the push and a close decided after it knows this landing may still land.
 */
export const ClaimLandingPush = command('ClaimLandingPush', z.object({ rigId: z.uuid(), attempt: Attempt, commit: z.string() }));
/** rigId: the rig whose preparation or push failed, when it was one rig's. */
export const FailLanding = command('FailLanding', z.object({ attempt: Attempt, reason: z.string(), rigId: z.uuid().optional() }));
export const RetryLanding = command('RetryLanding', z.object({}));

export const ConvoyCommand = z.discriminatedUnion('type', [
  SlingBatch,
  Sling,
  AddTasks,
  StartConvoy,
  CloseConvoy,
  AddDependency,
  RemoveDependency,
  RetryBead,
  DispatchBead,
  MarkBeadStarted,
  SubmitBead,
  RecordBeadMerged,
  StartMergeBatch,
  RecordMergeBatchCheck,
  EndMergeBatch,
  ClaimBatchPush,
  ClaimMergePush,
  RequestRework,
  FailBeadAttempt,
  ReportAgentLost,
  InterruptBeadAttempt,
  StartLanding,
  RecordRigLandingPrepared,
  ClaimLandingPush,
  RecordRigLanded,
  FailLanding,
  RetryLanding,
]);
export type ConvoyCommand = z.infer<typeof ConvoyCommand>;
export type ConvoyCommandType = ConvoyCommand['type'];
export type ConvoyCommandOf<T extends ConvoyCommandType> = Extract<ConvoyCommand, { type: T }>;
/** What a client sends: defaults not yet applied. */
export type ConvoyCommandInput = z.input<typeof ConvoyCommand>;
