import { GatewayError, PlanError, retryHint, type RigRef } from '@gastown/gateway-client';
import { UnknownRigError } from './rig/rig.lookup';

export interface ExplainContext {
  /** The tool that failed: explanations name the call to repeat or the tool to use instead. */
  readonly tool: string;
  readonly gatewayUrl: string;
  /** The town's rigs, when known: a refusal about a rig lists them so the model can pick one. */
  readonly rigs?: readonly RigRef[];
}

/** Tools whose call may have gone through even when no answer came back. */
const CHANGING_TOOLS: ReadonlySet<string> = new Set([
  'gt_sling_batch',
  'gt_sling',
  'gt_convoy_start',
  'gt_convoy_close',
  'gt_bead_add_dependency',
  'gt_bead_remove_dependency',
  'gt_bead_retry',
]);

interface CycleStep {
  index: number;
  title: string;
}

/**
 * Turns any failure of a tool into text a model can act on in one step: what was refused,
 * why, and the exact change or call that fixes it. The token never appears, only its variable.
 */
export function explainError(error: unknown, context: ExplainContext): string {
  if (error instanceof UnknownRigError) return explainUnknownRig(error, context);
  if (error instanceof PlanError) return explainPlanProblems(error.problems, context);
  if (!(error instanceof GatewayError)) {
    return `${context.tool} failed: ${error instanceof Error ? error.message : String(error)}`;
  }
  switch (error.code) {
    case 'UNAUTHENTICATED':
      return (
        `The gateway at ${context.gatewayUrl} refused the town token: GT_TOKEN is wrong, revoked or of no town. ` +
        'Set GT_TOKEN in the environment of the Mayor MCP server to the token that `gt town create` printed, ' +
        'then restart the server. Nothing was changed.'
      );
    case 'UNREACHABLE': {
      const check = CHANGING_TOOLS.has(context.tool) ? ' Before repeating it, check with gt_list_convoys whether it went through.' : '';
      return (
        `The Gastown gateway is down or unreachable at ${context.gatewayUrl} (${error.message}). ` +
        `Start Gastown (\`npm start\`) or set GATEWAY_URL to the running gateway, then call ${context.tool} again.${check}`
      );
    }
    case 'UNAVAILABLE':
      return `The gateway is up but could not finish ${context.tool} in time (${error.message}). Call it again in a moment.`;
    case 'RATE_LIMITED':
      return (
        `The town is over its share of the gateway (${error.message}); ${context.tool} was refused before it ran, so nothing was changed. ` +
        `Wait, then call ${context.tool} again with the same arguments: ${retryHint(error) ?? 'retry in a few seconds'}. Fewer calls at once avoid it.`
      );
    case 'QUERY_TOO_COSTLY':
    case 'DEADLINE_EXCEEDED':
      return (
        `The gateway refused ${context.tool} as too large to answer at once (${error.message}). Nothing was changed. ` +
        'Ask for less: a single convoy (gt_convoy_status) or fewer items, then go on from there.'
      );
    case 'NOT_FOUND':
      return (
        `Not found: ${error.message}. Convoy ids come from gt_list_convoys, bead ids from gt_list_beads, ` +
        'rig names from gt_list_rigs; look the id up and call again.'
      );
    case 'CONFLICT':
      return (
        `Refused in the current state: ${error.message}. ` +
        'Call gt_convoy_status to see where the convoy and its beads are now, then choose the next step.'
      );
    case 'BAD_USER_INPUT':
      return explainBadInput(error, context);
    default:
      return `The gateway failed with an internal error during ${context.tool} (${error.message}); its own log has the cause. Nothing in the request needs changing; try again later.`;
  }
}

function explainBadInput(error: GatewayError, context: ExplainContext): string {
  const cycle = asCycle(error.details['cycle']);
  if (cycle) return explainCycle(cycle, context);
  if (error.details['path'] instanceof Array && error.details['path'][0] === 'parallel') {
    const count = typeof error.details['taskCount'] === 'number' ? error.details['taskCount'] : 'Several';
    return (
      `The plan was refused: ${count} tasks and not one depends_on between them. Tasks without an order usually ` +
      'touch the same code and collide when they merge. Add depends_on where a task needs the result of another, ' +
      `or, if the tasks are truly independent, set parallel: true; then call ${context.tool} again. Nothing was created.`
    );
  }
  const problems = inputProblems(error);
  const aboutRigs = problems.some((p) => /\brig/i.test(p)) || /\brig/i.test(error.message);
  const rigHint = aboutRigs && context.rigs ? ` ${listRigs(context.rigs)}` : '';
  if (problems.length > 1) {
    return `${context.tool} was refused, nothing was changed. Fix every problem below, then call it again:\n${problems.map((p) => `- ${p}`).join('\n')}${rigHint ? `\n${rigHint.trim()}` : ''}`;
  }
  return `${context.tool} was refused, nothing was changed: ${problems[0] ?? error.message}.${rigHint} Fix it and call ${context.tool} again.`;
}

function inputProblems(error: GatewayError): string[] {
  const errors = error.details['errors'];
  if (!(errors instanceof Array)) return [error.message];
  const messages = errors
    .map((e) => (e && typeof e === 'object' && typeof (e as { message?: unknown }).message === 'string' ? (e as { message: string }).message : null))
    .filter((m): m is string => m !== null)
    .map((m) => m.replace(/\bdependsOn\b/g, 'depends_on'));
  return messages.length > 0 ? messages : [error.message];
}

function asCycle(value: unknown): CycleStep[] | null {
  if (!(value instanceof Array) || value.length < 2) return null;
  const steps = value.filter(
    (s): s is CycleStep => !!s && typeof s === 'object' && typeof (s as CycleStep).index === 'number' && typeof (s as CycleStep).title === 'string',
  );
  return steps.length === value.length ? steps : null;
}

/** `cycle` is a path whose first and last steps are the same task: each step depends on the next. */
function explainCycle(cycle: readonly CycleStep[], context: ExplainContext): string {
  const name = (s: CycleStep) => `${s.index} "${s.title}"`;
  const path = cycle.map(name).join(' → ');
  const edges = cycle.slice(0, -1).map((from, i) => ({ from, to: cycle[i + 1] }));
  if (context.tool === 'gt_bead_add_dependency') {
    return (
      `Refused: this dependency would close a cycle, and beads in a cycle wait on each other forever: beads ${path} ` +
      `(${edges.map((e) => `"${e.from.title}" depends on "${e.to.title}"`).join(', ')}). ` +
      'Do not add it. If the order really has to change, first remove one of the existing dependencies of the loop ' +
      'with gt_bead_remove_dependency. Nothing was changed.'
    );
  }
  const fixes = edges.map((e) => `remove ${e.to.index} from the depends_on of task ${name(e.from)}`);
  return (
    `The plan was refused because its dependencies form a cycle, so none of these tasks could ever start: tasks ${path} ` +
    `(${edges.map((e) => `"${e.from.title}" depends on "${e.to.title}"`).join(', ')}). ` +
    `Remove one of these dependencies — ${fixes.join(', or ')} — and call ${context.tool} again. Nothing was created.`
  );
}

function explainPlanProblems(problems: readonly string[], context: ExplainContext): string {
  const aboutRigs = problems.some((p) => /unknown rig/.test(p));
  const rigHint = aboutRigs && context.rigs && context.rigs.length === 0 ? `\n${listRigs(context.rigs)}` : '';
  return (
    `The plan was not sent, nothing was created. Fix ${problems.length === 1 ? 'this problem' : `these ${problems.length} problems`} ` +
    `and call ${context.tool} again:\n${problems.map((p) => `- ${p}`).join('\n')}${rigHint}`
  );
}

function explainUnknownRig(error: UnknownRigError, context: ExplainContext): string {
  const retry = error.rigs.length > 0 ? ` Call ${context.tool} again with one of these names.` : '';
  return `There is no rig "${error.ref}" in this town. ${listRigs(error.rigs)}${retry}`;
}

function listRigs(rigs: readonly RigRef[]): string {
  if (rigs.length === 0) {
    return 'This town has no rigs yet: a person has to register a repository first (`gt rig add`), then work can be slung.';
  }
  return `The rigs of this town are: ${rigs.map((r) => `"${r.name}" (id ${r.id})`).join(', ')}.`;
}

/** A refusal about a rig reads better with the town's rigs listed, which the failing call may not have fetched. */
export function wantsRigList(error: unknown): boolean {
  return (
    error instanceof GatewayError &&
    error.code === 'BAD_USER_INPUT' &&
    !asCycle(error.details['cycle']) &&
    inputProblems(error).some((p) => /\brig/i.test(p))
  );
}
