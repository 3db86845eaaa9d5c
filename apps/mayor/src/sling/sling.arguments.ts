import { MERGE_MODES, Plan, PlanTask, resolvePlan, type RigRef, type SlingBatchInput, type SlingInput } from '@gastown/gateway-client';
import { z } from 'zod';
import { findRig } from '../rig/rig.lookup';

/**
 * The plan of `gt sling-batch` with texts for the model that fills it in: the descriptions are
 * the only guide it reads while writing the arguments, so they say what makes a good value.
 */
const MergeMode = z
  .enum(MERGE_MODES)
  .default('REVIEW_THEN_LAND')
  .describe(
    'REVIEW_THEN_LAND (default): every bead merges into a feature branch per rig and the convoy lands on the ' +
      'default branch all at once after the last bead is merged; use it for a feature whose parts only make sense together. ' +
      'REVIEW_AND_MERGE: each bead merges into the default branch as soon as it is reviewed; use it for independent small fixes.',
  );

export const SlingBatchTaskArguments = PlanTask.extend({
  id: PlanTask.shape.id.describe('Optional short handle for this task that other tasks may use in depends_on instead of its index.'),
  title: PlanTask.shape.title.describe(
    'One line naming the single concern of this bead, e.g. "Add the users table". It becomes the title of the merge.',
  ),
  body: PlanTask.shape.body.describe(
    'Everything the agent needs, since it sees only this bead: what to change, where, and how to tell it is done (tests, behaviour).',
  ),
  rig: PlanTask.shape.rig.describe("The rig (name or id) this task works in, when it is not the convoy's rig."),
  depends_on: PlanTask.shape.depends_on.describe(
    'The tasks whose result this one needs, as 0-based indices into tasks (a task id or a unique title also works). ' +
      'The task starts only after all of them are merged. Declare every real need; leave out orders that do not matter.',
  ),
});

export const SlingBatchArguments = Plan.extend({
  title: Plan.shape.title.describe('The name of the convoy: the feature or change as a whole, e.g. "Login page".'),
  rig: Plan.shape.rig.describe('The rig (repository) the tasks work in by default, by name (see gt_list_rigs) or id.'),
  merge_mode: MergeMode,
  staged: Plan.shape.staged.describe(
    'true: create the convoy without starting anything, so a person can review the plan first; gt_convoy_start releases it.',
  ),
  parallel: Plan.shape.parallel.describe(
    'Set true only when several tasks have no depends_on at all because they are truly independent; ' +
      'otherwise a plan of several tasks without any dependency is refused, since unordered work on the same code collides at merge time.',
  ),
  tasks: z
    .array(SlingBatchTaskArguments)
    .min(1)
    .describe('The beads of the convoy, one concern each, in any order; depends_on refers to positions in this list.'),
});
export type SlingBatchArguments = z.output<typeof SlingBatchArguments>;

export const SlingArguments = {
  title: z.string().trim().min(1).describe('One line naming the change, e.g. "Fix the typo in the README".'),
  body: z.string().optional().describe('Everything the agent needs: what to change, where, and how to tell it is done.'),
  rig: z.string().min(1).describe('The rig (repository) to work in, by name (see gt_list_rigs) or id.'),
  merge_mode: MergeMode,
  staged: z.boolean().default(false).describe('true: create it without starting; gt_convoy_start releases it.'),
};
export type SlingArguments = z.output<z.ZodObject<typeof SlingArguments>>;

/** The gateway's slingBatch input: rig names become ids and dependencies become indices, every problem named at once. */
export function toSlingBatchInput(args: SlingBatchArguments, rigs: readonly RigRef[]): SlingBatchInput {
  return resolvePlan(args, rigs, 'plan');
}

export function toSlingInput(args: SlingArguments, rigs: readonly RigRef[]): SlingInput {
  return {
    title: args.title,
    ...(args.body !== undefined ? { body: args.body } : {}),
    rigId: findRig(rigs, args.rig).id,
    mergeMode: args.merge_mode,
    staged: args.staged,
  };
}
