import fc from 'fast-check';
import type { SandboxSpec } from './sandbox';
import { bwrapArgs, identityFiles, type BwrapHost } from './sandbox.bwrap';
import { DEFAULT_SANDBOX_LIMITS } from './sandbox.limits';

const host: BwrapHost = {
  links: [
    { path: '/bin', target: 'usr/bin' },
    { path: '/lib', target: 'usr/lib' },
  ],
  toolchain: ['/usr'],
  etc: ['/etc/ssl', '/etc/resolv.conf'],
};
const ids = { uid: 65_534, gid: 65_534, limits: { ...DEFAULT_SANDBOX_LIMITS, tmpMb: 64 } };
const worktree = '/srv/gastown/.data/git-runner/gt/rigs/town-a/rig-1/worktrees/bead-a1';

function spec(overrides: Partial<SandboxSpec> = {}): SandboxSpec {
  return {
    argv: ['sh', '-c', 'echo hi'],
    worktree,
    env: { PATH: '/usr/bin:/bin', HOME: '/root', LANG: 'C.UTF-8' },
    network: false,
    stdio: ['ignore', 1, 2],
    ...overrides,
  };
}

const TWO_VALUES = ['--setenv', '--bind', '--ro-bind', '--ro-bind-try', '--symlink', '--ro-bind-data'];
const ONE_VALUE = ['--size', '--uid', '--gid', '--hostname', '--cap-drop', '--tmpfs', '--dir', '--proc', '--dev', '--chdir', '--info-fd'];

/** bwrap's options as [flag, values], read as bwrap reads them, and the program's argv after `--`. */
function parse(args: string[]): { options: [string, string[]][]; argv: string[] } {
  const options: [string, string[]][] = [];
  for (let i = 0; i < args.length; i++) {
    const flag = args[i] ?? '';
    if (flag === '--') return { options, argv: args.slice(i + 1) };
    const arity = TWO_VALUES.includes(flag) ? 2 : ONE_VALUE.includes(flag) ? 1 : 0;
    options.push([flag, args.slice(i + 1, i + 1 + arity)]);
    i += arity;
  }
  throw new Error('no -- before the program');
}

/** Every `--flag a b` of bwrap's options, as [a, b] pairs. */
const pairs = (args: string[], flag: string) =>
  parse(args)
    .options.filter(([name]) => name === flag)
    .map(([, [a = '', b = '']]) => [a, b]);

describe('bwrap arguments', () => {
  it('given a spec without network, when built, then every namespace is new, no capability is left and the program runs as the unprivileged user', () => {
    const args = bwrapArgs(spec(), ids, host);

    expect(args).toEqual(expect.arrayContaining(['--unshare-all', '--unshare-user', '--disable-userns', '--die-with-parent', '--new-session']));
    expect(args).not.toContain('--share-net');
    expect(args.join(' ')).toContain('--cap-drop ALL');
    expect(args.join(' ')).toContain('--uid 65534 --gid 65534');
    expect(args.join(' ')).toContain('--proc /proc --dev /dev --size 67108864 --tmpfs /tmp --size 67108864 --tmpfs /home');
  });

  it('given a profile with network, when built, then only the network namespace is shared', () => {
    const args = bwrapArgs(spec({ network: true }), ids, host);

    expect(args).toContain('--share-net');
    expect(args).toEqual(expect.arrayContaining(['--unshare-all', '--unshare-user', '--disable-userns']));
  });

  it('given uid or gid 0, when built, then it is refused', () => {
    expect(() => bwrapArgs(spec(), { ...ids, uid: 0 }, host)).toThrow('the sandbox never runs as uid or gid 0');
    expect(() => bwrapArgs(spec(), { ...ids, gid: 0 }, host)).toThrow(RangeError);
  });

  it("given the agent's environment, when built, then it is cleared and holds exactly those variables, with a private HOME and /tmp", () => {
    const args = bwrapArgs(spec(), ids, host);

    expect(args.indexOf('--clearenv')).toBeLessThan(args.indexOf('--setenv'));
    expect(Object.fromEntries(pairs(args, '--setenv'))).toEqual({
      PATH: '/usr/bin:/bin',
      LANG: 'C.UTF-8',
      HOME: '/home/sandbox',
      TMPDIR: '/tmp',
      USER: 'sandbox',
      LOGNAME: 'sandbox',
    });
  });

  it('given a worktree in the data directory, when built, then it is the only path of the data directory bound, read-write, and the current directory', () => {
    const args = bwrapArgs(spec({ readOnly: ['/srv/gastown/.data/git-runner/gt/prompts/prompt-1.md'] }), ids, host);

    expect(pairs(args, '--bind')).toEqual([[worktree, worktree]]);
    const readable = pairs(args, '--ro-bind').map(([source]) => source);
    expect(readable).toEqual(['/usr', '/etc/ssl', '/etc/resolv.conf', '/srv/gastown/.data/git-runner/gt/prompts/prompt-1.md']);
    expect(pairs(args, '--symlink')).toEqual([
      ['usr/bin', '/bin'],
      ['usr/lib', '/lib'],
    ]);
    expect(args.slice(args.indexOf('--chdir'), args.indexOf('--chdir') + 2)).toEqual(['--chdir', worktree]);
    // Bound after the private /tmp and /home, so a path under them is not hidden by the tmpfs.
    expect(args.lastIndexOf('--tmpfs')).toBeLessThan(args.indexOf('--bind'));
  });

  it("given the worktree's git metadata, when built, then its admin directory, objects, refs and logs are writable and the clone's config, HEAD and objects/info only readable; hooks are not there", () => {
    const clone = '/data/rigs/t/r/clone';
    const git = { worktree, adminDir: `${clone}/worktrees/bead-a1`, commonDir: clone, pointers: new Map<string, string>() };
    const args = bwrapArgs(spec({ git, gitWritable: true }), ids, host);

    expect(pairs(args, '--bind').map(([source]) => source)).toEqual([
      worktree,
      `${clone}/worktrees/bead-a1`,
      `${clone}/objects`,
      `${clone}/refs`,
      `${clone}/logs`,
    ]);
    expect(pairs(args, '--ro-bind').map(([source]) => source)).toContain(`${clone}/objects/info`);
    expect(pairs(args, '--ro-bind-try').map(([source]) => source)).toEqual([
      `${clone}/HEAD`,
      `${clone}/config`,
      `${clone}/packed-refs`,
      `${clone}/shallow`,
      `${clone}/info`,
    ]);
    expect(args.join(' ')).not.toContain('hooks');
  });

  it("given the worktree's git metadata for a check, when built, then all of it is only readable", () => {
    const clone = '/data/rigs/t/r/clone';
    const git = { worktree, adminDir: `${clone}/worktrees/scratch`, commonDir: clone, pointers: new Map<string, string>() };

    const args = bwrapArgs(spec({ git }), ids, host);

    expect(pairs(args, '--bind')).toEqual([[worktree, worktree]]);
    expect(pairs(args, '--ro-bind').map(([source]) => source)).toEqual(
      expect.arrayContaining([`${clone}/worktrees/scratch`, `${clone}/objects`, `${clone}/refs`, `${clone}/logs`, `${clone}/objects/info`]),
    );
  });

  it('given the passwd and group files, when generated, then they name the sandbox user with its ids and home', () => {
    expect(identityFiles({ uid: 1_500, gid: 1_600 })).toEqual({
      passwd: 'root:x:0:0:root:/root:/usr/sbin/nologin\nsandbox:x:1500:1600:Gastown sandbox:/home/sandbox:/bin/sh\n',
      group: 'root:x:0:\nsandbox:x:1600:\n',
    });
  });

  it('given any argv and environment, when built, then the program and its arguments follow `--` untouched and each variable is set once, as given', () => {
    const name = fc.stringMatching(/^[A-Z_][A-Z0-9_]{0,15}$/).filter((n) => !['HOME', 'TMPDIR', 'USER', 'LOGNAME'].includes(n));
    fc.assert(
      fc.property(fc.array(fc.string(), { minLength: 1, maxLength: 6 }), fc.dictionary(name, fc.string()), (argv, env) => {
        const args = bwrapArgs(spec({ argv, env }), ids, host);
        expect(parse(args).argv).toEqual(argv);
        const set = pairs(args, '--setenv');
        expect(set.filter(([n]) => n in env)).toEqual(Object.entries(env));
        expect(new Set(set.map(([n]) => n)).size).toBe(set.length);
      }),
    );
  });
});
