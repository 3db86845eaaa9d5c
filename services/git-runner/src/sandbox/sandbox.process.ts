import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { SandboxExit } from './sandbox';

/** Whether a process group still has a member; one we may not signal (EPERM) still exists. */
export function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Sends a signal to every process of the group; a group that is already gone is not an error. */
export function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}

/** Alive and not a zombie: a dead process nobody has reaped yet runs nothing any more. */
export function processRunning(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

/**
 * The ends of a child, listened for at once: a program that exits immediately must not finish
 * unobserved while its starter still waits for it to be running.
 */
export function endsOf(child: ChildProcess): { exited: Promise<SandboxExit>; closed: Promise<SandboxExit>; started: Promise<void> } {
  return {
    exited: new Promise((done) => child.once('exit', (code, signal) => done({ code, signal }))),
    closed: new Promise((done) => child.once('close', (code, signal) => done({ code, signal }))),
    started: new Promise((ok, fail) => {
      child.once('spawn', ok);
      child.once('error', fail);
    }),
  };
}
