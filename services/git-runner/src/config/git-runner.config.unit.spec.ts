import { hostname } from 'node:os';
import { DEFAULT_AGENT_POLICY, SecretKeyring } from '@gastown/contracts';
import { DEFAULT_SANDBOX_LIMITS } from '../sandbox/sandbox.limits';
import { loadGitRunnerConfig as loadConfig } from './git-runner.config';

const KEY = 'ab'.repeat(32);
/** Every environment below is an operator's, who must give the key that opens rig credentials. */
const loadGitRunnerConfig = (env: NodeJS.ProcessEnv, cwd?: string) => loadConfig({ GASTOWN_SECRETS_KEY: KEY, ...env }, cwd);

describe('git-runner configuration', () => {
  it('given an empty environment, when loaded, then the documented defaults apply', () => {
    expect(loadGitRunnerConfig({}, '/srv/gastown')).toEqual({
      natsUrl: 'nats://127.0.0.1:4222',
      namespace: 'gt',
      streamReplicas: 1,
      dataDir: '/srv/gastown/.data/git-runner',
      runnerId: `${hostname()}-${process.pid}`,
      maxAgents: 4,
      ackWaitMs: 60_000,
      leaseTtlMs: 15_000,
      drainMs: 30_000,
      jobRetry: { maxDeliveries: 10, maxDelayMs: 30_000 },
      agentPolicy: DEFAULT_AGENT_POLICY,
      maxAgentTimeoutMs: 7_200_000,
      maxCheckTimeoutMs: 1_800_000,
      repositories: { localRoots: [], localRootsByTown: {}, egressAllow: [], ambientCredentials: false },
      secrets: SecretKeyring.fromSettings(KEY),
      sandbox: { kind: 'bwrap', bwrapPath: 'bwrap', uid: 65_534, gid: 65_534, readOnly: [], limits: DEFAULT_SANDBOX_LIMITS, cgroups: 'auto' },
    });
  });

  it('given no secrets key, or a malformed one, when loaded, then the runner refuses to start naming the variable, never the value', () => {
    expect(() => loadConfig({}, '/srv/gastown')).toThrow('GASTOWN_SECRETS_KEY is required');
    expect(() => loadConfig({ GASTOWN_SECRETS_KEY: 'not-a-key-hunter2' })).toThrow(/GASTOWN_SECRETS_KEY must be 32 bytes/);
    expect(() => loadConfig({ GASTOWN_SECRETS_KEY: 'not-a-key-hunter2' })).not.toThrow(/hunter2/);
  });

  it('given every variable, when loaded, then each is used and a relative data directory is resolved', () => {
    expect(
      loadGitRunnerConfig(
        {
          NATS_URL: 'nats://a:4222,nats://b:4222',
          GT_NAMESPACE: 'acme',
          GT_STREAM_REPLICAS: '3',
          GIT_RUNNER_DATA_DIR: 'runner-data',
          GIT_RUNNER_ID: 'runner-1.eu',
          GIT_RUNNER_MAX_AGENTS: '8',
          GIT_RUNNER_ACK_WAIT_MS: '3000',
          GIT_RUNNER_LEASE_TTL_MS: '5000',
          GIT_RUNNER_DRAIN_MS: '0',
          GIT_RUNNER_JOB_MAX_DELIVERIES: '3',
          GIT_RUNNER_JOB_RETRY_MAX_MS: '200',
          GIT_RUNNER_MAX_AGENT_TIMEOUT_MS: '600000',
          GIT_RUNNER_MAX_CHECK_TIMEOUT_MS: '60000',
          GASTOWN_LOCAL_REPO_ROOTS: '/srv/git:/home/dev/,/tmp',
          GASTOWN_LOCAL_REPO_ROOTS_BY_TOWN: '{"2F1E8A5C-7D3B-4C1A-9E2F-0A1B2C3D4E5F": ["/srv/acme"]}',
          GASTOWN_EGRESS_ALLOW: '127.0.0.1:8080',
          GIT_RUNNER_AMBIENT_GIT_CREDENTIALS: 'true',
          GASTOWN_SECRETS_KEY: 'cd'.repeat(32),
          GASTOWN_SECRETS_PREVIOUS_KEYS: KEY,
        },
        '/srv',
      ),
    ).toEqual({
      natsUrl: 'nats://a:4222,nats://b:4222',
      namespace: 'acme',
      streamReplicas: 3,
      dataDir: '/srv/runner-data',
      runnerId: 'runner-1.eu',
      maxAgents: 8,
      ackWaitMs: 3_000,
      leaseTtlMs: 5_000,
      drainMs: 0,
      jobRetry: { maxDeliveries: 3, maxDelayMs: 200 },
      agentPolicy: DEFAULT_AGENT_POLICY,
      maxAgentTimeoutMs: 600_000,
      maxCheckTimeoutMs: 60_000,
      repositories: {
        localRoots: ['/srv/git', '/home/dev', '/tmp'],
        localRootsByTown: { '2f1e8a5c-7d3b-4c1a-9e2f-0a1b2c3d4e5f': ['/srv/acme'] },
        egressAllow: [{ kind: 'range', family: 4, prefix: [127, 0, 0, 1], bits: 32, port: 8080 }],
        ambientCredentials: true,
      },
      secrets: SecretKeyring.fromSettings('cd'.repeat(32), KEY),
      sandbox: { kind: 'bwrap', bwrapPath: 'bwrap', uid: 65_534, gid: 65_534, readOnly: [], limits: DEFAULT_SANDBOX_LIMITS, cgroups: 'auto' },
    });
  });

  it('given agent settings, when loaded, then the catalogue is read, and a bad one or a cap out of range is refused by name', () => {
    const config = loadGitRunnerConfig({ GASTOWN_AGENT_PROFILES_JSON: '{"sleep":{"command":["sleep","30"],"network":true}}' });
    expect(config.agentPolicy.profiles.get('sleep')).toMatchObject({ network: true, run: { kind: 'command', command: ['sleep', '30'] } });
    expect(() => loadGitRunnerConfig({ GIT_RUNNER_MAX_AGENT_TIMEOUT_MS: '90000000' })).toThrow(
      'GIT_RUNNER_MAX_AGENT_TIMEOUT_MS must be a whole number from 1000 to 86400000 ms, got "90000000"',
    );
    expect(() => loadGitRunnerConfig({ GASTOWN_AGENT_PROFILES_JSON: '{"x":{"command":["a"],"passEnv":["SSH_AUTH_SOCK"]}}' })).toThrow(
      'git-runner: invalid configuration\n  - GASTOWN_AGENT_PROFILES_JSON: x.passEnv: SSH_AUTH_SOCK is an infrastructure variable and is never handed to an agent',
    );
  });

  it('given several bad values, when loaded, then each one is named on its own line', () => {
    let message = '';
    try {
      loadGitRunnerConfig({
        NATS_URL: 'localhost',
        GT_NAMESPACE: 'Bad NS',
        GIT_RUNNER_ID: '-x y',
        GIT_RUNNER_MAX_AGENTS: '0',
        GIT_RUNNER_ACK_WAIT_MS: 'soon',
        GIT_RUNNER_LEASE_TTL_MS: '900000',
      });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message.split('\n')).toEqual([
      'git-runner: invalid configuration',
      '  - NATS_URL must be a nats:// or tls:// URL with a host, e.g. nats://127.0.0.1:4222 (or a comma-separated list of such URLs)',
      '  - GT_NAMESPACE must be 1 to 31 lower-case letters, digits or "_", starting with a letter, got "Bad NS"',
      '  - GIT_RUNNER_ID must be 1 to 100 letters, digits, ".", "_" or "-", starting with a letter or digit',
      '  - GIT_RUNNER_MAX_AGENTS must be a whole number from 1 to 64, got "0"',
      '  - GIT_RUNNER_ACK_WAIT_MS must be a whole number from 1000 to 3600000 ms, got "soon"',
      '  - GIT_RUNNER_LEASE_TTL_MS must be a whole number from 1000 to 300000 ms, got "900000"',
    ]);
  });

  it('given bad repository settings, when loaded, then each variable is named with what is wrong', () => {
    let message = '';
    try {
      loadGitRunnerConfig({
        GASTOWN_LOCAL_REPO_ROOTS: '/srv/git:relative/dir',
        GASTOWN_LOCAL_REPO_ROOTS_BY_TOWN: '{"acme": ["/srv"]}',
        GASTOWN_EGRESS_ALLOW: '10.0.0.0/40',
        GIT_RUNNER_AMBIENT_GIT_CREDENTIALS: 'yes',
      });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message.split('\n').slice(1)).toEqual([
      '  - GASTOWN_LOCAL_REPO_ROOTS must list absolute directories, got "relative/dir"',
      '  - GASTOWN_LOCAL_REPO_ROOTS_BY_TOWN has the key "acme", which is not a town id, e.g. {"<town id>": ["/srv/git/acme"]}',
      expect.stringMatching(/^ {2}- GASTOWN_EGRESS_ALLOW entry "10\.0\.0\.0\/40" has a prefix length above 32/),
      '  - GIT_RUNNER_AMBIENT_GIT_CREDENTIALS must be "true" or "false"',
    ]);
  });

  it('given sandbox settings, when loaded, then bwrap takes its program and ids and none must be named', () => {
    expect(
      loadGitRunnerConfig({
        GIT_RUNNER_BWRAP_PATH: '/opt/bwrap/bin/bwrap',
        GIT_RUNNER_SANDBOX_UID: '1500',
        GIT_RUNNER_SANDBOX_GID: '1600',
        GIT_RUNNER_SANDBOX_READ_ONLY: '/opt/claude:/srv/tools/,/usr/local/share/agents',
        GIT_RUNNER_SANDBOX_CGROUPS: 'required',
        GIT_RUNNER_SANDBOX_MEMORY_MB: '4096',
        GIT_RUNNER_SANDBOX_PIDS: '512',
        GIT_RUNNER_SANDBOX_CPUS: '1.5',
        GIT_RUNNER_SANDBOX_TMP_MB: '256',
        GIT_RUNNER_SANDBOX_FILE_MB: '100',
        GIT_RUNNER_SANDBOX_WORKTREE_MB: '10000',
        GIT_RUNNER_SANDBOX_FORK_FAILURES: '0',
      }).sandbox,
    ).toEqual({
      kind: 'bwrap',
      bwrapPath: '/opt/bwrap/bin/bwrap',
      uid: 1_500,
      gid: 1_600,
      readOnly: ['/opt/claude', '/srv/tools', '/usr/local/share/agents'],
      cgroups: 'required',
      limits: { memoryMb: 4096, pids: 512, cpus: 1.5, tmpMb: 256, fileMb: 100, worktreeMb: 10_000, forkFailures: 0 },
    });
    expect(loadGitRunnerConfig({ GIT_RUNNER_SANDBOX: 'none' }).sandbox).toEqual({ kind: 'none' });
  });

  it('given bad sandbox settings, when loaded, then each is refused by name and uid 0 is never accepted', () => {
    let message = '';
    try {
      loadGitRunnerConfig({
        GIT_RUNNER_SANDBOX: 'off',
        GIT_RUNNER_BWRAP_PATH: 'bin/bwrap',
        GIT_RUNNER_SANDBOX_UID: '0',
        GIT_RUNNER_SANDBOX_GID: '-1',
        GIT_RUNNER_SANDBOX_READ_ONLY: '/opt/ok:tools',
        GIT_RUNNER_SANDBOX_CGROUPS: 'maybe',
        GIT_RUNNER_SANDBOX_MEMORY_MB: '32',
        GIT_RUNNER_SANDBOX_CPUS: 'all',
      });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message.split('\n').slice(1)).toEqual([
      '  - GIT_RUNNER_SANDBOX must be "bwrap" (the default) or "none" (single-user development only)',
      '  - GIT_RUNNER_BWRAP_PATH must be an absolute path or a program name on PATH',
      '  - GIT_RUNNER_SANDBOX_UID must be a whole number from 1 to 4294967294, got "0"',
      '  - GIT_RUNNER_SANDBOX_GID must be a whole number from 1 to 4294967294, got "-1"',
      '  - GIT_RUNNER_SANDBOX_READ_ONLY must list absolute paths, got "tools"',
      '  - GIT_RUNNER_SANDBOX_CGROUPS must be "auto" (the default), "required" or "off"',
      '  - GIT_RUNNER_SANDBOX_MEMORY_MB must be a whole number from 64 to 1048576 MB, got "32"',
      '  - GIT_RUNNER_SANDBOX_CPUS must be a number of CPUs from 0.01 to 1024 (1.5 = one and a half), got "all"',
    ]);
  });

  it('given read-only paths that hold the data directory or lie in it, when loaded, then they are refused: agents would see every town', () => {
    for (const path of ['/srv/gastown', '/srv/gastown/.data/git-runner/gt/rigs', '/']) {
      expect(() => loadGitRunnerConfig({ GIT_RUNNER_SANDBOX_READ_ONLY: `/opt/tools:${path}` }, '/srv/gastown')).toThrow(
        `GIT_RUNNER_SANDBOX_READ_ONLY must not hold the data directory /srv/gastown/.data/git-runner or anything in it, got "${path}"`,
      );
    }
    expect(loadGitRunnerConfig({ GIT_RUNNER_SANDBOX_READ_ONLY: '/srv/gastown-tools' }, '/srv/gastown').sandbox).toMatchObject({ readOnly: ['/srv/gastown-tools'] });
  });
});
