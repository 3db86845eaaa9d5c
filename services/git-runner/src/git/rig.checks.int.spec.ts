import { randomInt } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventually } from '@gastown/testing';
import { hostProcessesWith, testSandbox } from '../sandbox/testing/sandbox.testing';
import { checkEnvironment, describeCheckFailure, runChecks, type FailedCheck } from './rig.checks';

describe('runChecks in the sandbox', () => {
  let cwd: string;
  const env = { PATH: process.env['PATH'] ?? '' };
  const sandbox = testSandbox();

  beforeAll(() => {
    cwd = mkdtempSync(join(tmpdir(), 'gt-checks-'));
  });

  afterAll(() => rmSync(cwd, { recursive: true, force: true }));

  it('passes when every check exits 0, running them in order in the worktree', async () => {
    const result = await runChecks(
      cwd,
      [
        { name: 'write', command: ['sh', '-c', 'echo built > artefact.txt'] },
        { name: 'read', command: ['grep', '-q', 'built', 'artefact.txt'] },
      ],
      { timeoutMs: 5_000, env, sandbox },
    );
    expect(result).toEqual({ ok: true });
  });

  it('stops at the first failure and keeps the end of its output, where the failure is', async () => {
    const noisy = 'for i in $(seq 1 2000); do echo "passing test $i"; done; echo "FAIL: login rejects empty password" >&2; exit 3';
    const result = await runChecks(
      cwd,
      [
        { name: 'unit', command: ['sh', '-c', noisy] },
        { name: 'never', command: ['touch', 'never-ran.txt'] },
      ],
      { timeoutMs: 5_000, env, sandbox },
    );

    expect(result.ok).toBe(false);
    expect(result.failed).toMatchObject({ name: 'unit', exitCode: 3, signal: null, timedOut: false });
    expect(result.failed?.outputTail).toContain('FAIL: login rejects empty password');
    expect(result.failed?.outputTail).toContain('passing test 2000');
    expect(result.failed?.outputTail).not.toContain('passing test 1\n');
    expect(Buffer.byteLength(result.failed?.outputTail ?? '')).toBeLessThanOrEqual(4096);
    expect(existsSync(join(cwd, 'never-ran.txt'))).toBe(false);
    expect(describeCheckFailure(result.failed as FailedCheck, 5_000)).toMatch(/^check "unit" failed \(exit 3\):\n[\s\S]*FAIL: login rejects empty password$/);
  });

  it('gives checks the toolchain variables of the runner and none of its secrets', async () => {
    const env = checkEnvironment({ PATH: '/usr/bin:/bin', HOME: '/home/runner', NATS_URL: 'nats://u:p@h', ANTHROPIC_API_KEY: 'sk' });
    expect(env).toEqual({ CI: 'true', PATH: '/usr/bin:/bin', HOME: '/home/runner' });

    const result = await runChecks(cwd, [{ name: 'env', command: ['sh', '-c', 'env; exit 1'] }], { timeoutMs: 5_000, env, sandbox });
    expect(result.failed?.outputTail).toContain('CI=true');
    expect(result.failed?.outputTail).not.toMatch(/NATS_URL|ANTHROPIC/);
  });

  it('kills the whole process group on timeout, grandchildren included', async () => {
    // A duration no other process on this machine sleeps for, to find the grandchild from outside.
    const duration = `60.${randomInt(1e9)}`;
    const started = Date.now();
    const result = await runChecks(
      cwd,
      [{ name: 'hangs', command: ['sh', '-c', `sleep ${duration} & echo waiting; wait`] }],
      { timeoutMs: 1_500, env, sandbox },
    );

    expect(Date.now() - started).toBeLessThan(5_000);
    expect(result.failed).toMatchObject({ name: 'hangs', exitCode: null, signal: 'SIGKILL', timedOut: true });
    expect(result.failed?.outputTail).toContain('waiting');
    expect(describeCheckFailure(result.failed as FailedCheck, 1_500)).toBe('check "hangs" timed out after 1.5s:\nwaiting');
    await eventually('the grandchild sleep to be gone', async () => hostProcessesWith(`sleep\0${duration}`).length === 0, { timeoutMs: 3_000 });
  });

  it('runs without a shell and without the runner environment', async () => {
    process.env['GT_RUNNER_SECRET'] = 'do-not-leak';
    try {
      const result = await runChecks(
        cwd,
        [
          { name: 'no secret', command: ['sh', '-c', 'test -z "$GT_RUNNER_SECRET"'] },
          // One argument, taken literally: no shell splits it or expands it.
          { name: 'literal', command: ['test', '$(touch injected.txt)', '=', '$(touch injected.txt)'] },
        ],
        { timeoutMs: 5_000, env, sandbox },
      );
      expect(result).toEqual({ ok: true });
      expect(existsSync(join(cwd, 'injected.txt'))).toBe(false);
    } finally {
      delete process.env['GT_RUNNER_SECRET'];
    }
  });

  it("given a git worktree, when checks read its history and one tries to commit and repoint .git, then reading works, writing is refused and the pointer is restored", async () => {
    const git = (dir: string, ...args: string[]) =>
      execFileSync('git', ['-c', 'user.name=Spec', '-c', 'user.email=spec@example.com', ...args], { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    const clone = join(cwd, 'clone.git');
    const scratch = join(cwd, 'scratch');
    git(cwd, 'init', '-q', '--bare', '-b', 'main', clone);
    git(cwd, 'clone', '-q', clone, join(cwd, 'seed'));
    writeFileSync(join(cwd, 'seed', 'README.md'), '# checks\n');
    git(join(cwd, 'seed'), 'add', '.');
    git(join(cwd, 'seed'), 'commit', '-qm', 'init');
    git(join(cwd, 'seed'), 'push', '-q', 'origin', 'main');
    git(clone, 'worktree', 'add', '-q', '--detach', scratch, 'main');
    const dotGit = readFileSync(join(scratch, '.git'), 'utf8');

    const result = await runChecks(
      scratch,
      [
        { name: 'clean', command: ['git', 'diff', '--exit-code', 'HEAD'] },
        { name: 'history', command: ['sh', '-c', 'git log --format=%s > log.txt'] },
        { name: 'commit', command: ['sh', '-c', 'git -c user.name=C -c user.email=c@example.com commit -q --allow-empty -m sneaky; echo "exit $?" > commit.txt'] },
        { name: 'repoint', command: ['sh', '-c', 'echo "gitdir: /tmp/evil" > .git'] },
      ],
      { timeoutMs: 10_000, env: { PATH: process.env['PATH'] ?? '' }, sandbox },
    );

    expect(result).toEqual({ ok: true });
    expect(readFileSync(join(scratch, 'log.txt'), 'utf8')).toBe('init\n');
    expect(readFileSync(join(scratch, 'commit.txt'), 'utf8')).toMatch(/^exit [1-9]/);
    expect(git(clone, 'log', '--format=%s', 'main').trim()).toBe('init');
    expect(readFileSync(join(scratch, '.git'), 'utf8')).toBe(dotGit);
  });

  it('reports a program that does not exist as a failed check', async () => {
    const result = await runChecks(cwd, [{ name: 'missing', command: ['gt-no-such-program'] }], { timeoutMs: 5_000, env, sandbox });
    expect(result.failed).toMatchObject({ name: 'missing', exitCode: null, timedOut: false });
    expect(result.failed?.outputTail).toContain('ENOENT');
  });
});
