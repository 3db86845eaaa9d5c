import { z } from 'zod';
// The text rules alone: the contracts' index brings node:crypto, which a browser bundle cannot hold.
import { TEXT_LIMITS, textProblem, type TextKind } from '@gastown/contracts/text';

export const MERGE_MODES = ['REVIEW_THEN_LAND', 'REVIEW_AND_MERGE'] as const;
export type MergeModeName = (typeof MERGE_MODES)[number];

/** Plan files are written by people, so every message says what the field must be, in their words. */
const text = (required = 'is required') =>
  z.string({ error: (issue) => (issue.input === undefined ? required : 'must be text') });
/** The convoy service's text rules, reported while the plan is read, with the position in the field. */
const textRule = (kind: TextKind, max: number) => (value: string, ctx: z.RefinementCtx) => {
  const problem = textProblem('', value, kind, max);
  if (problem) ctx.addIssue({ code: 'custom', message: problem.message.trim() });
};
const flag = () => z.boolean({ error: () => 'must be true or false' });

/** Accepts `review_then_land`, `review-then-land` or `REVIEW_THEN_LAND`. */
const MergeModeField = z
  .string({ error: () => 'must be review_then_land or review_and_merge' })
  .transform((value) => value.trim().toUpperCase().replace(/-/g, '_'))
  .pipe(z.enum(MERGE_MODES, { error: () => 'must be review_then_land or review_and_merge' }));

const DEPENDENCY = 'must be a task index (0, 1, …) or the title or id of a task of the plan';

/** A task refers to the tasks it waits for by index in the plan, or by title or id when those are unique. */
const DependencyRef = z.union(
  [z.number().int(DEPENDENCY).nonnegative(DEPENDENCY), z.string().min(1, 'must not be empty (a task index, title or id)')],
  { error: () => DEPENDENCY },
);

export const PlanTask = z.strictObject(
  {
    id: text().min(1, 'must not be empty').max(100, 'must be at most 100 characters').optional(),
    title: text().trim().min(1, 'must not be empty').superRefine(textRule('line', TEXT_LIMITS.title)),
    body: text().superRefine(textRule('body', TEXT_LIMITS.body)).optional(),
    rig: text().min(1, 'must not be empty (a rig name or id)').optional(),
    depends_on: z.array(DependencyRef, { error: () => 'must be a list of task indices, titles or ids' }).default([]),
  },
  { error: () => 'must be a task: a mapping with title and optionally id, body, rig, depends_on' },
);
export type PlanTask = z.infer<typeof PlanTask>;

/** The plan file of `gt sling-batch` and the dashboard, and the arguments of the Mayor's gt_sling_batch. */
export const Plan = z.strictObject(
  {
    title: text().trim().min(1, 'must not be empty').superRefine(textRule('line', TEXT_LIMITS.title)),
    /** The default rig, by name or id; a task may name another. */
    rig: text('is required (the rig name or id)').min(1, 'must not be empty (a rig name or id)'),
    merge_mode: MergeModeField.default('REVIEW_THEN_LAND'),
    staged: flag().default(false),
    parallel: flag().default(false),
    tasks: z.array(PlanTask, { error: () => 'must be a list of tasks' }).min(1, 'must hold at least one task'),
  },
  { error: () => 'a plan must be a mapping with title, rig and tasks' },
);
export type Plan = z.infer<typeof Plan>;
export type PlanInput = z.input<typeof Plan>;
