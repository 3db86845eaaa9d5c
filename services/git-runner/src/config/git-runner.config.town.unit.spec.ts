import { loadGitRunnerConfig as loadConfig } from './git-runner.config';

/** An operator's environment: the key that opens rig credentials is always given. */
const loadGitRunnerConfig = (env: NodeJS.ProcessEnv) => loadConfig({ GASTOWN_SECRETS_KEY: 'ab'.repeat(32), ...env });

describe('git-runner configuration: what each town may take of the host', () => {
  it('given town caps, when loaded, then only those set are kept and the rest default from the host (townLimitsOf)', () => {
    expect(loadGitRunnerConfig({ GIT_RUNNER_TOWN_CPUS: '1.5', GIT_RUNNER_TOWN_PIDS: '600' }).sandbox).toMatchObject({ town: { cpus: 1.5, pids: 600 } });
    expect(loadGitRunnerConfig({ GIT_RUNNER_TOWN_MEMORY_MB: '8192' }).sandbox).toMatchObject({ town: { memoryMb: 8192 } });
    expect(loadGitRunnerConfig({}).sandbox).not.toHaveProperty('town');
  });

  it('given bad town caps, when loaded, then each is refused by name', () => {
    expect(() => loadGitRunnerConfig({ GIT_RUNNER_TOWN_CPUS: 'all', GIT_RUNNER_TOWN_MEMORY_MB: '1.5', GIT_RUNNER_TOWN_PIDS: '8' })).toThrow(
      [
        '  - GIT_RUNNER_TOWN_CPUS must be a number of CPUs from 0.01 to 1024, got "all"',
        '  - GIT_RUNNER_TOWN_MEMORY_MB must be a whole number of MB from 64 to 1048576, got "1.5"',
        '  - GIT_RUNNER_TOWN_PIDS must be a whole number from 16 to 4194304, got "8"',
      ].join('\n'),
    );
  });
});
