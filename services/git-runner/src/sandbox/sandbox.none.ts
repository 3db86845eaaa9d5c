import { spawn } from 'node:child_process';
import type { Sandbox, SandboxProcess, SandboxReport, SandboxSpec } from './sandbox';
import { endsOf, groupAlive, signalGroup } from './sandbox.process';

/**
 * No confinement: the process runs as the runner's user and sees the whole machine, its network
 * and the runner's data directory. For a developer's own machine with a single, trusted town;
 * the runner warns at start whenever it is chosen. No resource limits either.
 */
export class UnconfinedSandbox implements Sandbox {
  readonly kind = 'none';

  async spawn(spec: SandboxSpec): Promise<SandboxProcess> {
    const [program = '', ...args] = spec.argv;
    const child = spawn(program, args, {
      cwd: spec.worktree,
      env: { ...spec.env },
      stdio: [...spec.stdio],
      // Its own process group, so a signal reaches everything it started.
      detached: true,
      shell: false,
    });
    const { exited, closed, started } = endsOf(child);
    await started;
    const pid = child.pid as number;
    return { child, pid, exited, closed, signal: (signal) => signalGroup(pid, signal), running: () => groupAlive(pid) };
  }

  /** Nothing to probe, and no limits: the runner warns about `none` itself. */
  async probe(): Promise<SandboxReport> {
    return {};
  }
}
