import { z } from 'zod';

export interface PromptBlocker {
  readonly title: string;
  readonly mergeCommit: string;
}

export interface PromptInput {
  readonly convoyTitle: string;
  readonly bead: { readonly id: string; readonly title: string; readonly body: string };
  /** Beads this one depends on; all of them are merged into the base branch already. */
  readonly blockers: readonly PromptBlocker[];
  /** Why the previous attempt was sent back or failed; null on a first attempt. */
  readonly previousReason: string | null;
  readonly attempt: number;
  readonly branch: string;
  readonly baseBranch: string;
}

/**
 * The machine-readable copy of the task that opens every prompt, for tools such as the demo
 * agent. It is the first thing in the prompt, so no bead text can place a fake block before it.
 */
export const PromptBlock = z.object({
  beadId: z.string().min(1),
  title: z.string(),
  body: z.string(),
  attempt: z.number().int().positive(),
  previousReason: z.string().nullable(),
  convoyTitle: z.string(),
  branch: z.string(),
  baseBranch: z.string(),
});
export type PromptBlock = z.infer<typeof PromptBlock>;

const BLOCK_FENCE = '```gastown';

/** Headings hold one line; the full title, newlines included, is in the block and the task text. */
function oneLine(text: string): string {
  return text.replace(/[\r\n]+/g, ' ').trim();
}

function quote(text: string): string {
  return text
    .split(/\r?\n/)
    .map((line) => (line === '' ? '>' : `> ${line}`))
    .join('\n');
}

function attemptSection(attempt: number, previousReason: string | null): string {
  if (attempt === 1 && previousReason === null) return 'This is the first attempt at this task.';
  // No reason means no verdict on the work: the runner was restarted or lost the attempt, so
  // telling the agent to "address that reason" would send it looking for a fault that is not there.
  if (!previousReason?.trim()) {
    return `This is attempt ${attempt}. The previous attempt was stopped before it finished (a runner restart or a lost job), not judged: do the task as written.`;
  }
  return `This is attempt ${attempt}. The previous attempt was sent back because:\n\n${quote(previousReason.trim())}\n\nAddress that reason first; it is why this task came back.`;
}

function blockersSection(blockers: readonly PromptBlocker[], baseBranch: string): string | null {
  if (blockers.length === 0) return null;
  const lines = blockers.map((b) => `- ${oneLine(b.title)} (merge commit \`${b.mergeCommit}\`)`);
  return [
    `## Already done`,
    '',
    `These tasks came before this one and are merged into \`${baseBranch}\`, which your branch starts from. Build on them; do not redo them.`,
    '',
    ...lines,
  ].join('\n');
}

/** The markdown an agent receives for one attempt at one bead. Pure: the same input gives the same text. */
export function buildPrompt(input: PromptInput): string {
  const block: PromptBlock = {
    beadId: input.bead.id,
    title: input.bead.title,
    body: input.bead.body,
    attempt: input.attempt,
    previousReason: input.previousReason,
    convoyTitle: input.convoyTitle,
    branch: input.branch,
    baseBranch: input.baseBranch,
  };
  const body = input.bead.body.trim() === '' ? '(No further description: the title says what to do.)' : input.bead.body;
  const sections = [
    // JSON.stringify escapes newlines, so the block is exactly one line and cannot be closed early.
    `${BLOCK_FENCE}\n${JSON.stringify(block)}\n\`\`\``,
    `# Task: ${oneLine(input.bead.title)}`,
    `You are a coding agent working on one task of the batch "${oneLine(input.convoyTitle)}". ` +
      `The current directory is a git worktree on branch \`${input.branch}\`, started from \`${input.baseBranch}\`.`,
    `## What to do\n\n${body}`,
    blockersSection(input.blockers, input.baseBranch),
    `## Attempt\n\n${attemptSection(input.attempt, input.previousReason)}`,
    [
      '## Rules',
      '',
      '- Work only in the current directory. Do not create, change or delete files outside it.',
      `- Stay on branch \`${input.branch}\`: do not switch branches, push, or rewrite commits that are already on \`${input.baseBranch}\`.`,
      '- Commit your work with a clear message, or leave the changes in the working tree: whatever is left uncommitted when you exit is committed for you.',
      '- Do not commit secrets, build output or installed dependencies.',
      '- If the task cannot be done, say why in your final message and stop.',
    ].join('\n'),
  ];
  return `${sections.filter((s): s is string => s !== null).join('\n\n')}\n`;
}

export class PromptBlockError extends Error {
  override readonly name = 'PromptBlockError';
}

/** Reads the block `buildPrompt` put at the start of a prompt. */
export function parsePromptBlock(prompt: string): PromptBlock {
  const lines = prompt.split(/\r?\n/);
  const fence = lines.findIndex((line) => line.trim() === BLOCK_FENCE);
  if (fence < 0) throw new PromptBlockError(`the prompt has no ${BLOCK_FENCE} block`);
  let json: unknown;
  try {
    json = JSON.parse(lines[fence + 1] ?? '');
  } catch {
    throw new PromptBlockError(`the line after ${BLOCK_FENCE} is not JSON`);
  }
  const parsed = PromptBlock.safeParse(json);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.') || 'block'}: ${i.message}`);
    throw new PromptBlockError(`the ${BLOCK_FENCE} block is invalid: ${problems.join('; ')}`);
  }
  return parsed.data;
}
