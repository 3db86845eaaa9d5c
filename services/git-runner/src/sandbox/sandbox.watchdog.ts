import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { Logger } from '@nestjs/common';
import type { CgroupHost } from './sandbox.cgroup';

/** What the watchdog is told on its command line: whose runs, and where their cgroups are. */
export interface WatchdogOrders {
  readonly runner: number;
  /** The runner's, not the watchdog's: on cgroup v2 the runner moves its own processes into a leaf of their own. */
  readonly host: CgroupHost;
}

/**
 * The runner's build (dist/services/git-runner) holds the watchdog compiled beside it (project.json);
 * run from sources, this module is still TypeScript.
 */
const COMPILED_WATCHDOG = __filename.endsWith('.ts') ? null : join(__dirname, 'sandbox.watchdog.main.js');

const UNGUARDED = "were this runner killed, its running sandboxes would live on until the next runner's start-up sweep";

/** One per process: it sweeps the runs named by this process's pid, whichever sandbox created them. */
let watchdog: ChildProcess | undefined;

/**
 * Starts the process that sweeps this runner's runs the moment the runner dies, however it dies.
 * bwrap arms --die-with-parent only once its set-up is done (in its launcher after the clone, in
 * the namespace's init after forking the command): a runner killed within those milliseconds
 * would otherwise leave the run alive, with nobody to time it out or take its result, until the
 * next runner's start-up sweep, while its job is redelivered and may run twice at once.
 *
 * The watchdog holds the read end of a pipe whose only write end is the runner's (close-on-exec,
 * so no sandbox inherits it): the kernel closes it when the runner dies, and the watchdog reads
 * EOF. A session and process group of its own, so that a signal to the runner's group spares it;
 * unref'd, so it never keeps the runner alive. A runner that exits cleanly closes the pipe as
 * well: the sweep then finds its runs already gone and removes empty town cgroups.
 */
export function startWatchdog(host: CgroupHost): void {
  if (watchdog) return;
  const orders: WatchdogOrders = { runner: process.pid, host };
  const entry = COMPILED_WATCHDOG
    ? [COMPILED_WATCHDOG]
    : ['-r', require.resolve('@swc-node/register'), join(__dirname, 'sandbox.watchdog.main.ts')];
  const swcProject = process.env['SWC_NODE_PROJECT'];
  const child = spawn(process.execPath, [...entry, JSON.stringify(orders)], {
    // Holding no directory busy, and nothing of the runner's environment (its NATS credentials).
    cwd: '/',
    env: !COMPILED_WATCHDOG && swcProject ? { SWC_NODE_PROJECT: swcProject } : {},
    // stderr to the runner's log, where a watchdog that cannot start says why.
    stdio: ['pipe', 'ignore', 'inherit'],
    detached: true,
  });
  const logger = new Logger('sandbox');
  child.stdin?.on('error', () => undefined);
  child.once('error', (error) => logger.warn(`the sandbox watchdog did not start (${error.message}): ${UNGUARDED}`));
  child.once('exit', (code, signal) => logger.warn(`the sandbox watchdog (pid ${child.pid}) ended with ${signal ?? `exit code ${code}`}: ${UNGUARDED}`));
  child.unref();
  watchdog = child;
}
