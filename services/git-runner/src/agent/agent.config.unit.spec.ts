import { AgentConfig, DEFAULT_AGENT_POLICY, DEFAULT_RIG_CONFIG, readAgentPolicy, type AgentPolicy, type RigAgentConfig } from '@gastown/contracts';
import { AGENT_RECIPES, agentEnvironment, expandCommand, resolveAgent } from './agent.config';

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
    const config = AgentConfig.parse({ kind: 'command', command: ['claude'], passEnv: ['ANTHROPIC_API_KEY', 'MODEL', 'OPENAI_API_KEY', 'GIT_DIR', 'NATS_URL', 'HOME'] });

    expect(agentEnvironment(config, runnerEnv)).toEqual({
      env: { PATH: '/usr/bin', HOME: '/home/runner', LANG: 'C.UTF-8', ANTHROPIC_API_KEY: 'sk-ant-secret', MODEL: 'small' },
      missing: ['OPENAI_API_KEY'],
      refused: ['GIT_DIR', 'NATS_URL'],
      secrets: ['sk-ant-secret', 'small'],
    });
  });
});

describe('resolveAgent', () => {
  function policy(settings: Parameters<typeof readAgentPolicy>[0]): AgentPolicy {
    const read = readAgentPolicy(settings, () => '');
    if (!read.ok) throw new Error(read.problems.join('\n'));
    return read.policy;
  }
  const operator = policy({
    GASTOWN_AGENT_PASS_ENV_ALLOWED: 'ANTHROPIC_API_KEY',
    GASTOWN_AGENT_PROFILES_JSON: JSON.stringify({
      claude: { command: ['claude', '-p'], stdin: 'prompt', passEnv: ['ANTHROPIC_API_KEY'], network: true, timeoutMs: 600_000 },
    }),
  });
  const rig = (agent: RigAgentConfig, agentTimeoutMs = DEFAULT_RIG_CONFIG.agentTimeoutMs) => ({ agent, agentTimeoutMs });
  const limits = (agentPolicy: AgentPolicy, maxAgentTimeoutMs = 7_200_000) => ({ policy: agentPolicy, maxAgentTimeoutMs });

  it('given a rig naming a profile, when resolved, then the operator\'s argv, variables and network flag run, within the least of the three timeouts', () => {
    expect(resolveAgent(rig({ kind: 'profile', profile: 'claude' }, 3_600_000), limits(operator))).toEqual({
      kind: 'command',
      command: ['claude', '-p'],
      stdin: 'prompt',
      passEnv: ['ANTHROPIC_API_KEY'],
      profile: 'claude',
      network: true,
      timeoutMs: 600_000,
    });
    expect(resolveAgent(rig({ kind: 'profile', profile: 'claude' }, 60_000), limits(operator))).toMatchObject({ timeoutMs: 60_000 });
    expect(resolveAgent(rig({ kind: 'profile', profile: 'claude' }), limits(operator, 5_000))).toMatchObject({ timeoutMs: 5_000 });
  });

  it('given the demo agent of an old rig, when resolved, then it is the demo profile without network, capped by the operator', () => {
    expect(resolveAgent(rig({ kind: 'demo' }, 24 * 3_600_000), limits(DEFAULT_AGENT_POLICY))).toEqual({
      kind: 'demo',
      profile: 'demo',
      network: false,
      timeoutMs: 7_200_000,
    });
  });

  it('given a command rig registered before the operator turned town commands off, when resolved, then the runner refuses to run it', () => {
    const command = { kind: 'command' as const, command: ['sh', '-c', 'id'], passEnv: [], stdin: 'none' as const };
    expect(resolveAgent(rig(command), limits(operator))).toEqual({
      refused: "the rig runs its own command, which this installation does not allow (GASTOWN_ALLOW_TOWN_AGENT_COMMANDS); register it again with one of the operator's agent profiles",
    });
    const singleTenant = { ...operator, allowTownCommands: true };
    expect(resolveAgent(rig(command), limits(singleTenant))).toMatchObject({ kind: 'command', network: false });
    expect(resolveAgent(rig({ ...command, passEnv: ['DATABASE_URL', 'ANTHROPIC_API_KEY', 'MODEL'] }), limits(singleTenant))).toEqual({
      refused:
        "the rig's passEnv is not allowed: DATABASE_URL is an infrastructure variable and is never handed to an agent; " +
        'MODEL is not one the operator allows agents to receive (GASTOWN_AGENT_PASS_ENV_ALLOWED)',
    });
  });

  it('given a profile this runner does not know (a convoy service with another catalogue), when resolved, then it is refused naming the known ones', () => {
    expect(resolveAgent(rig({ kind: 'profile', profile: 'codex' }), limits(operator))).toEqual({
      refused: 'the rig names the agent profile "codex", which this runner does not know (it knows demo, claude)',
    });
  });
});

describe('agent recipes', () => {
  it('given the recipes as the operator\'s catalogue, when read with their keys allowed, then each is a profile with the network', () => {
    const read = readAgentPolicy(
      { GASTOWN_AGENT_PROFILES_JSON: JSON.stringify(AGENT_RECIPES), GASTOWN_AGENT_PASS_ENV_ALLOWED: 'ANTHROPIC_API_KEY,OPENAI_API_KEY' },
      () => '',
    );
    expect(read.ok).toBe(true);
    if (read.ok) expect([...read.policy.profiles.values()].filter((p) => p.network).map((p) => p.name)).toEqual(Object.keys(AGENT_RECIPES));
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
