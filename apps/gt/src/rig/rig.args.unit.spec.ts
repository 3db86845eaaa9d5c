import { UsageError } from '../cli.errors';
import { argvFlag, checkFlag, rigAddInput } from './rig.args';
import { findRig } from './rig.lookup';

describe('rig add flags', () => {
  it('given only a name and a URL, when read, then the branch is main and the rig keeps the server defaults', () => {
    expect(rigAddInput('web', { url: '/tmp/web.git' })).toEqual({ name: 'web', gitUrl: '/tmp/web.git', defaultBranch: 'main' });
  });

  it('given every flag, when read, then the config carries polecats, the agent argv and the checks', () => {
    expect(
      rigAddInput('web', {
        url: 'https://example.com/web.git',
        branch: 'trunk',
        'max-polecats': '2',
        'agent-command': '["claude","-p","{prompt}"]',
        check: ['test=["npm","test"]', 'lint=["npx","eslint","."]'],
      }),
    ).toEqual({
      name: 'web',
      gitUrl: 'https://example.com/web.git',
      defaultBranch: 'trunk',
      config: {
        maxPolecats: 2,
        agent: { kind: 'COMMAND', command: ['claude', '-p', '{prompt}'] },
        checks: [
          { name: 'test', command: ['npm', 'test'] },
          { name: 'lint', command: ['npx', 'eslint', '.'] },
        ],
      },
    });
  });

  it('given --agent demo, when read, then the agent is the demo agent', () => {
    expect(rigAddInput('web', { url: 'u', agent: 'demo' }).config).toEqual({ agent: { kind: 'DEMO' } });
  });

  it('given --agent-profile, when read, then the agent is that operator profile, by name only', () => {
    expect(rigAddInput('web', { url: 'u', 'agent-profile': ' claude ' }).config).toEqual({ agent: { kind: 'PROFILE', profile: 'claude' } });
  });

  it.each([
    ['no URL', {}, /--url is required/],
    ['both agents', { url: 'u', agent: 'demo', 'agent-command': '["x"]' }, /give one of --agent demo, --agent-profile or --agent-command, not --agent and --agent-command/],
    ['a profile and a command', { url: 'u', 'agent-profile': 'claude', 'agent-command': '["x"]' }, /not --agent-profile and --agent-command/],
    ['an empty profile', { url: 'u', 'agent-profile': ' ' }, /--agent-profile needs the name/],
    ['another agent name', { url: 'u', agent: 'claude' }, /--agent must be demo/],
    ['zero polecats', { url: 'u', 'max-polecats': '0' }, /--max-polecats must be a whole number/],
    ['the same check twice', { url: 'u', check: ['t=["a"]', 't=["b"]'] }, /--check t is given twice/],
  ])('given %s, when read, then it is a usage error that says what to change', (_, flags, message) => {
    expect(() => rigAddInput('web', flags)).toThrow(message);
  });

  it.each([
    ['a shell string', 'npm test'],
    ['an empty array', '[]'],
    ['numbers', '[1,2]'],
    ['an object', '{"cmd":"x"}'],
  ])('given %s as an argv, when read, then it is refused: commands are never shell strings', (_, value) => {
    expect(() => argvFlag('--agent-command', value)).toThrow(UsageError);
  });

  it('given a check whose argv holds = and spaces, when read, then only the first = separates the name', () => {
    expect(checkFlag('env=["env","A=1","sh it"]')).toEqual({ name: 'env', command: ['env', 'A=1', 'sh it'] });
  });

  it('given a check without a name, when read, then the message shows the form', () => {
    expect(() => checkFlag('["npm","test"]')).toThrow(/--check must be name='<argv as JSON array>'/);
  });
});

describe('findRig', () => {
  const rigs = [
    { id: 'id-web', name: 'web' },
    { id: 'id-api', name: 'api' },
  ];

  it('given a name or an id, when looked up, then it is the same rig', () => {
    expect(findRig(rigs, 'api')).toBe(rigs[1]);
    expect(findRig(rigs, 'id-api')).toBe(rigs[1]);
  });

  it('given an unknown rig, when looked up, then the usage error lists the rigs of the town', () => {
    expect(() => findRig(rigs, 'wbe')).toThrow('--rig: unknown rig "wbe" (rigs of this town: web, api)');
  });
});
