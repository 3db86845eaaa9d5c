import { execFileSync } from 'node:child_process';
import { randomBytes, randomInt, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AgentConfig } from '@gastown/contracts';
import { runAgent, type AgentOutcome } from '../agent/agent.runner';
import { SandboxUnavailableError } from './sandbox.errors';
import { hostProcessesWith, testSandbox } from './testing/sandbox.testing';

const git = (cwd: string, ...args: string[]) =>
  execFileSync('git', ['-c', 'user.name=Spec', '-c', 'user.email=spec@example.com', ...args], { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();

/**
 * A hostile town's agent in a runner's data directory laid out as DataLayout lays it out: its
 * own worktree beside another bead's, another town's clone, other prompts; the runner's own
 * environment holds credentials. Everything below is what the agent tries, and what it gets.
 */
describe('the bwrap sandbox, attacked by a hostile agent', () => {
  const sandbox = testSandbox();
  const runnerSecrets = { DATABASE_URL: 'postgres://gastown:db-secret-4242@127.0.0.1/gastown', NATS_URL: 'nats://runner:nats-secret-4242@127.0.0.1:4222' };
  let root: string;
  let data: string;
  let clone: string;
  let worktree: string;
  let otherWorktree: string;
  let townBClone: string;
  let otherPrompt: string;
  let logs: string;
  const saved: Record<string, string | undefined> = {};

  beforeAll(() => {
    for (const [name, value] of Object.entries(runnerSecrets)) {
      saved[name] = process.env[name];
      process.env[name] = value;
    }
    root = mkdtempSync(join(tmpdir(), 'gt-sandbox-spec-'));
    data = join(root, 'data', 'gt');
    const origin = join(root, 'origin.git');
    git(root, 'init', '-q', '--bare', '-b', 'main', origin);
    const seed = join(root, 'seed');
    git(root, 'clone', '-q', origin, seed);
    writeFileSync(join(seed, 'README.md'), '# web\n');
    git(seed, 'add', '.');
    git(seed, 'commit', '-qm', 'init');
    git(seed, 'push', '-q', 'origin', 'main');

    const rig = join(data, 'rigs', randomUUID(), randomUUID());
    clone = join(rig, 'clone');
    git(root, 'clone', '-q', '--bare', origin, clone);
    worktree = join(rig, 'worktrees', 'bead1-a1');
    otherWorktree = join(rig, 'worktrees', 'bead2-a1');
    git(clone, 'worktree', 'add', '-q', '-B', 'gt/bead-1', worktree, 'main');
    git(clone, 'worktree', 'add', '-q', '-B', 'gt/bead-2', otherWorktree, 'main');
    writeFileSync(join(otherWorktree, 'other-bead.txt'), 'another bead of this rig\n');

    townBClone = join(data, 'rigs', randomUUID(), randomUUID(), 'clone');
    mkdirSync(townBClone, { recursive: true });
    writeFileSync(join(townBClone, 'secret.txt'), 'town B secret\n');
    otherPrompt = join(data, 'prompts', 'prompt-town-b.md');
    mkdirSync(join(data, 'prompts'), { recursive: true });
    writeFileSync(otherPrompt, 'town B prompt\n');
    logs = join(data, 'logs');
  });

  afterAll(() => {
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
    rmSync(root, { recursive: true, force: true });
  });

  function attack(script: string, extra: { network?: boolean; timeoutMs?: number } = {}): Promise<AgentOutcome> {
    const config = { ...AgentConfig.parse({ kind: 'command', command: ['sh', '-c', script] }), network: extra.network ?? false };
    return runAgent({
      config,
      timeoutMs: extra.timeoutMs ?? 30_000,
      workdir: worktree,
      prompt: 'Take over the runner.',
      promptDir: join(data, 'prompts'),
      outputFile: join(logs, `attack-${randomBytes(4).toString('hex')}.log`),
      env: process.env,
      sandbox,
      killGraceMs: 1_000,
    });
  }

  const found = (file: string) => readFileSync(join(worktree, file), 'utf8');

  it('given the sandbox, when the probe runs `true` in it, then it starts', async () => {
    await expect(sandbox.probe()).resolves.toEqual({ limits: expect.stringMatching(/^memory 2048 MB, 256 processes, 1 CPU \(cgroup v[12]\)/) });
  });

  it('given an agent, when it asks who it is, then it is an unprivileged user that is not the runner', async () => {
    const outcome = await attack('id -u > uid.txt; id -g > gid.txt; grep -c . /proc/self/uid_map > /dev/null; cat /proc/self/status > status.txt');

    expect(outcome.exitCode).toBe(0);
    expect(found('uid.txt').trim()).toBe('65534');
    expect(found('uid.txt').trim()).not.toBe(String(process.getuid?.()));
    expect(found('gid.txt').trim()).toBe('65534');
    expect(found('status.txt')).toMatch(/^CapEff:\s+0+$/m);
    expect(found('status.txt')).toMatch(/^NoNewPrivs:\s+1$/m);
  });

  it("given the runner's credentials in its environment, when the agent reads every environment it can see, then none is there", async () => {
    const outcome = await attack(
      'for f in /proc/[0-9]*/environ; do echo "== $f"; tr "\\0" "\\n" < "$f"; done > environ.txt 2>&1; ' +
        'echo "== ppid $PPID" >> environ.txt; tr "\\0" "\\n" < /proc/$PPID/environ >> environ.txt 2>&1; ' +
        'ls /proc | grep -c "^[0-9]" > pids.txt; env > env.txt',
    );

    expect(outcome.exitCode).toBe(0);
    const seen = found('environ.txt') + found('env.txt');
    expect(seen).toContain('== /proc/1/environ');
    expect(seen).not.toContain('db-secret-4242');
    expect(seen).not.toContain('nats-secret-4242');
    expect(seen).not.toMatch(/^(DATABASE_URL|NATS_URL)=/m);
    // Its own pid namespace: bwrap's init, the shell, and what it ran; no process of the host.
    expect(Number(found('pids.txt'))).toBeLessThan(8);
    expect(found('env.txt')).toMatch(/^HOME=\/home\/sandbox$/m);
  });

  it("given other worktrees, another town's clone and other prompts under the data directory, when the agent looks, then it sees none of them", async () => {
    const outcome = await attack(
      `ls -R ${join(data, 'rigs')} > rigs.txt 2>&1; ls ${join(data, 'prompts')} > prompts.txt 2>&1; ` +
        `cat ${join(otherWorktree, 'other-bead.txt')} > other-bead.txt 2>&1; cat ${join(townBClone, 'secret.txt')} > town-b.txt 2>&1; ` +
        `cat ${otherPrompt} > other-prompt.txt 2>&1; ls ${root} > root.txt 2>&1; ls /root /etc > host.txt 2>&1; true`,
    );

    expect(outcome.exitCode).toBe(0);
    expect(found('other-bead.txt')).toMatch(/No such file or directory/);
    expect(found('town-b.txt')).toMatch(/No such file or directory/);
    expect(found('other-prompt.txt')).toMatch(/No such file or directory/);
    expect(found('rigs.txt')).not.toContain('bead2-a1');
    expect(found('rigs.txt')).not.toContain(townBClone.split('/').slice(-3, -2)[0]);
    // Only the prompt of this attempt, bound on its own.
    expect(found('prompts.txt').trim().split('\n')).toEqual([expect.stringMatching(/^prompt-\d+-[0-9a-f]{8}\.md$/)]);
    expect(found('root.txt').trim()).toBe('data');
    expect(found('host.txt')).not.toMatch(/shadow|postgresql|nats-server\.conf/);
  });

  it('given a private /tmp, when the agent writes a marker there, then the host /tmp never has it', async () => {
    const marker = `gt-marker-outside-${randomBytes(6).toString('hex')}`;

    const outcome = await attack(`echo pwned > /tmp/${marker} && ls /tmp > tmp.txt`);

    expect(outcome.exitCode).toBe(0);
    expect(found('tmp.txt')).toContain(marker);
    expect(existsSync(join(tmpdir(), marker))).toBe(false);
  });

  it("given no network by default, when the agent connects to the runner's NATS, then the connection is refused; a profile with network reaches it", async () => {
    const probe = `${process.execPath} -e "require('net').connect(4222, '127.0.0.1').on('connect', () => { console.log('connected'); process.exit(0); }).on('error', (e) => { console.log(e.code); process.exit(0); })"`;

    expect((await attack(`${probe} > net.txt`)).exitCode).toBe(0);
    expect(found('net.txt').trim()).toMatch(/^(ECONNREFUSED|ENETUNREACH)$/);

    expect((await attack(`${probe} > net.txt`, { network: true })).exitCode).toBe(0);
    expect(found('net.txt').trim()).toBe('connected');
  });

  it('given its worktree, when the agent edits and commits, then the runner sees the change and the commit on its branch', async () => {
    const outcome = await attack(
      "echo 'from the agent' > change.txt && git add change.txt && git -c user.name=Agent -c user.email=agent@example.com commit -qm 'agent commit' && git status --short > status.txt",
    );

    expect(outcome.exitCode).toBe(0);
    expect(found('change.txt')).toBe('from the agent\n');
    expect(git(clone, 'log', '-1', '--format=%s', 'gt/bead-1')).toBe('agent commit');
    expect(git(clone, 'show', 'gt/bead-1:change.txt')).toBe('from the agent');
    expect(git(clone, 'rev-parse', 'gt/bead-2')).toBe(git(clone, 'rev-parse', 'main'));
  });

  it("given git metadata it may write, when the agent plants a config, a hook, symlinks and new git pointers, then the runner's clone is untouched, the links are gone and the pointers are restored", async () => {
    const pwned = join(tmpdir(), `gt-pwned-${randomBytes(6).toString('hex')}`);
    const dotGit = readFileSync(join(worktree, '.git'), 'utf8');
    const admin = dotGit.replace(/^gitdir: /, '').trim();
    const commondir = readFileSync(join(admin, 'commondir'), 'utf8');
    const config = readFileSync(join(clone, 'config'), 'utf8');

    const outcome = await attack(
      `git config core.fsmonitor 'touch ${pwned}' > config.txt 2>&1; echo "exit $?" >> config.txt; ` +
        `echo 'touch ${pwned}' > ${join(clone, 'hooks', 'post-commit')} 2> hook.txt; echo "exit $?" >> hook.txt; ` +
        `echo '[alternates]' > ${join(clone, 'objects', 'info', 'alternates')} 2> alternates.txt; echo "exit $?" >> alternates.txt; ` +
        `mkdir -p ${join(clone, 'objects', 'ee')} && ln -sf /etc/hostname ${join(clone, 'objects', 'ee', 'f'.repeat(38))} && ` +
        `ln -sf /etc/hostname ${join(clone, 'refs', 'heads', 'borrowed')} && ln -sf /etc/hostname ${join(admin, 'ORIG_HEAD')} && ` +
        `mkdir -p evil && printf '[core]\\n\\tfsmonitor = touch ${pwned}\\n' > evil/config && ` +
        `echo 'gitdir: evil' > .git && echo "$PWD/evil" > ${join(admin, 'commondir')}`,
    );

    expect(outcome.exitCode).toBe(0);
    expect(found('config.txt')).toMatch(/exit [1-9]/);
    expect(found('hook.txt')).toMatch(/exit [1-9]/);
    expect(found('alternates.txt')).toMatch(/exit [1-9]/);
    expect(readFileSync(join(clone, 'config'), 'utf8')).toBe(config);
    expect(existsSync(join(clone, 'hooks', 'post-commit'))).toBe(false);
    expect(existsSync(join(clone, 'objects', 'info', 'alternates'))).toBe(false);
    expect(readFileSync(join(worktree, '.git'), 'utf8')).toBe(dotGit);
    expect(readFileSync(join(admin, 'commondir'), 'utf8')).toBe(commondir);
    for (const link of [join(clone, 'objects', 'ee', 'f'.repeat(38)), join(clone, 'refs', 'heads', 'borrowed'), join(admin, 'ORIG_HEAD')]) {
      expect(existsSync(link)).toBe(false);
    }
    // The runner's own git in the worktree, as commitAll runs it: nothing of the agent's config runs.
    git(worktree, 'add', '--all');
    git(worktree, 'status', '--short');
    expect(existsSync(pwned)).toBe(false);
  });

  it('given a sleeping agent with children, when its time is up, then every process of the sandbox is gone', async () => {
    const duration = `1000.${randomInt(1e9)}`;

    const outcome = await attack(`sleep ${duration} & sleep ${duration} & sleep ${duration}`, { timeoutMs: 1_000 });

    expect(outcome).toMatchObject({ timedOut: true, exitCode: null });
    expect(hostProcessesWith(`sleep\0${duration}`)).toEqual([]);
  });

  it("given a toolchain the operator lists as read-only, when an agent runs a program from it, then it runs; without the listing it is refused before anything starts", async () => {
    const tools = join(root, 'opt-tools');
    mkdirSync(tools, { recursive: true });
    writeFileSync(join(tools, 'agent-tool'), '#!/bin/sh\necho "tool ran" > tool.txt\n', { mode: 0o755 });
    const spec = { argv: [join(tools, 'agent-tool')], worktree, env: { PATH: '/usr/bin:/bin' }, network: false, stdio: ['ignore', 'ignore', 'ignore'] } as const;

    const listed = testSandbox({ readOnly: [tools] });
    expect(await (await listed.spawn(spec)).exited).toEqual({ code: 0, signal: null });
    expect(found('tool.txt')).toBe('tool ran\n');

    await expect(sandbox.spawn(spec)).rejects.toThrow(/^spawn \S+agent-tool ENOENT: no such program inside the sandbox/);
  });

  it('given a bwrap that does not exist, when the sandbox is probed, then it refuses, naming the setting and what failed', async () => {
    const broken = testSandbox({ bwrapPath: '/nonexistent/bwrap' });

    await expect(broken.probe()).rejects.toThrow(SandboxUnavailableError);
    await expect(broken.probe()).rejects.toThrow(/^GIT_RUNNER_SANDBOX=bwrap: the sandbox cannot start \(\/nonexistent\/bwrap: spawn \/nonexistent\/bwrap ENOENT\)/);
  });
});
