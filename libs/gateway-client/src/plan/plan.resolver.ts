import type { MergeModeName, Plan } from './plan.schema';
import { PlanError } from './plan.parser';

export interface RigRef {
  readonly id: string;
  readonly name: string;
}

/** The input of the gateway's slingBatch mutation. */
export interface SlingBatchInput {
  title: string;
  defaultRigId: string;
  mergeMode: MergeModeName;
  staged: boolean;
  parallel: boolean;
  tasks: { title: string; body?: string; rigId?: string; dependsOn: number[] }[];
  commandId?: string;
}

/**
 * Turns a plan written for people (rig names, dependencies by title) into the gateway's input
 * (rig ids, dependencies by index). Every problem is reported at once, naming the task, so a
 * person or a model fixes the plan in one pass. Cycles are left to the convoy service, which
 * explains them with the task titles.
 */
export function resolvePlan(plan: Plan, rigs: readonly RigRef[], source = 'plan'): SlingBatchInput {
  const problems: string[] = [];
  const known = rigs.map((r) => r.name).join(', ') || 'none registered';
  const rigId = (ref: string, where: string): string | undefined => {
    const rig = rigs.find((r) => r.name === ref) ?? rigs.find((r) => r.id === ref);
    if (!rig) problems.push(`${where}: unknown rig "${ref}" (rigs of this town: ${known})`);
    return rig?.id;
  };
  const taskName = (i: number) => `tasks[${i}] "${plan.tasks[i].title}"`;

  const byKey = new Map<string, number[]>();
  plan.tasks.forEach((task, i) => {
    for (const key of new Set([task.title, ...(task.id ? [task.id] : [])])) byKey.set(key, [...(byKey.get(key) ?? []), i]);
  });
  const ids = plan.tasks.map((t) => t.id).filter((id): id is string => id !== undefined);
  for (const id of new Set(ids.filter((id, i) => ids.indexOf(id) !== i))) problems.push(`task id "${id}" is used by more than one task`);

  const defaultRigId = rigId(plan.rig, 'rig');
  const tasks = plan.tasks.map((task, i) => {
    const dependsOn: number[] = [];
    task.depends_on.forEach((ref, j) => {
      const where = `${taskName(i)} depends_on[${j}]`;
      const target = (index: number) => {
        if (index === i) problems.push(`${where}: a task cannot depend on itself`);
        else dependsOn.push(index);
      };
      if (typeof ref === 'number') {
        if (ref >= plan.tasks.length) problems.push(`${where}: there is no task ${ref} (the plan has tasks 0 to ${plan.tasks.length - 1})`);
        else target(ref);
        return;
      }
      const matches = byKey.get(ref) ?? [];
      if (matches.length === 0) problems.push(`${where}: no task has the title or id "${ref}"`);
      else if (matches.length > 1) problems.push(`${where}: "${ref}" names tasks ${matches.join(' and ')}; use an index or an id`);
      else target(matches[0]);
    });
    return {
      title: task.title,
      ...(task.body !== undefined ? { body: task.body } : {}),
      ...(task.rig !== undefined ? { rigId: rigId(task.rig, `${taskName(i)} rig`) } : {}),
      dependsOn: [...new Set(dependsOn)],
    };
  });
  if (problems.length > 0 || !defaultRigId) throw new PlanError(source, problems);
  return {
    title: plan.title,
    defaultRigId,
    mergeMode: plan.merge_mode,
    staged: plan.staged,
    parallel: plan.parallel,
    tasks,
  };
}
