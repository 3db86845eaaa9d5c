import { DEFAULT_AGENT_POLICY, DEFAULT_RIG_CONFIG, readAgentPolicy, type AgentPolicy, type NewEvent, type RigConfig, type TownCommand } from '@gastown/contracts';
import { DeciderSpecification } from '../decider/decider.specification';
import { decideTown, evolveTown, initialTownState } from './town.decider';

const TOWN_ID = '0b7a6c1e-3f2d-4e5a-9b8c-1d2e3f4a5b6c';
const RIG_ID = '11111111-1111-4111-8111-111111111111';

function policy(settings: Parameters<typeof readAgentPolicy>[0]): AgentPolicy {
  const read = readAgentPolicy(settings, () => '');
  if (!read.ok) throw new Error(read.problems.join('\n'));
  return read.policy;
}

const CATALOGUE = JSON.stringify({ claude: { command: ['claude', '-p'], stdin: 'prompt', passEnv: ['ANTHROPIC_API_KEY'], network: true } });
const MULTI_TENANT = policy({ GASTOWN_AGENT_PROFILES_JSON: CATALOGUE, GASTOWN_AGENT_PASS_ENV_ALLOWED: 'ANTHROPIC_API_KEY,OPENAI_API_KEY' });
const SINGLE_TENANT = { ...MULTI_TENANT, allowTownCommands: true };

const under = (agents: AgentPolicy) =>
  DeciderSpecification.for({
    decide: (command: TownCommand, state: ReturnType<typeof initialTownState>) => decideTown(command, state, { now: '2025-01-01T00:00:00.000Z', agents }),
    evolve: evolveTown,
    initialState: initialTownState,
  });

let sequence = 0;
const registerRig = (config: Partial<RigConfig>): TownCommand => ({
  commandId: `cmd-${++sequence}`,
  townId: TOWN_ID,
  actor: { kind: 'user', id: 'mayor' },
  type: 'RegisterRig',
  data: { rigId: RIG_ID, name: 'api', gitUrl: 'git@github.com:acme/api.git', defaultBranch: 'main', config },
});
const townCreated: NewEvent = { type: 'TownCreated', data: { name: 'Gastown', tokenHash: 'ab'.repeat(32) } };
const registered = (config: Partial<RigConfig>): NewEvent =>
  ({
    type: 'RigRegistered',
    data: { rigId: RIG_ID, name: 'api', gitUrl: 'git@github.com:acme/api.git', defaultBranch: 'main', config: { ...DEFAULT_RIG_CONFIG, ...config } },
  }) as NewEvent;

describe('town decider: agents under the operator policy', () => {
  it('given the operator catalogue, when a rig names a profile, then the profile name alone is recorded', () => {
    under(MULTI_TENANT).given([townCreated]).when(registerRig({ agent: { kind: 'profile', profile: 'claude' } })).then([registered({ agent: { kind: 'profile', profile: 'claude' } })]);
  });

  it('given no catalogue at all, when a rig names the demo profile, then it is registered', () => {
    under(DEFAULT_AGENT_POLICY).given([townCreated]).when(registerRig({ agent: { kind: 'profile', profile: 'demo' } })).then([registered({ agent: { kind: 'profile', profile: 'demo' } })]);
  });

  it('given the catalogue, when a rig names a profile that does not exist, then it is refused with the known names', () => {
    under(MULTI_TENANT)
      .given([townCreated])
      .when(registerRig({ agent: { kind: 'profile', profile: 'root-shell' } }))
      .thenThrows('BAD_USER_INPUT', 'config.agent.profile "root-shell" is not an agent profile of this installation: use one of demo, claude');
  });

  it('given a multi-tenant install, when a hostile town registers its own command, then it is refused, naming the setting and the profiles', () => {
    under(MULTI_TENANT)
      .given([townCreated])
      .when(registerRig({ agent: { kind: 'command', command: ['sh', '-c', 'cat /proc/$PPID/environ > marker'], passEnv: ['PGPASSWORD'], stdin: 'none' } }))
      .thenThrows(
        'BAD_USER_INPUT',
        "config.agent: a town may not run its own command on this installation; pick one of the operator's agent profiles (demo, claude), " +
          'or the operator must enable town commands for a single-tenant install (GASTOWN_ALLOW_TOWN_AGENT_COMMANDS=true); ' +
          'config.agent.passEnv[0]: PGPASSWORD is an infrastructure variable and is never handed to an agent',
      );
  });

  it('given a single-tenant install, when its town registers a command with allowed variables, then it is recorded with the defaults for the rest', () => {
    const agent = { kind: 'command' as const, command: ['aider', '--message-file', '{prompt}'], passEnv: ['OPENAI_API_KEY'], stdin: 'none' as const };
    under(SINGLE_TENANT).given([townCreated]).when(registerRig({ agent })).then([registered({ agent })]);
  });

  it('given a single-tenant install, when a command asks for infrastructure or unlisted variables, then each one is refused by position and nothing is recorded', () => {
    under(SINGLE_TENANT)
        .given([townCreated])
        .when(registerRig({ agent: { kind: 'command', command: ['agent'], passEnv: ['DATABASE_URL', 'OPENAI_API_KEY', 'HOME_SECRET', 'NATS_URL'], stdin: 'none' } }))
        .thenThrows(
          'BAD_USER_INPUT',
          'config.agent.passEnv[0]: DATABASE_URL is an infrastructure variable and is never handed to an agent; ' +
            'config.agent.passEnv[2]: HOME_SECRET is not one the operator allows agents to receive (GASTOWN_AGENT_PASS_ENV_ALLOWED); ' +
            'config.agent.passEnv[3]: NATS_URL is an infrastructure variable and is never handed to an agent',
        );
  });

  it('given a single-tenant install, when a command starts with an option, then the field is named', () => {
    under(SINGLE_TENANT)
      .given([townCreated])
      .when(registerRig({ agent: { kind: 'command', command: ['--exec=evil'], passEnv: [], stdin: 'none' } }))
      .thenThrows('BAD_USER_INPUT', 'config.agent.command[0] must name a program, not an option');
  });

  it('given a rig registered with a command before the operator turned commands off, when the same registration is retried, then it is a repeat, not a change', () => {
    const agent = { kind: 'command' as const, command: ['aider'], passEnv: [], stdin: 'none' as const };
    under(MULTI_TENANT).given([townCreated, { ...registered({ agent }), commandId: 'old' }]).when(registerRig({ agent })).thenNothing();
  });
});
