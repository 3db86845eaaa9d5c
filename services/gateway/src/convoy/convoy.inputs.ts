import { ArgsType, Field, ID, InputType, Int } from '@nestjs/graphql';
import { TEXT_LIMITS, textProblem, type ConvoyStatus, type MergeMode, type TextKind } from '@gastown/contracts';
import { ConvoyStatusEnum, MergeModeEnum } from '../graphql/graphql.enums';

const COMMAND_ID = 'Idempotency key: a retry with the same id changes nothing more and returns the same result.';

@InputType()
export class TaskInput {
  @Field() title!: string;
  @Field({ nullable: true }) body?: string;
  @Field(() => ID, { nullable: true, description: "Defaults to the convoy's default rig." }) rigId?: string;
  @Field(() => [Int], { defaultValue: [], description: 'Indices (in the plan) of the tasks this one waits for.' })
  dependsOn!: number[];
}

@InputType()
export class SlingBatchInput {
  @Field() title!: string;
  @Field(() => ID) defaultRigId!: string;
  @Field(() => MergeModeEnum, { defaultValue: 'REVIEW_THEN_LAND' }) mergeMode!: MergeMode;
  @Field({ defaultValue: false }) staged!: boolean;
  @Field({ defaultValue: false }) parallel!: boolean;
  @Field(() => [TaskInput]) tasks!: TaskInput[];
  @Field({ nullable: true, description: COMMAND_ID }) commandId?: string;
}

@InputType()
export class SlingInput {
  @Field() title!: string;
  @Field({ nullable: true }) body?: string;
  @Field(() => ID) rigId!: string;
  @Field(() => MergeModeEnum, { defaultValue: 'REVIEW_THEN_LAND' }) mergeMode!: MergeMode;
  @Field({ defaultValue: false }) staged!: boolean;
  @Field({ nullable: true, description: COMMAND_ID }) commandId?: string;
}

export const MAX_PAGE_SIZE = 100;

@ArgsType()
export class ConvoysArgs {
  @Field(() => ConvoyStatusEnum, { nullable: true }) status?: ConvoyStatus;
  @Field(() => ID, { nullable: true, description: 'Only convoys with a bead on this rig.' }) rigId?: string;
  @Field(() => Int, { defaultValue: 20, description: `Page size, at most ${MAX_PAGE_SIZE}.` }) first!: number;
  @Field({ nullable: true, description: 'The endCursor of the previous page.' }) after?: string;
}

export interface InputTextProblem {
  /** The argument as the client addressed it, e.g. `tasks[3].title`. */
  argument: string;
  message: string;
}

const TITLE_SHOWN = 60;
const shown = (title: string) => JSON.stringify(title.length > TITLE_SHOWN ? `${title.slice(0, TITLE_SHOWN - 1)}…` : title);

function check(argument: string, value: string | null | undefined, kind: TextKind, max: number, label?: string): InputTextProblem | null {
  const problem = value == null ? null : textProblem(argument, value, kind, max);
  if (!problem) return null;
  return { argument, message: label ? `${label}: ${problem.message}` : problem.message };
}

/**
 * The first text in a plan that the convoy service would refuse, found before the command is
 * sent so a hostile plan costs no round trip; the convoy service checks again and stays the
 * authority (it also reports every problem at once, and the plan's size).
 */
export function planTextProblem(
  input: { title?: string; body?: string | null; tasks?: readonly TaskInput[] },
  /** False for AddTasks: a task's convoy index is then not the gateway's to know, so only its field is named. */
  namesTaskIndex = true,
): InputTextProblem | null {
  const convoy = check('title', input.title, 'line', TEXT_LIMITS.title) ?? check('body', input.body, 'body', TEXT_LIMITS.body);
  if (convoy) return convoy;
  for (const [i, task] of (input.tasks ?? []).entries()) {
    const label = namesTaskIndex ? `task ${i} (${shown(task.title.trim())})` : undefined;
    const found =
      check(`tasks[${i}].title`, task.title, 'line', TEXT_LIMITS.title, label) ??
      check(`tasks[${i}].body`, task.body, 'body', TEXT_LIMITS.body, label);
    if (found) return found;
  }
  return null;
}

/** A close reason is one line: it is shown in lists and in webhook payloads. */
export function reasonTextProblem(reason: string): InputTextProblem | null {
  return check('reason', reason, 'reason', TEXT_LIMITS.reason);
}
