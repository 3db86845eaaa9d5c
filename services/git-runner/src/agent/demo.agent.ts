import { posix } from 'node:path';
import type { PromptBlock } from './agent.prompt';

/**
 * The demo agent: a deterministic stand-in for an LLM, so whole convoys can run in tests and
 * demos. It writes one file per bead, and the bead body can steer it with one directive a line:
 *
 * - `demo:edit <relative path> <text>`: make `<text>` the whole content of that file (two beads
 *   editing one file conflict); on a rework after a conflict it appends the text instead;
 * - `demo:fail`: exit 1; `demo:fail-until <n>`: exit 1 while the attempt is below n;
 * - `demo:hang`: never finish (timeout and cancellation tests);
 * - `demo:noop`: change nothing.
 */
export type DemoDirective =
  | { readonly kind: 'edit'; readonly path: string; readonly text: string }
  | { readonly kind: 'fail' }
  | { readonly kind: 'fail-until'; readonly attempt: number }
  | { readonly kind: 'hang' }
  | { readonly kind: 'noop' };

export interface DemoWrite {
  readonly path: string;
  readonly text: string;
  /** `append` re-applies an edit on top of whatever the file holds now. */
  readonly mode: 'replace' | 'append';
}

export type DemoPlan =
  | { readonly kind: 'fail'; readonly message: string }
  | { readonly kind: 'hang' }
  | { readonly kind: 'write'; readonly writes: readonly DemoWrite[] };

export class DemoDirectiveError extends Error {
  override readonly name = 'DemoDirectiveError';
  constructor(readonly problems: readonly string[]) {
    super(`invalid demo directives:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

function pathProblem(path: string): string | null {
  if (posix.isAbsolute(path) || /^[A-Za-z]:[\\/]/.test(path)) return 'must be relative to the worktree';
  const segments = posix.normalize(path.replace(/\\/g, '/')).split('/');
  if (segments.includes('..')) return 'must stay inside the worktree';
  if (segments.includes('.git')) return 'must not be inside .git';
  if (segments.every((s) => s === '.' || s === '')) return 'must name a file';
  return null;
}

function parseLine(rest: string, name: string): { directive?: DemoDirective; problem?: string } {
  switch (name) {
    case 'edit': {
      const match = /^(\S+)\s+(.+)$/.exec(rest);
      if (!match) return { problem: 'demo:edit needs a path and a text: demo:edit <path> <text>' };
      const [, path = '', text = ''] = match;
      const problem = pathProblem(path);
      if (problem) return { problem: `demo:edit path "${path}" ${problem}` };
      return { directive: { kind: 'edit', path: posix.normalize(path), text } };
    }
    case 'fail-until': {
      if (!/^\d+$/.test(rest) || Number(rest) < 1) return { problem: `demo:fail-until needs an attempt number from 1 (got "${rest}")` };
      return { directive: { kind: 'fail-until', attempt: Number(rest) } };
    }
    case 'fail':
    case 'hang':
    case 'noop':
      if (rest !== '') return { problem: `demo:${name} takes no argument (got "${rest}")` };
      return { directive: { kind: name } };
    default:
      return { problem: `unknown directive demo:${name} (known: edit, fail, fail-until, hang, noop)` };
  }
}

/** The directives of a bead body; other lines are ordinary text. Every bad line is reported with its number. */
export function parseDirectives(body: string): DemoDirective[] {
  const directives: DemoDirective[] = [];
  const problems: string[] = [];
  body.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.trim();
    const match = /^demo:([\w-]*)(?:\s+(.*))?$/.exec(line);
    if (!match) return;
    const [, name = '', rest = ''] = match;
    const { directive, problem } = parseLine(rest.trim(), name);
    if (directive) directives.push(directive);
    if (problem) problems.push(`line ${index + 1}: ${problem}`);
  });
  if (directives.some((d) => d.kind === 'noop') && directives.some((d) => d.kind === 'edit')) {
    problems.push('demo:noop and demo:edit contradict each other');
  }
  if (problems.length > 0) throw new DemoDirectiveError(problems);
  return directives;
}

/** The first 8 hex digits keep paths short; two beads of one demo convoy share them with a chance of about 1 in 4 billion. */
export function beadFilePath(beadId: string): string {
  return `beads/${beadId.slice(0, 8)}.md`;
}

/** What the agent does for this prompt. Failing and hanging come first, so they leave the worktree untouched. */
export function planDemo(task: PromptBlock): DemoPlan {
  const directives = parseDirectives(task.body);
  const where = `bead ${task.beadId}, attempt ${task.attempt}`;
  if (directives.some((d) => d.kind === 'fail')) {
    return { kind: 'fail', message: `demo agent: failing as told by demo:fail (${where})` };
  }
  const failUntil = directives.find((d) => d.kind === 'fail-until');
  if (failUntil && task.attempt < failUntil.attempt) {
    return { kind: 'fail', message: `demo agent: failing as told by demo:fail-until ${failUntil.attempt} (${where})` };
  }
  if (directives.some((d) => d.kind === 'hang')) return { kind: 'hang' };
  if (directives.some((d) => d.kind === 'noop')) return { kind: 'write', writes: [] };
  const rework = /conflict/i.test(task.previousReason ?? '');
  const edits = directives.flatMap((d): DemoWrite[] =>
    d.kind === 'edit' ? [{ path: d.path, text: d.text, mode: rework ? 'append' : 'replace' }] : [],
  );
  const beadFile: DemoWrite = {
    path: beadFilePath(task.beadId),
    text: task.body === '' ? `# ${task.title}` : `# ${task.title}\n\n${task.body}`,
    mode: 'replace',
  };
  return { kind: 'write', writes: [beadFile, ...edits] };
}

/** The new content of a file; `current` is null when the file does not exist. Files end with a newline. */
export function applyWrite(current: string | null, write: DemoWrite): string {
  if (write.mode === 'replace' || current === null || current === '') return `${write.text}\n`;
  return `${current}${current.endsWith('\n') ? '' : '\n'}${write.text}\n`;
}
