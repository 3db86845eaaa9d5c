import { ChildProcess, spawn } from 'node:child_process';
import { join, resolve } from 'node:path';
import { TEST_SECRETS_KEY } from './infra.testing';

export const WORKSPACE_ROOT = resolve(__dirname, '../../..');

/** A service running as a real process, started exactly as `npm start` starts it. */
export interface ServiceProcess {
  readonly child: ChildProcess;
  /** Everything the process printed so far, for failure messages. */
  output(): string;
  /** Resolves with the exit code, or the signal name when it was killed. */
  exited(): Promise<number | string | null>;
  /** SIGTERM, then SIGKILL after the grace period. */
  stop(graceMs?: number): Promise<void>;
}

export interface StartOptions {
  env?: Record<string, string>;
  /** Resolve once this text appears on stdout or stderr; omit to return at once (for processes expected to fail). */
  readyText?: string;
  timeoutMs?: number;
  /**
   * A script other than services/<name>/src/main.ts, relative to the workspace root. A `.js`
   * file (a build in dist/) runs with plain node, as in production, without the TypeScript hook.
   */
  script?: string;
  /** Options for node itself, before the script (`--require` of a probe). */
  nodeArgs?: string[];
}

/** Every service's health listener turned off (port 0); a spec that probes one sets its port. */
export const NO_HEALTH_LISTENERS: Readonly<Record<string, string>> = {
  GATEWAY_HEALTH_PORT: '0',
  CONVOY_HEALTH_PORT: '0',
  DISPATCHER_HEALTH_PORT: '0',
  GIT_RUNNER_HEALTH_PORT: '0',
};

export function startService(name: string, options: StartOptions = {}): Promise<ServiceProcess> {
  const script = join(WORKSPACE_ROOT, options.script ?? join('services', name, 'src', 'main.ts'));
  const compiled = script.endsWith('.js');
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), ...(compiled ? [] : ['-r', '@swc-node/register']), script], {
    cwd: WORKSPACE_ROOT,
    env: {
      ...process.env,
      GASTOWN_SECRETS_KEY: TEST_SECRETS_KEY,
      // Specs read the services' lines as a person would; a spec about JSON logs asks for them.
      GT_LOG_FORMAT: 'text',
      // Replicas of a service share a machine in tests: no listener unless a spec gives it a port.
      ...NO_HEALTH_LISTENERS,
      ...options.env,
      ...(compiled ? {} : { SWC_NODE_PROJECT: join(WORKSPACE_ROOT, 'tsconfig.base.json') }),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const exit = new Promise<number | string | null>((done) => child.once('exit', (code, signal) => done(code ?? signal)));
  const service: ServiceProcess = {
    child,
    output: () => output,
    exited: () => exit,
    stop: async (graceMs = 10_000) => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exit;
      clearTimeout(killer);
    },
  };
  const collect = (chunk: Buffer) => (output += chunk.toString('utf8'));
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const { readyText, timeoutMs = 30_000 } = options;
  if (!readyText) return Promise.resolve(service);
  return new Promise((ready, fail) => {
    const timer = setTimeout(() => {
      void service.stop();
      fail(new Error(`${name} not ready within ${timeoutMs} ms:\n${output}`));
    }, timeoutMs);
    const watch = () => {
      if (output.includes(readyText)) {
        clearTimeout(timer);
        child.stdout?.off('data', watch);
        child.stderr?.off('data', watch);
        ready(service);
      }
    };
    child.stdout?.on('data', watch);
    child.stderr?.on('data', watch);
    void exit.then((how) => {
      clearTimeout(timer);
      fail(new Error(`${name} exited (${how}) before it was ready:\n${output}`));
    });
  });
}
