#!/usr/bin/env node
// One command for the whole system on one machine: validates the configuration, brings up
// NATS and PostgreSQL when none is given, then runs every service in the foreground with
// prefixed logs, restarts a service that dies, and stops everything cleanly on Ctrl-C.
import { spawn } from 'node:child_process';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cleanups, ensurePostgres, ensureSecretsKey, ensureSecuredNats, pipe, stopChild } from './infra.mjs';
import { settingsProblems } from './settings.mjs';

const root = resolve(fileURLToPath(import.meta.url), '../..');
const dataDir = resolve(process.env.GASTOWN_DATA_DIR || join(root, '.data'));
const SERVICES = ['convoy', 'gateway', 'dispatcher', 'git-runner'];
const COLOURS = { convoy: 36, gateway: 35, dispatcher: 94, 'git-runner': 31, nats: 33, postgres: 34, start: 32, dashboard: 92 };

function log(source, line) {
  const tag = source.padEnd(10);
  const colour = process.stdout.isTTY ? COLOURS[source] ?? 37 : null;
  process.stdout.write(colour ? `\x1b[${colour}m${tag}|\x1b[0m ${line}\n` : `${tag}| ${line}\n`);
}

function fail(message) {
  process.stderr.write(`${message}\n`);
  process.exit(2);
}

function validateConfig(env) {
  const problems = settingsProblems(env);
  if (problems.length > 0) fail(`gastown: invalid configuration\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  return { port: Number(env.GATEWAY_PORT || '4000') };
}

let stopping = false;
const running = new Map();

function runService(name, env, restarts = 0) {
  const child = spawn(process.execPath, ['-r', '@swc-node/register', join(root, 'services', name, 'src', 'main.ts')], {
    cwd: root,
    env: { ...env, SWC_NODE_PROJECT: join(root, 'tsconfig.base.json') },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.set(name, child);
  pipe(log, name, child);
  const startedAt = Date.now();
  child.once('exit', (code, signal) => {
    running.delete(name);
    if (stopping) return;
    if (code === 2) {
      log('start', `${name} refused its configuration (see above); stopping`);
      void shutdown(2);
      return;
    }
    // A service that ran a while before dying starts again at once; one that keeps dying backs off.
    const next = Date.now() - startedAt > 60_000 ? 0 : restarts + 1;
    const delay = Math.min(30_000, 500 * 2 ** next);
    log('start', `${name} exited (${signal ?? `code ${code}`}); restarting in ${(delay / 1000).toFixed(1)} s`);
    setTimeout(() => !stopping && runService(name, env, next), delay);
  });
}

/**
 * The gateway serves the dashboard from its build. Nx's cache makes this a few seconds when
 * nothing changed; DASHBOARD_DIR points at a build made elsewhere and skips it.
 */
function buildDashboard(env) {
  if (env.DASHBOARD_DIR) return Promise.resolve(env.DASHBOARD_DIR);
  return new Promise((done, failed) => {
    const child = spawn(join(root, 'node_modules', '.bin', 'nx'), ['build', 'dashboard', '--output-style=static'], {
      cwd: root,
      env: { ...env, NX_DAEMON: 'false', NX_NO_CLOUD: 'true', NX_TUI: 'false' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    running.set('dashboard', child);
    pipe(log, 'dashboard', child);
    child.once('exit', (code) => {
      running.delete('dashboard');
      if (code === 0) done(join(root, 'dist', 'apps', 'dashboard', 'browser'));
      else failed(new Error(`the dashboard build failed (exit ${code}); see above`));
    });
  });
}

async function shutdown(code = 0) {
  if (stopping) return;
  stopping = true;
  log('start', 'stopping services…');
  await Promise.all([...running.values()].map((child) => stopChild(child)));
  for (const cleanup of cleanups.reverse()) {
    try {
      await cleanup();
    } catch (error) {
      log('start', `cleanup failed: ${error.message}`);
    }
  }
  log('start', 'stopped');
  process.exit(code);
}

async function main() {
  const { port } = validateConfig(process.env);
  process.on('SIGINT', () => void shutdown(0));
  process.on('SIGTERM', () => void shutdown(0));
  const dashboard = buildDashboard(process.env);
  // A build failing while NATS and PostgreSQL start is reported by the await below, with a clean shutdown.
  dashboard.catch(() => undefined);
  const nats = await ensureSecuredNats(process.env, { dataDir, root, log, fail });
  const secretsKey = ensureSecretsKey(process.env, { dataDir, log });
  const databaseUrl = await ensurePostgres(process.env, { dataDir, log });
  const dashboardDir = await dashboard;
  // One machine, one developer: repositories in /tmp and the home directory may be registered by
  // local path. A shared install lists its own roots (or none) in GASTOWN_LOCAL_REPO_ROOTS.
  const localRoots = process.env.GASTOWN_LOCAL_REPO_ROOTS ?? ['/tmp', homedir()].join(':');
  log('start', `local repositories may be registered under: ${localRoots || '(nowhere: GASTOWN_LOCAL_REPO_ROOTS is empty)'}`);
  // One runner: the dispatcher knows its slots, and a town may take all but one, so another
  // town's bead always finds a free slot (a town waits behind its own work only).
  const slots = Number(process.env.GIT_RUNNER_MAX_AGENTS || 4);
  const env = {
    GIT_RUNNER_DATA_DIR: join(dataDir, 'git-runner'),
    DISPATCHER_AGENT_SLOTS: String(slots),
    DISPATCHER_MAX_AGENTS_PER_TOWN: String(Math.max(1, slots - 1)),
    // The services write to this script's pipes: on a terminal they keep the human format,
    // otherwise (a file, a log collector) one JSON object per line.
    GT_LOG_FORMAT: process.stdout.isTTY ? 'text' : 'json',
    ...process.env,
    GASTOWN_LOCAL_REPO_ROOTS: localRoots,
    NATS_URL: nats.url,
    GASTOWN_SECRETS_KEY: secretsKey,
    DATABASE_URL: databaseUrl,
    GATEWAY_PORT: String(port),
    DASHBOARD_DIR: dashboardDir,
  };
  // Each service connects as its own NATS user, so the server's permissions tell them apart.
  for (const name of SERVICES) runService(name, { ...env, ...nats.envFor(name) });
  log('start', `Dashboard: http://127.0.0.1:${port}/ · GraphQL API: http://127.0.0.1:${port}/graphql`);
  log('start', 'create a town (it prints the token to sign in with): npx gt town create <name>');
  log('start', 'probes and metrics: http://127.0.0.1:9460-9463/{livez,readyz,metrics} (gateway, convoy, dispatcher, git-runner)');
}

main().catch(async (error) => {
  log('start', `failed: ${error.message}`);
  await shutdown(1);
});

