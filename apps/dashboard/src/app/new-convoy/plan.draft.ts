import {
  parsePlan,
  PlanError,
  planWaves,
  resolvePlan,
  validatePlan,
  type MergeModeName,
  type PlanInput,
  type RigRef,
  type SlingBatchInput,
} from '@gastown/gateway-client/plan';
import { Document, isSeq } from 'yaml';

/** One task of the form; `rig` is a rig name, '' for the convoy's default rig. */
export interface TaskDraft {
  readonly title: string;
  readonly body: string;
  readonly rig: string;
  /** Indices of the tasks it waits for, the way the plan file and slingBatch count them. */
  readonly dependsOn: readonly number[];
}

/** What the form holds: the plan file's fields, with rigs by name and dependencies by index. */
export interface PlanDraft {
  readonly title: string;
  readonly rig: string;
  readonly mergeMode: MergeModeName;
  readonly staged: boolean;
  readonly parallel: boolean;
  readonly tasks: readonly TaskDraft[];
}

export interface PreviewTask {
  readonly index: number;
  readonly title: string;
  readonly rig: string;
}

export interface PlanPreview {
  readonly taskCount: number;
  readonly waves: readonly { readonly index: number; readonly tasks: readonly PreviewTask[] }[];
  readonly error: string | null;
}

/** A plan as read so far: what would be sent (null when nothing can be), and what is wrong with it. */
export interface PlanReading {
  readonly input: SlingBatchInput | null;
  readonly problems: readonly string[];
}

/** Messages start with where the plan came from, as `gt sling-batch` prints them. */
const SOURCE = 'plan';

/** The form draws a checkbox per other task for every task; past this a plan is edited as text. */
export const FORM_TASK_LIMIT = 100;

const EMPTY_TASK: TaskDraft = { title: '', body: '', rig: '', dependsOn: [] };

export function emptyDraft(defaultRig: string): PlanDraft {
  return { title: '', rig: defaultRig, mergeMode: 'REVIEW_THEN_LAND', staged: false, parallel: false, tasks: [EMPTY_TASK] };
}

export function withTaskAdded(draft: PlanDraft): PlanDraft {
  return { ...draft, tasks: [...draft.tasks, EMPTY_TASK] };
}

/** Drops a task and renumbers the dependencies of the others, so every edge keeps its two ends. */
export function withTaskRemoved(draft: PlanDraft, removed: number): PlanDraft {
  const tasks = draft.tasks
    .filter((_, i) => i !== removed)
    .map((task) => ({ ...task, dependsOn: task.dependsOn.filter((d) => d !== removed).map((d) => (d > removed ? d - 1 : d)) }));
  return { ...draft, tasks };
}

export function withTaskChanged(draft: PlanDraft, index: number, change: Partial<TaskDraft>): PlanDraft {
  return { ...draft, tasks: draft.tasks.map((task, i) => (i === index ? { ...task, ...change } : task)) };
}

export function withDependency(draft: PlanDraft, task: number, on: number, waits: boolean): PlanDraft {
  const current = draft.tasks[task].dependsOn.filter((d) => d !== on);
  return withTaskChanged(draft, task, { dependsOn: waits ? [...current, on].sort((a, b) => a - b) : current });
}

/** The plan file a draft is, in the format of `gt sling-batch --file`, leaving out what is empty. */
export function draftToPlan(draft: PlanDraft): PlanInput {
  return {
    title: draft.title,
    rig: draft.rig,
    merge_mode: draft.mergeMode.toLowerCase(),
    staged: draft.staged,
    parallel: draft.parallel,
    tasks: draft.tasks.map((task) => ({
      title: task.title,
      ...(task.body !== '' ? { body: task.body } : {}),
      ...(task.rig !== '' ? { rig: task.rig } : {}),
      ...(task.dependsOn.length > 0 ? { depends_on: [...task.dependsOn] } : {}),
    })),
  };
}

/** Written the way docs/cli.md writes plans: `depends_on: [0, 2]`, and long titles left on one line. */
export function draftToYaml(draft: PlanDraft): string {
  const document = new Document(draftToPlan(draft));
  draft.tasks.forEach((_, i) => {
    const dependsOn = document.getIn(['tasks', i, 'depends_on'], true);
    if (isSeq(dependsOn)) dependsOn.flow = true;
  });
  return document.toString({ lineWidth: 0, flowCollectionPadding: false });
}

/** A resolved plan back in the form, rigs by name; null when a rig id is not one of the town's. */
export function inputToDraft(input: SlingBatchInput, rigs: readonly RigRef[]): PlanDraft | null {
  const nameOf = (id: string) => rigs.find((r) => r.id === id)?.name;
  const rig = nameOf(input.defaultRigId);
  if (rig === undefined) return null;
  const tasks: TaskDraft[] = [];
  for (const task of input.tasks) {
    const taskRig = task.rigId === undefined ? '' : nameOf(task.rigId);
    if (taskRig === undefined) return null;
    tasks.push({ title: task.title, body: task.body ?? '', rig: taskRig, dependsOn: [...task.dependsOn] });
  }
  return { title: input.title, rig, mergeMode: input.mergeMode, staged: input.staged, parallel: input.parallel, tasks };
}

function problemsOf(error: unknown): string[] {
  if (error instanceof PlanError) return [...error.problems];
  return [error instanceof Error ? error.message : String(error)];
}

/**
 * The form as the gateway would receive it — always, even when it is wrong, so that the server's
 * own refusal can be shown — with the problems the plan file's own checks find in it.
 */
export function readDraft(draft: PlanDraft, rigs: readonly RigRef[]): PlanReading & { readonly input: SlingBatchInput } {
  const idOf = (name: string) => rigs.find((r) => r.name === name)?.id ?? name;
  const input: SlingBatchInput = {
    title: draft.title.trim(),
    defaultRigId: idOf(draft.rig),
    mergeMode: draft.mergeMode,
    staged: draft.staged,
    parallel: draft.parallel,
    tasks: draft.tasks.map((task) => ({
      title: task.title.trim(),
      ...(task.body !== '' ? { body: task.body } : {}),
      ...(task.rig !== '' ? { rigId: idOf(task.rig) } : {}),
      dependsOn: [...new Set(task.dependsOn)],
    })),
  };
  try {
    resolvePlan(validatePlan(draftToPlan(draft), SOURCE), rigs, SOURCE);
    return { input, problems: [] };
  } catch (error) {
    return { input, problems: problemsOf(error) };
  }
}

/** Pasted YAML or JSON, read exactly as `gt sling-batch --file` reads a plan file. */
export function readPlanText(text: string, rigs: readonly RigRef[]): PlanReading {
  try {
    return { input: resolvePlan(parsePlan(text, SOURCE), rigs, SOURCE), problems: [] };
  } catch (error) {
    return { input: null, problems: problemsOf(error) };
  }
}

/** Only the problems of reading the text (syntax, fields), which belong under the text itself. */
export function textProblem(text: string): string | null {
  try {
    parsePlan(text, SOURCE);
    return null;
  } catch (error) {
    return error instanceof PlanError ? error.message : String(error);
  }
}

/**
 * The waves a plan will run in and what the convoy service would refuse about it. Dependencies
 * the checks already refused (out of range, on itself) are left out of the drawing, so the shape
 * still shows while a title is being typed.
 */
export function previewOf(reading: PlanReading, rigs: readonly RigRef[]): PlanPreview {
  const { input } = reading;
  const problems = [...reading.problems];
  let waves: PlanPreview['waves'] = [];
  if (input) {
    const n = input.tasks.length;
    const tasks = input.tasks.map((task, i) => ({
      title: task.title,
      dependsOn: task.dependsOn.filter((d) => Number.isInteger(d) && d >= 0 && d < n && d !== i),
    }));
    const rigName = (id: string) => rigs.find((r) => r.id === id)?.name ?? id;
    try {
      waves = planWaves({ tasks, parallel: input.parallel }, SOURCE).map((wave, index) => ({
        index,
        tasks: wave.map((i) => ({ index: i, title: input.tasks[i].title, rig: rigName(input.tasks[i].rigId ?? input.defaultRigId) })),
      }));
    } catch (error) {
      problems.push(...problemsOf(error));
    }
  }
  return {
    taskCount: input?.tasks.length ?? 0,
    waves,
    error: problems.length > 0 ? new PlanError(SOURCE, problems).message : null,
  };
}
