import { AgentConfig } from '@gastown/contracts';
import { AGENT_RECIPES, agentEnvironment, expandCommand } from './agent.config';

describe('agentEnvironment', () => {
  const runnerEnv = {
    PATH: '/usr/bin',
    HOME: '/home/runner',
    LANG: 'C.UTF-8',
    NATS_URL: 'nats://user:pw@nats:4222',
    ANTHROPIC_API_KEY: 'sk-ant-secret',
    MODEL: 'small',
    GIT_DIR: '/elsewhere.git',
  };

  it('given the demo agent, when resolved, then it gets the baseline only and nothing of the runner\'s secrets', () => {
    expect(agentEnvironment({ kind: 'demo' }, runnerEnv)).toEqual({
      env: { PATH: '/usr/bin', HOME: '/home/runner', LANG: 'C.UTF-8' },
      missing: [],
      refused: [],
      secrets: [],
    });
  });

  it('given passEnv names, when resolved, then each comes from the runner, missing ones and git locations are named, values are secrets', () => {
    const config = AgentConfig.parse({ kind: 'command', command: ['claude'], passEnv: ['ANTHROPIC_API_KEY', 'MODEL', 'OPENAI_API_KEY', 'GIT_DIR', 'HOME'] });

    expect(agentEnvironment(config, runnerEnv)).toEqual({
      env: { PATH: '/usr/bin', HOME: '/home/runner', LANG: 'C.UTF-8', ANTHROPIC_API_KEY: 'sk-ant-secret', MODEL: 'small' },
      missing: ['OPENAI_API_KEY'],
      refused: ['GIT_DIR'],
      secrets: ['sk-ant-secret', 'small'],
    });
  });
});

describe('agent recipes', () => {
  it.each(Object.entries(AGENT_RECIPES))('given the %s recipe, when parsed by the contracts, then it is a valid rig agent', (_, recipe) => {
    expect(AgentConfig.parse(recipe)).toMatchObject({ kind: 'command', passEnv: expect.any(Array) });
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
