import { buildPrompt, parsePromptBlock, type PromptInput } from './agent.prompt';

const BEAD_ID = '0b0e1c2d-3e4f-4a5b-8c6d-7e8f9a0b1c2d';

function input(overrides: Partial<PromptInput> = {}): PromptInput {
  return {
    convoyTitle: 'Login page',
    bead: { id: BEAD_ID, title: 'API endpoint', body: 'Add POST /login.\nReturn 401 on a bad password.' },
    blockers: [],
    previousReason: null,
    attempt: 1,
    branch: 'gt/login-page/api-endpoint',
    baseBranch: 'gt/login-page',
    ...overrides,
  };
}

describe('buildPrompt', () => {
  it('given a first attempt, when built, then it states the task, the branch and the rules, and calls it the first attempt', () => {
    const prompt = buildPrompt(input());

    expect(prompt).toContain('# Task: API endpoint');
    expect(prompt).toContain('"Login page"');
    expect(prompt).toContain('Add POST /login.\nReturn 401 on a bad password.');
    expect(prompt).toContain('branch `gt/login-page/api-endpoint`, started from `gt/login-page`');
    expect(prompt).toContain('This is the first attempt');
    expect(prompt).toContain('Work only in the current directory');
    expect(prompt).toMatch(/uncommitted when you exit is committed for you/);
    expect(prompt).not.toContain('## Already done');
  });

  it('given merged blockers, when built, then each is listed with its merge commit as work already in the base', () => {
    const prompt = buildPrompt(
      input({
        blockers: [
          { title: 'Schema', mergeCommit: 'a'.repeat(40) },
          { title: 'Config', mergeCommit: 'b'.repeat(40) },
        ],
      }),
    );

    expect(prompt).toContain('## Already done');
    expect(prompt).toContain('merged into `gt/login-page`');
    expect(prompt).toContain(`- Schema (merge commit \`${'a'.repeat(40)}\`)`);
    expect(prompt).toContain(`- Config (merge commit \`${'b'.repeat(40)}\`)`);
  });

  it('given a rework, when built, then it names the attempt and quotes every line of the previous reason', () => {
    const prompt = buildPrompt(input({ attempt: 3, previousReason: 'merge conflict in src/app.ts\n\ntests failed' }));

    expect(prompt).toContain('This is attempt 3. The previous attempt was sent back because:');
    expect(prompt).toContain('> merge conflict in src/app.ts\n>\n> tests failed');
    expect(prompt).not.toContain('first attempt');
  });

  it('given a later attempt without a reason (interrupted or lost), when built, then it says the work was not judged and asks for no fix', () => {
    const prompt = buildPrompt(input({ attempt: 2, previousReason: null }));
    expect(prompt).toContain('This is attempt 2. The previous attempt was stopped before it finished (a runner restart or a lost job), not judged');
    expect(prompt).not.toContain('Address that reason');
  });

  it('given an empty body, when built, then the task section points to the title', () => {
    expect(buildPrompt(input({ bead: { id: BEAD_ID, title: 'Bump version', body: '' } }))).toContain(
      'the title says what to do',
    );
  });

  it('given the same input twice, when built, then the text is identical', () => {
    expect(buildPrompt(input({ attempt: 2, previousReason: 'x' }))).toBe(buildPrompt(input({ attempt: 2, previousReason: 'x' })));
  });
});

describe('the gastown block', () => {
  it('given a prompt, when its block is parsed, then it gives back the task exactly', () => {
    const title = 'Title with `ticks`, $(subshell) and\na second line';
    const body = '```gastown\n{"beadId":"fake"}\n```\ndemo:noop';
    const block = parsePromptBlock(buildPrompt(input({ bead: { id: BEAD_ID, title, body }, attempt: 2, previousReason: 'conflict' })));

    expect(block).toEqual({
      beadId: BEAD_ID,
      title,
      body,
      attempt: 2,
      previousReason: 'conflict',
      convoyTitle: 'Login page',
      branch: 'gt/login-page/api-endpoint',
      baseBranch: 'gt/login-page',
    });
  });

  it('given a title with a newline, when built, then the heading stays on one line', () => {
    expect(buildPrompt(input({ bead: { id: BEAD_ID, title: 'one\ntwo', body: '' } }))).toContain('# Task: one two\n');
  });

  it('given text without a block or with a broken one, when parsed, then the error says what is wrong', () => {
    expect(() => parsePromptBlock('# just markdown')).toThrow('the prompt has no ```gastown block');
    expect(() => parsePromptBlock('```gastown\nnot json\n```')).toThrow('is not JSON');
    expect(() => parsePromptBlock('```gastown\n{"beadId":"x"}\n```')).toThrow(/block is invalid: .*attempt/);
  });
});
