import { describeCycle, describeFlatBatch, findCycle, isFlatBatch, waves } from '@gastown/dag';
import { PlanError } from './plan.parser';
import type { SlingBatchInput } from './plan.resolver';

/**
 * The waves a resolved plan will run in, or a PlanError for what the convoy service would refuse
 * about its shape — a cycle (named by index and title, the way the service names it) or a flat
 * batch — so `gt sling-batch --dry-run` predicts the answer without creating anything.
 */
export function planWaves(input: Pick<SlingBatchInput, 'tasks' | 'parallel'>, source = 'plan'): number[][] {
  const deps = input.tasks.map((task) => task.dependsOn);
  const cycle = findCycle(deps);
  if (cycle) throw new PlanError(source, [describeCycle(cycle, (index) => input.tasks[index].title, (title) => JSON.stringify(title))]);
  const edges = deps.reduce((sum, d) => sum + d.length, 0);
  if (isFlatBatch(input.tasks.length, edges, input.parallel)) throw new PlanError(source, [describeFlatBatch(input.tasks.length, 'depends_on')]);
  return waves(deps);
}
