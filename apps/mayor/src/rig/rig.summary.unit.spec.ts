import { id, QUEUE, rig } from '../mayor.fixtures';
import { findRig, UnknownRigError } from './rig.lookup';
import { summarizeRigs } from './rig.summary';

describe('rig summaries and lookup', () => {
  it('given the town\'s rigs, when summarised, then each line gives the name to use in a plan, the repository, the agent and the id', () => {
    const command = rig(2, 'api', {
      config: { maxPolecats: 1, agent: { kind: 'COMMAND', command: ['claude', '-p', '{prompt}'] }, agentTimeoutMs: 60_000, checks: [{ name: 'test', command: ['npm', 'test'] }], ...QUEUE },
    });

    const profile = rig(3, 'docs', { config: { maxPolecats: 2, agent: { kind: 'PROFILE', profile: 'claude', command: null }, agentTimeoutMs: 60_000, checks: [], ...QUEUE } });

    expect(summarizeRigs([rig(1, 'web'), command, profile]).split('\n')).toEqual([
      '3 rigs in this town; use the name as a plan\'s rig:',
      `- "web": /srv/git/web.git (default branch main), the demo agent, up to 4 polecats (id ${id(1)})`,
      `- "api": /srv/git/api.git (default branch main), agent \`claude -p {prompt}\`, up to 1 polecat, checks: test (id ${id(2)})`,
      `- "docs": /srv/git/docs.git (default branch main), the operator's agent profile "claude", up to 2 polecats (id ${id(3)})`,
    ]);
  });

  it('given no rigs, when summarised, then it says a person must register one', () => {
    expect(summarizeRigs([])).toContain('gt rig add');
  });

  it('given a name or an id, when looked up, then the rig is found; an unknown one carries the rigs for the explanation', () => {
    const rigs = [rig(1, 'web'), rig(2, 'api')];

    expect(findRig(rigs, 'api').id).toBe(id(2));
    expect(findRig(rigs, id(1)).name).toBe('web');
    expect(() => findRig(rigs, 'mobile')).toThrow(new UnknownRigError('mobile', rigs));
  });
});
