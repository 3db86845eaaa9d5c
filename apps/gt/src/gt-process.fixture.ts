import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { WORKSPACE_ROOT } from '@gastown/testing';

export interface GtRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `gt` as a user runs it: bin/gt.js in its own process, stdout and stderr pipes (not a terminal). */
export interface GtProcess {
  readonly child: ChildProcess;
  stdout(): string;
  stderr(): string;
  done: Promise<GtRun>;
}

const GT = join(WORKSPACE_ROOT, 'bin', 'gt.js');

export function startGt(args: readonly string[], env: Record<string, string>, stdin?: string): GtProcess {
  return startProcess(process.execPath, [GT, ...args], env, stdin);
}

/**
 * `gt` with a pseudo-terminal as stdout, through util-linux `script`, which exits with gt's
 * code (-e). `script` takes one shell command line, so every argument is single-quoted; the
 * arguments are the spec's own (ids, flags), never text from outside.
 */
export function gtOnTerminal(args: readonly string[], env: Record<string, string>): Promise<GtRun> {
  const line = [process.execPath, GT, ...args].map((arg) => `'${arg.replace(/'/g, `'\\''`)}'`).join(' ');
  return startProcess('script', ['-qec', line, '/dev/null'], env).done;
}

function startProcess(command: string, args: readonly string[], env: Record<string, string>, stdin?: string): GtProcess {
  const child = spawn(command, args, {
    cwd: WORKSPACE_ROOT,
    env: { ...process.env, ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (c) => (stdout += c));
  child.stderr?.on('data', (c) => (stderr += c));
  child.stdin?.end(stdin ?? '');
  const done = new Promise<GtRun>((resolve) => child.once('close', (code) => resolve({ code, stdout, stderr })));
  return { child, stdout: () => stdout, stderr: () => stderr, done };
}

export function gt(args: readonly string[], env: Record<string, string>, stdin?: string): Promise<GtRun> {
  return startGt(args, env, stdin).done;
}

/** The JSON document a `--json` run printed, with the run in the failure message when it is not one. */
export function jsonOf<T>(run: GtRun): T {
  try {
    return JSON.parse(run.stdout) as T;
  } catch {
    throw new Error(`not one JSON document (exit ${run.code}):\nstdout: ${run.stdout}\nstderr: ${run.stderr}`);
  }
}

/** The `{"error":{code,message,details}}` a `--json` run printed on stderr. */
export function errorOf(run: GtRun): { code: string; message: string; details: Record<string, unknown> } {
  try {
    return (JSON.parse(run.stderr) as { error: { code: string; message: string; details: Record<string, unknown> } }).error;
  } catch {
    throw new Error(`stderr is not a JSON error (exit ${run.code}):\nstdout: ${run.stdout}\nstderr: ${run.stderr}`);
  }
}
