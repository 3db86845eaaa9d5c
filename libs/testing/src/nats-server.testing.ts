import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const NATS_SERVER_BINARY = process.env['NATS_SERVER_BIN'] ?? '/usr/sbin/nats-server';

/**
 * A nats-server of the test's own, for scenarios that kill or restart the server: the shared
 * server on 4222 is never touched. The store directory outlives the process, so a restart on
 * the same port and directory recovers what the killed server had stored.
 */
export interface NatsServerProcess {
  readonly url: string;
  readonly port: number;
  readonly storeDir: string;
  readonly pid: number;
  /** Everything the server logged so far, for failure messages. */
  output(): string;
  /** True until the process has exited. */
  running(): boolean;
  /** SIGKILL by PID: no shutdown, no flush, as a crashed server. Resolves once it has exited. */
  kill(): Promise<void>;
}

export interface NatsServerOptions {
  port: number;
  storeDir: string;
  timeoutMs?: number;
  /** Extra server configuration (e.g. an `authorization` block), written beside the store and passed with -c. */
  config?: string;
  /** Further command-line options (a server name, cluster routes, a monitoring port). */
  args?: readonly string[];
}

/** Starts `nats-server -js` on 127.0.0.1 and resolves once it accepts clients (JetStream is restored by then). */
export function startNatsServer({ port, storeDir, timeoutMs = 10_000, config, args: extra = [] }: NatsServerOptions): Promise<NatsServerProcess> {
  const args = ['-js', '-a', '127.0.0.1', '-p', String(port), '-sd', storeDir, ...extra];
  if (config !== undefined) {
    const file = join(storeDir, `nats-server-${port}.conf`);
    writeFileSync(file, config, { mode: 0o600 });
    args.push('-c', file);
  }
  const child: ChildProcess = spawn(NATS_SERVER_BINARY, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  let exited = false;
  const exit = new Promise<void>((done) =>
    child.once('exit', () => {
      exited = true;
      done();
    }),
  );
  const server: NatsServerProcess = {
    url: `nats://127.0.0.1:${port}`,
    port,
    storeDir,
    pid: child.pid ?? -1,
    output: () => output,
    running: () => !exited,
    kill: async () => {
      if (exited) return;
      child.kill('SIGKILL');
      await exit;
    },
  };
  return new Promise((ready, fail) => {
    const timer = setTimeout(() => {
      void server.kill();
      fail(new Error(`nats-server on port ${port} not ready within ${timeoutMs} ms:\n${output}`));
    }, timeoutMs);
    const collect = (chunk: Buffer) => {
      output += chunk.toString('utf8');
      if (output.includes('Server is ready')) {
        clearTimeout(timer);
        ready(server);
      }
    };
    child.stdout?.on('data', collect);
    child.stderr?.on('data', collect);
    child.once('error', (error) => {
      clearTimeout(timer);
      fail(error);
    });
    void exit.then(() => {
      clearTimeout(timer);
      fail(new Error(`nats-server on port ${port} exited before it was ready:\n${output}`));
    });
  });
}
