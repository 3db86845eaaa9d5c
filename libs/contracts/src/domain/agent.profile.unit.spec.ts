import fc from 'fast-check';
import { DEMO_PROFILE, isInfrastructureEnv, passEnvProblem, readAgentPolicy, type AgentPolicy } from './agent.profile';

const noFile = (path: string): string => {
  throw new Error(`ENOENT: no such file ${path}`);
};

function policyOf(result: ReturnType<typeof readAgentPolicy>): AgentPolicy {
  if (!result.ok) throw new Error(result.problems.join('\n'));
  return result.policy;
}

describe('agent profiles', () => {
  it('given no settings, when read, then only the demo profile exists, town commands are refused and no variable may be passed', () => {
    const policy = policyOf(readAgentPolicy({}, noFile));
    expect([...policy.profiles.values()]).toEqual([DEMO_PROFILE]);
    expect(policy.allowTownCommands).toBe(false);
    expect(policy.passEnvAllowed.size).toBe(0);
  });

  it('given a catalogue file and allowed variables, when read, then each profile carries its argv, stdin, cap, variables and network flag', () => {
    const file = JSON.stringify({
      claude: { command: ['claude', '-p'], stdin: 'prompt', timeoutMs: 3_600_000, passEnv: ['ANTHROPIC_API_KEY'], network: true },
      sleep: { command: ['sleep', '30'] },
    });
    const policy = policyOf(
      readAgentPolicy(
        { GASTOWN_AGENT_PROFILES: '/etc/gastown/agents.json', GASTOWN_AGENT_PASS_ENV_ALLOWED: 'ANTHROPIC_API_KEY, OPENAI_API_KEY' },
        (path) => (path === '/etc/gastown/agents.json' ? file : noFile(path)),
      ),
    );
    expect(policy.profiles.get('claude')).toEqual({
      name: 'claude',
      run: { kind: 'command', command: ['claude', '-p'], stdin: 'prompt' },
      passEnv: ['ANTHROPIC_API_KEY'],
      network: true,
      timeoutMs: 3_600_000,
    });
    expect(policy.profiles.get('sleep')).toMatchObject({ network: false, timeoutMs: null, passEnv: [] });
    expect([...policy.passEnvAllowed]).toEqual(['ANTHROPIC_API_KEY', 'OPENAI_API_KEY']);
  });

  it('given bad settings, when read, then every problem is its own line naming the variable, the profile and the field', () => {
    const result = readAgentPolicy(
      {
        GASTOWN_ALLOW_TOWN_AGENT_COMMANDS: 'yes',
        GASTOWN_AGENT_PASS_ENV_ALLOWED: 'OPENAI_API_KEY,DATABASE_URL,9x',
        GASTOWN_AGENT_PROFILES_JSON: JSON.stringify({
          demo: { command: ['x'] },
          leaky: { command: ['agent'], passEnv: ['NATS_URL', 'ANTHROPIC_API_KEY'] },
          option: { command: ['--exec=evil'] },
          Bad: { command: ['x'] },
        }),
      },
      noFile,
    );
    expect(result).toEqual({
      ok: false,
      problems: [
        'GASTOWN_ALLOW_TOWN_AGENT_COMMANDS must be "true" or "false", got "yes"',
        'GASTOWN_AGENT_PASS_ENV_ALLOWED: DATABASE_URL is an infrastructure variable and is never handed to an agent',
        'GASTOWN_AGENT_PASS_ENV_ALLOWED: "9x" is not an environment variable name',
        'GASTOWN_AGENT_PROFILES_JSON: option.command: command[0] must name a program, not an option',
      ],
    });
    const valid = readAgentPolicy(
      { GASTOWN_AGENT_PROFILES_JSON: JSON.stringify({ demo: { command: ['x'] }, leaky: { command: ['agent'], passEnv: ['NATS_URL', 'ANTHROPIC_API_KEY'] }, Bad: { command: ['x'] } }) },
      noFile,
    );
    expect(valid).toEqual({
      ok: false,
      problems: [
        'GASTOWN_AGENT_PROFILES_JSON: the profile "demo" is built in and cannot be redefined',
        'GASTOWN_AGENT_PROFILES_JSON: leaky.passEnv: NATS_URL is an infrastructure variable and is never handed to an agent',
        'GASTOWN_AGENT_PROFILES_JSON: leaky.passEnv: ANTHROPIC_API_KEY is not in GASTOWN_AGENT_PASS_ENV_ALLOWED',
        'GASTOWN_AGENT_PROFILES_JSON: profile name "Bad" must be 1 to 40 lower-case letters, digits, "_" or "-", starting with a letter',
      ],
    });
  });

  it('given a missing file, broken JSON or both sources, when read, then the operator is told which', () => {
    expect(readAgentPolicy({ GASTOWN_AGENT_PROFILES: '/nope.json' }, noFile)).toEqual({
      ok: false,
      problems: ['GASTOWN_AGENT_PROFILES: cannot read /nope.json: ENOENT: no such file /nope.json'],
    });
    const broken = readAgentPolicy({ GASTOWN_AGENT_PROFILES_JSON: '{"a":' }, noFile);
    expect(broken.ok === false && broken.problems[0]).toMatch(/^GASTOWN_AGENT_PROFILES_JSON is not JSON: /);
    expect(readAgentPolicy({ GASTOWN_AGENT_PROFILES: '/a.json', GASTOWN_AGENT_PROFILES_JSON: '{}' }, noFile)).toEqual({
      ok: false,
      problems: ['GASTOWN_AGENT_PROFILES and GASTOWN_AGENT_PROFILES_JSON are both set: set one of them'],
    });
    expect(readAgentPolicy({ GASTOWN_AGENT_PROFILES_JSON: '{"x":{"command":["a"],"shell":true}}' }, noFile).ok).toBe(false);
  });

  it.each(['NATS_URL', 'DATABASE_URL', 'PGPASSWORD', 'GT_NAMESPACE', 'GASTOWN_AGENT_PROFILES', 'GIT_RUNNER_DATA_DIR', 'GIT_DIR', 'GIT_SSH_COMMAND', 'GIT_ASKPASS', 'SSH_AUTH_SOCK', 'AWS_SECRET_ACCESS_KEY', 'GOOGLE_APPLICATION_CREDENTIALS', 'AZURE_CLIENT_SECRET', 'DISPATCHER_ID', 'GATEWAY_PORT', 'CONVOY_MAX_TASKS', 'aws_session_token'])(
    'given the infrastructure variable %s, when checked, then no operator setting lets it through',
    (name) => {
      expect(isInfrastructureEnv(name)).toBe(true);
      const everything: AgentPolicy = { ...policyOf(readAgentPolicy({}, noFile)), passEnvAllowed: new Set([name]) };
      expect(passEnvProblem(name, everything)).toBe(`${name} is an infrastructure variable and is never handed to an agent`);
    },
  );

  it('given any variable name, when checked against a policy, then it passes only if allowed and not infrastructure', () => {
    const name = fc.stringMatching(/^[A-Z_][A-Z0-9_]{0,20}$/);
    fc.assert(
      fc.property(name, fc.boolean(), (variable, allowed) => {
        const policy: AgentPolicy = { ...policyOf(readAgentPolicy({}, noFile)), passEnvAllowed: new Set(allowed ? [variable] : []) };
        expect(passEnvProblem(variable, policy) === null).toBe(allowed && !isInfrastructureEnv(variable));
      }),
    );
  });
});
