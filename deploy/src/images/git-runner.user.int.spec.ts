import { spawn } from 'node:child_process';
import { chownSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { eventually, TEST_NATS_URL, TEST_SECRETS_KEY, testNamespace, WORKSPACE_ROOT } from '@gastown/testing';
import { imageTarget, parseDockerfile } from './dockerfile.model';
import { imageEntry } from './image-entry.testing';

/**
 * The git-runner as its image runs it: uid 1000, no capability (not even in the bounding set),
 * no_new_privs, the image's ENV. On this machine that is setpriv around the built entry; what a
 * container adds on top (seccomp, AppArmor, masked /proc, a read-only cgroup tree) is in the README.
 */
describe('the git-runner image user', () => {
  const model = parseDockerfile(join(WORKSPACE_ROOT, 'deploy', 'docker', 'Dockerfile'));
  const target = imageTarget(model, 'git-runner');
  const [uid, gid] = (target.user ?? '').split(':');
  const namespace = testNamespace();
  const data = mkdtempSync(join(tmpdir(), 'gt-deploy-runner-'));

  afterAll(async () => {
    rmSync(data, { recursive: true, force: true });
    const nc = await connect({ servers: TEST_NATS_URL });
    const jsm = await jetstreamManager(nc);
    for await (const stream of jsm.streams.list()) {
      if (stream.config.name.toLowerCase().includes(namespace)) await jsm.streams.delete(stream.config.name);
    }
    await nc.close();
  });

  it('given uid 1000 without capabilities and the image ENV, when the built entry starts on NATS, then its sandbox starts, it warns that runs get no cgroup, it becomes ready, and SIGTERM drains it to exit 0', async () => {
    chownSync(data, Number(uid), Number(gid ?? uid));
    const entry = imageEntry(model, 'git-runner', {
      NATS_URL: TEST_NATS_URL,
      GT_NAMESPACE: namespace,
      GASTOWN_SECRETS_KEY: TEST_SECRETS_KEY,
      GIT_RUNNER_DATA_DIR: data,
      // Its health listener is not under test, and its port may be taken on this machine.
      GIT_RUNNER_HEALTH_PORT: '0',
    });
    const drop = [`--reuid=${uid}`, `--regid=${gid ?? uid}`, '--clear-groups', '--inh-caps=-all', '--bounding-set=-all', '--no-new-privs'];
    const runner = spawn('setpriv', [...drop, process.execPath, ...entry.args], { env: { PATH: process.env['PATH'], ...entry.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    runner.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    runner.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    const exited = new Promise<number | null>((done) => runner.once('exit', (code) => done(code)));
    try {
      await eventually('the runner to be ready', async () => output.includes('git-runner ready') || runner.exitCode !== null, { timeoutMs: 30_000, intervalMs: 100 });
      expect({ running: runner.exitCode === null, output: runner.exitCode === null ? '' : output }).toEqual({ running: true, output: '' });
      // As in an unprivileged container: no cgroup tree of its own to write, said loudly, and runs keep their rlimits.
      expect(output).toContain('NO MEMORY, PROCESS OR CPU LIMIT FOR AGENTS AND CHECKS');
      runner.kill('SIGTERM');
      expect({ code: await exited, drained: output.includes('SIGTERM: claiming no new work and draining') }).toEqual({ code: 0, drained: true });
    } finally {
      if (runner.exitCode === null) runner.kill('SIGKILL');
    }
  });
});
