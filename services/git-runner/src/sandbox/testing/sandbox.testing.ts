import { readdirSync, readFileSync } from 'node:fs';
import { BwrapSandbox, type BwrapSettings } from '../sandbox.bwrap';
import { findCgroupHost, RunCgroups } from '../sandbox.cgroup';
import { DEFAULT_SANDBOX_LIMITS, type SandboxLimits } from '../sandbox.limits';
import { processRunning } from '../sandbox.process';

/** The sandbox a runner gets by default, for specs that run real processes in it; a spec may change some settings and limits. */
export function testSandbox(settings: Partial<Omit<BwrapSettings, 'limits'>> & { limits?: Partial<SandboxLimits> } = {}): BwrapSandbox {
  const { limits, ...rest } = settings;
  return new BwrapSandbox({ bwrapPath: 'bwrap', uid: 65_534, gid: 65_534, cgroups: 'auto', ...rest, limits: { ...DEFAULT_SANDBOX_LIMITS, ...limits } });
}

/**
 * Host pids of running processes whose command line or environment contains `text`. Pids a
 * process reports from inside a sandbox are those of its own pid namespace, meaningless here;
 * a unique argument or variable finds it from outside.
 */
export function hostProcessesWith(text: string): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    const read = (file: string) => {
      try {
        return readFileSync(`/proc/${entry}/${file}`, 'utf8');
      } catch {
        return '';
      }
    };
    if ((read('cmdline').includes(text) || read('environ').includes(text)) && processRunning(Number(entry))) found.push(Number(entry));
  }
  return found;
}

/**
 * Removes the empty cgroups a spec's runs leave: town cgroups outlive their runs while a runner
 * lives, and a runner's start would otherwise remove them only at the next start.
 */
export function removeEmptyCgroups(): void {
  const host = findCgroupHost();
  if (!('unavailable' in host)) new RunCgroups(host, { cpus: 1, memoryMb: DEFAULT_SANDBOX_LIMITS.memoryMb, pids: DEFAULT_SANDBOX_LIMITS.pids }).sweep();
}
