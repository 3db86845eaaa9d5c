import { parseDocument } from 'yaml';
import type { z } from 'zod';
import { Plan, PlanTask } from './plan.schema';

/** A plan that cannot be used, with every problem found, each naming the field it is about. */
export class PlanError extends Error {
  constructor(
    readonly source: string,
    readonly problems: readonly string[],
  ) {
    super(`${source}: ${problems.length === 1 ? problems[0] : `${problems.length} problems:\n  - ${problems.join('\n  - ')}`}`);
    this.name = 'PlanError';
  }
}

/** `tasks[2].depends_on[0]`, the way a person finds the spot in their file. */
export function fieldPath(path: readonly PropertyKey[]): string {
  return path
    .map((key, i) => (typeof key === 'number' ? `[${key}]` : `${i === 0 ? '' : '.'}${String(key)}`))
    .join('');
}

/** The fields a mapping at `path` may hold, so a misspelt field comes with the right spelling. */
function knownFields(path: readonly PropertyKey[]): string[] {
  if (path.length === 0) return Object.keys(Plan.shape);
  if (path.length === 2 && path[0] === 'tasks') return Object.keys(PlanTask.shape);
  return [];
}

export function describeIssues(error: z.ZodError): string[] {
  return error.issues.map((issue) => {
    const where = fieldPath(issue.path);
    if (issue.code === 'unrecognized_keys') {
      const known = knownFields(issue.path);
      return (
        `${where ? `${where}: ` : ''}unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}` +
        (known.length > 0 ? ` (known fields: ${known.join(', ')})` : '')
      );
    }
    return where ? `${where} ${issue.message}` : issue.message;
  });
}

/** Checks an already-structured plan (JSON arguments of a tool, a parsed file). */
export function validatePlan(value: unknown, source = 'plan'): Plan {
  const parsed = Plan.safeParse(value);
  if (!parsed.success) throw new PlanError(source, describeIssues(parsed.error));
  return parsed.data;
}

/** Reads a plan written in YAML or JSON (JSON is YAML, so one parser serves both and reports lines). */
export function parsePlan(text: string, source = 'plan'): Plan {
  if (!text.trim()) throw new PlanError(source, ['the plan is empty']);
  const document = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (document.errors.length > 0) {
    throw new PlanError(
      source,
      document.errors.map((e) => e.message.split('\n')[0]),
    );
  }
  return validatePlan(document.toJS(), source);
}
