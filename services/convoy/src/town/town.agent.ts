import { DEFAULT_AGENT_POLICY, passEnvProblem, profileNames, type AgentPolicy, type RigConfig } from '@gastown/contracts';
import type { InputError } from '../decider/decider.error';

/**
 * What a town may ask of an agent under the operator's policy. A town is an untrusted tenant:
 * it names one of the operator's profiles; its own argv runs only on a single-tenant install
 * that enabled it, and then it still receives only the variables the operator allowed. Every
 * problem is named at once, so a refused command also says which of its variables would be.
 */
export function agentProblems(config: RigConfig, policy: AgentPolicy = DEFAULT_AGENT_POLICY): InputError[] {
  const agent = config.agent;
  if (agent.kind === 'demo') return [];
  if (agent.kind === 'profile') {
    if (policy.profiles.has(agent.profile)) return [];
    return [
      {
        path: ['config', 'agent', 'profile'],
        value: agent.profile,
        message: `config.agent.profile ${JSON.stringify(agent.profile)} is not an agent profile of this installation: use one of ${profileNames(policy)}`,
      },
    ];
  }
  const errors: InputError[] = [];
  if (!policy.allowTownCommands) {
    errors.push({
      path: ['config', 'agent', 'kind'],
      value: 'command',
      message:
        'config.agent: a town may not run its own command on this installation; pick one of the operator\'s agent profiles ' +
        `(${profileNames(policy)}), or the operator must enable town commands for a single-tenant install (GASTOWN_ALLOW_TOWN_AGENT_COMMANDS=true)`,
    });
  }
  if (agent.command[0].startsWith('-')) {
    errors.push({ path: ['config', 'agent', 'command', 0], value: agent.command[0], message: 'config.agent.command[0] must name a program, not an option' });
  }
  agent.passEnv.forEach((name, i) => {
    const problem = passEnvProblem(name, policy);
    if (problem) errors.push({ path: ['config', 'agent', 'passEnv', i], value: name, message: `config.agent.passEnv[${i}]: ${problem}` });
  });
  return errors;
}
