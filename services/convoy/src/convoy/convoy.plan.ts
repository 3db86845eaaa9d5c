import { jsonByteLength, TEXT_LIMITS, textProblem, type TaskInput } from '@gastown/contracts';
import { describeCycle, describeFlatBatch, findCycle, isFlatBatch, type Deps } from '@gastown/dag';
import { DomainError, type InputError } from '../decider/decider.error';
import { quote } from './convoy.messages';

/** A task that passed the checks; `dependsOn` holds convoy-wide indices, without repeats. */
export interface PlannedTask {
  title: string;
  body: string;
  rigId: string;
  dependsOn: number[];
}

export interface PlanScope {
  /** The convoy index of the first task: 0 for a new convoy, the bead count for AddTasks. */
  firstIndex: number;
  defaultRigId: string;
  /** Why a task may not use this rig, or null when it may. */
  rigProblem(rigId: string): string | null;
  /** Why tasks without a rigId cannot fall back to the default rig, or null when they can. */
  defaultRigProblem: string | null;
}

function taskLabel(index: number, title: string): string {
  return title === '' ? `task ${index}` : `task ${index} (${quote(title)})`;
}

/**
 * Every follower (dispatcher, projector, subscriptions) reads a decision whole, so its encoded
 * size is bounded: checked on what the client sent before anything else, then on the events
 * decided, which can be larger (bead ids in place of indices).
 */
export function assertPlanSize(what: string, value: unknown, maxBytes: number): void {
  const size = jsonByteLength(value);
  if (size <= maxBytes) return;
  throw DomainError.badInput(
    `${what} encodes to ${size} bytes, over the limit of ${maxBytes} bytes per decision: stage the convoy and add its tasks in parts (AddTasks), or shorten the bodies`,
    { path: ['tasks'], size, limit: maxBytes },
  );
}

/** Checks every task and collects every problem, so that one reply lists them all. */
export function checkTasks(
  tasks: readonly TaskInput[],
  scope: PlanScope,
): { planned: PlannedTask[]; errors: InputError[] } {
  const total = scope.firstIndex + tasks.length;
  const errors: InputError[] = [];
  const planned = tasks.map((task, position): PlannedTask => {
    const index = scope.firstIndex + position;
    const title = task.title.trim();
    const label = taskLabel(index, title);
    const at = (...rest: (string | number)[]) => ['tasks', position, ...rest];
    const titleProblem = textProblem(`tasks[${position}].title`, task.title, 'line', TEXT_LIMITS.title);
    if (titleProblem) {
      errors.push({ path: at('title'), value: titleProblem.codePoint ?? task.title.length, message: `${label}: ${titleProblem.message}` });
    } else if (title === '') {
      errors.push({ path: at('title'), value: task.title, message: `${label}: title must not be empty` });
    }
    const bodyProblem = task.body === undefined ? null : textProblem(`tasks[${position}].body`, task.body, 'body', TEXT_LIMITS.body);
    if (bodyProblem) {
      errors.push({ path: at('body'), value: bodyProblem.codePoint ?? task.body?.length, message: `${label}: ${bodyProblem.message}` });
    }
    if (task.rigId !== undefined) {
      const problem = scope.rigProblem(task.rigId);
      if (problem) {
        errors.push({ path: at('rigId'), value: task.rigId, message: `${label}: rigId ${JSON.stringify(task.rigId)} ${problem}` });
      }
    } else if (scope.defaultRigProblem) {
      errors.push({ path: at('rigId'), value: undefined, message: `${label}: ${scope.defaultRigProblem}` });
    }
    const dependsOn: number[] = [];
    const seen = new Set<number>();
    (task.dependsOn ?? []).forEach((value, slot) => {
      if (seen.has(value)) return;
      seen.add(value);
      const problem = !Number.isInteger(value)
        ? 'is not a whole number'
        : value < 0 || value >= total
          ? `is out of range (tasks are numbered 0 to ${total - 1})`
          : value === index
            ? 'refers to the task itself'
            : null;
      if (problem) {
        errors.push({ path: at('dependsOn', slot), value, message: `${label}: dependsOn[${slot}] = ${value} ${problem}` });
      } else {
        dependsOn.push(value);
      }
    });
    return { title, body: task.body ?? '', rigId: task.rigId ?? scope.defaultRigId, dependsOn };
  });
  return { planned, errors };
}

function cycleError(cycle: readonly number[], titleOf: (index: number) => string, verb = 'form'): DomainError {
  return DomainError.badInput(describeCycle(cycle, titleOf, quote, verb), {
    cycle: cycle.map((index) => ({ index, title: titleOf(index) })),
  });
}

/** Rejects a graph that loops, naming one loop; `deps[i]` are the indices task i depends on. */
export function assertAcyclic(deps: Deps, titleOf: (index: number) => string, verb?: string): void {
  const cycle = findCycle(deps);
  if (cycle) throw cycleError(cycle, titleOf, verb);
}

/** Several tasks with no order between them usually touch the same code and collide at merge time. */
export function assertNotFlat(taskCount: number, edgeCount: number, parallel: boolean): void {
  if (!isFlatBatch(taskCount, edgeCount, parallel)) return;
  throw DomainError.badInput(describeFlatBatch(taskCount, 'dependsOn'), { path: ['parallel'], taskCount });
}
