import {
  AGENT_RECIPES,
  AgentConfigError,
  DEFAULT_AGENT_TIMEOUT_MS,
  expandCommand,
  parseAgentConfig,
  parseAgentConfigJson,
} from './agent.config';

function problems(input: unknown, name?: string): readonly string[] {
  try {
    parseAgentConfig(input, name);
  } catch (error) {
    if (error instanceof AgentConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected the configuration to be refused');
}

describe('agent configuration', () => {
  it('given the demo kind alone, when parsed, then the 30 minute timeout applies', () => {
    expect(parseAgentConfig({ kind: 'demo' })).toEqual({ kind: 'demo', timeoutMs: DEFAULT_AGENT_TIMEOUT_MS });
    expect(DEFAULT_AGENT_TIMEOUT_MS).toBe(30 * 60_000);
  });

  it('given a command with env, when parsed, then stdin defaults to none and everything else is kept', () => {
    expect(parseAgentConfig({ kind: 'command', command: ['aider', '--message-file', '{prompt}'], env: { MODEL: 'x' }, timeoutMs: 60_000 })).toEqual({
      kind: 'command',
      command: ['aider', '--message-file', '{prompt}'],
      env: { MODEL: 'x' },
      stdin: 'none',
      timeoutMs: 60_000,
    });
  });

  it('given an unknown kind or none, when parsed, then the error names the kind field', () => {
    expect(problems({ kind: 'llm' })).toEqual(['agent.kind must be "demo" or "command"']);
    expect(problems({}, 'GIT_RUNNER_AGENT')).toEqual(['GIT_RUNNER_AGENT.kind must be "demo" or "command"']);
  });

  it('given several bad fields, when parsed, then each problem names its field', () => {
    expect(problems({ kind: 'command', command: ['claude', ''], stdin: 'pipe', timeoutMs: 10, comand: [] })).toEqual([
      'agent.command[1] must not be empty',
      'agent.stdin must be "none" or "prompt"',
      'agent.timeoutMs must be at least 1000 ms',
      'agent.comand is not a known field',
    ]);
    expect(problems({ kind: 'command', command: [] })).toEqual([
      'agent.command must name the program, then each argument, e.g. ["aider", "--message-file", "{prompt}"]',
    ]);
    expect(problems({ kind: 'demo', timeoutMs: 1500.5 })).toEqual(['agent.timeoutMs must be a whole number of milliseconds']);
  });

  it('given a whole command line as one string, when parsed, then it is refused because no shell splits it', () => {
    expect(problems({ kind: 'command', command: ['claude -p "$(cat prompt.md)"'] })).toEqual([
      'agent.command[0] contains spaces: no shell is used, so list the program and each argument as separate strings',
    ]);
  });

  it('given env with a bad name, a runner variable and a non-string, when parsed, then names are reported and values never', () => {
    const found = problems({
      kind: 'command',
      command: ['agent'],
      env: { 'BAD-NAME': 'sk-secret-1', GASTOWN_PROMPT_FILE: 'sk-secret-2', TOKEN: 42 },
    });

    expect(found).toEqual([
      'agent.env.BAD-NAME is not a valid variable name (letters, digits, _)',
      'agent.env.GASTOWN_PROMPT_FILE is set by the runner for every attempt and cannot be configured',
      'agent.env.TOKEN must be a string',
    ]);
    expect(found.join('\n')).not.toMatch(/sk-secret|42/);
  });

  it('given JSON text, when parsed, then bad JSON is named by the variable it came from', () => {
    expect(parseAgentConfigJson('{"kind":"demo","timeoutMs":5000}')).toEqual({ kind: 'demo', timeoutMs: 5000 });
    expect(() => parseAgentConfigJson('{kind: demo}', 'GIT_RUNNER_AGENT')).toThrow(/GIT_RUNNER_AGENT must be JSON/);
  });

  it.each(Object.entries(AGENT_RECIPES))('given the %s recipe, when parsed, then it is a valid configuration', (_, recipe) => {
    expect(parseAgentConfig(recipe)).toMatchObject({ kind: 'command', timeoutMs: DEFAULT_AGENT_TIMEOUT_MS });
  });
});

describe('expandCommand', () => {
  it('given placeholders inside arguments, when expanded, then each becomes its path and nothing else changes', () => {
    expect(
      expandCommand(['agent', '--message-file={prompt}', '{workdir}', '$(x) {other}'], { prompt: '/p/prompt.md', workdir: '/w' }),
    ).toEqual(['agent', '--message-file=/p/prompt.md', '/w', '$(x) {other}']);
  });

  it('given a path that itself looks like a placeholder, when expanded, then it is not expanded again', () => {
    expect(expandCommand(['{prompt}'], { prompt: '/tmp/{workdir}/p.md', workdir: '/w' })).toEqual(['/tmp/{workdir}/p.md']);
  });
});
