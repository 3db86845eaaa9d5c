import { DEFAULT_SANDBOX_LIMITS, describeLimits, fileSizeLimitReached, townLimitsOf } from './sandbox.limits';

describe('what a town may take of its host', () => {
  it('given no town caps chosen, when defaulted, then a town gets every core but one, half the memory and four runs of processes', () => {
    expect(townLimitsOf(DEFAULT_SANDBOX_LIMITS, {}, { cores: 16, memoryMb: 65_536 })).toEqual({ cpus: 15, memoryMb: 32_768, pids: 1024 });
  });

  it('given a small host, when defaulted, then a town still gets at least what one run may take', () => {
    expect(townLimitsOf({ ...DEFAULT_SANDBOX_LIMITS, cpus: 1.5 }, {}, { cores: 2, memoryMb: 3_000 })).toEqual({ cpus: 1.5, memoryMb: 2048, pids: 1024 });
  });

  it('given caps the operator chose, when resolved, then they are kept as they are', () => {
    expect(townLimitsOf(DEFAULT_SANDBOX_LIMITS, { cpus: 0.5, memoryMb: 512, pids: 100 }, { cores: 16, memoryMb: 65_536 })).toEqual({ cpus: 0.5, memoryMb: 512, pids: 100 });
  });
});

describe('the file size limit in a run\'s end', () => {
  it('given a run killed by SIGXFSZ or a shell passing that on as exit code 153, when read, then the limit is named', () => {
    expect(fileSizeLimitReached({ code: null, signal: 'SIGXFSZ' }, { fileMb: 4 })).toBe('file size limit 4 MB reached (killed by SIGXFSZ)');
    expect(fileSizeLimitReached({ code: 153, signal: null }, { fileMb: 1024 })).toBe('file size limit 1024 MB reached (exit code 153, SIGXFSZ)');
  });

  it('given any other end, when read, then no limit is named', () => {
    expect(fileSizeLimitReached({ code: 1, signal: null }, { fileMb: 4 })).toBeUndefined();
    expect(fileSizeLimitReached({ code: null, signal: 'SIGKILL' }, { fileMb: 4 })).toBeUndefined();
  });
});

describe('the limits in the start-up log', () => {
  it('given a cgroup and town caps, when described, then the line says what each run and each town may take', () => {
    expect(describeLimits(DEFAULT_SANDBOX_LIMITS, 'cgroup v1', { cpus: 1, memoryMb: 12_000, pids: 1024 })).toBe(
      'memory 2048 MB, 256 processes, 1 CPU (cgroup v1), files up to 1024 MB, /tmp and HOME 512 MB each, worktree 4096 MB; ' +
        "each town's runs together: memory 12000 MB, 1024 processes, 1 CPU, an equal CPU weight per town",
    );
  });
});
