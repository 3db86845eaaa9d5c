import type { PromptBlock } from './agent.prompt';
import { applyWrite, beadFilePath, DemoDirectiveError, parseDirectives, planDemo } from './demo.agent';

const BEAD_ID = '9f8e7d6c-5b4a-4c3d-8e2f-1a0b9c8d7e6f';

function task(body: string, overrides: Partial<PromptBlock> = {}): PromptBlock {
  return {
    beadId: BEAD_ID,
    title: 'Add a header',
    body,
    attempt: 1,
    previousReason: null,
    convoyTitle: 'Demo',
    branch: 'gt/demo/add-a-header',
    baseBranch: 'main',
    ...overrides,
  };
}

describe('demo directives', () => {
  it('given a body mixing text and directives, when parsed, then only the directive lines count, in order', () => {
    expect(
      parseDirectives(['Some text about demo:edit that is not a directive.', '  demo:edit src/a.txt hello  world ', 'demo:fail-until 3', 'demo:hang'].join('\n')),
    ).toEqual([
      { kind: 'edit', path: 'src/a.txt', text: 'hello  world' },
      { kind: 'fail-until', attempt: 3 },
      { kind: 'hang' },
    ]);
  });

  it('given bad directives, when parsed, then every bad line is reported with its number', () => {
    const body = ['demo:edit', 'demo:edit ../outside.txt x', 'demo:edit .git/config x', 'demo:edit /etc/passwd x', 'demo:fail-until soon', 'demo:fail now', 'demo:explode'].join('\n');

    expect(() => parseDirectives(body)).toThrow(DemoDirectiveError);
    try {
      parseDirectives(body);
    } catch (error) {
      expect((error as DemoDirectiveError).problems).toEqual([
        'line 1: demo:edit needs a path and a text: demo:edit <path> <text>',
        'line 2: demo:edit path "../outside.txt" must stay inside the worktree',
        'line 3: demo:edit path ".git/config" must not be inside .git',
        'line 4: demo:edit path "/etc/passwd" must be relative to the worktree',
        'line 5: demo:fail-until needs an attempt number from 1 (got "soon")',
        'line 6: demo:fail takes no argument (got "now")',
        'line 7: unknown directive demo:explode (known: edit, fail, fail-until, hang, noop)',
      ]);
    }
  });

  it('given noop together with an edit, when parsed, then the contradiction is refused', () => {
    expect(() => parseDirectives('demo:noop\ndemo:edit a.txt x')).toThrow('demo:noop and demo:edit contradict each other');
  });
});

describe('the demo plan', () => {
  it('given a plain bead, when planned, then it writes its own file with the title and body', () => {
    expect(planDemo(task('Put a header on every page.'))).toEqual({
      kind: 'write',
      writes: [{ path: 'beads/9f8e7d6c.md', text: '# Add a header\n\nPut a header on every page.', mode: 'replace' }],
    });
    expect(beadFilePath(BEAD_ID)).toBe('beads/9f8e7d6c.md');
  });

  it('given an edit, when planned on a first attempt, then the file content is replaced', () => {
    const plan = planDemo(task('demo:edit shared.txt from bead one'));

    expect(plan).toMatchObject({ kind: 'write', writes: [{ path: 'beads/9f8e7d6c.md' }, { path: 'shared.txt', text: 'from bead one', mode: 'replace' }] });
  });

  it('given an edit, when planned on a rework after a conflict, then it is appended on top of the current file', () => {
    const plan = planDemo(task('demo:edit shared.txt from bead one', { attempt: 2, previousReason: 'Merge CONFLICT in shared.txt' }));

    expect(plan).toMatchObject({ kind: 'write', writes: [{ mode: 'replace' }, { path: 'shared.txt', mode: 'append' }] });
  });

  it('given a rework for another reason, when planned, then the edit still replaces', () => {
    expect(planDemo(task('demo:edit a.txt x', { attempt: 2, previousReason: 'tests failed' }))).toMatchObject({
      writes: [{}, { mode: 'replace' }],
    });
  });

  it('given demo:fail, when planned, then it fails with a message naming the bead and the attempt', () => {
    expect(planDemo(task('demo:fail\ndemo:edit a.txt x'))).toEqual({
      kind: 'fail',
      message: `demo agent: failing as told by demo:fail (bead ${BEAD_ID}, attempt 1)`,
    });
  });

  it('given demo:fail-until 3, when planned for attempts 1 to 3, then it fails twice and then writes', () => {
    const kinds = [1, 2, 3].map((attempt) => planDemo(task('demo:fail-until 3', { attempt })).kind);

    expect(kinds).toEqual(['fail', 'fail', 'write']);
  });

  it('given demo:hang or demo:noop, when planned, then it hangs or changes nothing', () => {
    expect(planDemo(task('demo:hang'))).toEqual({ kind: 'hang' });
    expect(planDemo(task('demo:noop'))).toEqual({ kind: 'write', writes: [] });
  });
});

describe('applyWrite', () => {
  it('given replace, when applied, then the text is the whole content', () => {
    expect(applyWrite('old\n', { path: 'a', text: 'new', mode: 'replace' })).toBe('new\n');
  });

  it('given append, when applied to a file with or without a final newline or to no file, then the text is a line of its own', () => {
    const write = { path: 'a', text: 'mine', mode: 'append' } as const;

    expect(applyWrite('theirs\n', write)).toBe('theirs\nmine\n');
    expect(applyWrite('theirs', write)).toBe('theirs\nmine\n');
    expect(applyWrite(null, write)).toBe('mine\n');
  });
});
