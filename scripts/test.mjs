#!/usr/bin/env node
// `npm test`: every check CI runs. Integration tests need NATS with JetStream and a PostgreSQL
// superuser; running ones are used, otherwise a local nats-server and an embedded PostgreSQL
// are started for the run and stopped afterwards.
import { spawn } from 'node:child_process';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { answers, cleanups, ensureNats, ensurePostgres } from './infra.mjs';

const root = resolve(fileURLToPath(import.meta.url), '../..');
const log = (source, line) => process.stdout.write(`${source.padEnd(8)}| ${line}\n`);
const fail = (message) => {
  process.stderr.write(`${message}\n`);
  process.exit(2);
};

function run(command, args, env) {
  return new Promise((done) => {
    const child = spawn(command, args, { cwd: root, env, stdio: 'inherit' });
    child.once('exit', (code, signal) => done(code ?? (signal ? 1 : 0)));
  });
}

async function main() {
  const env = { ...process.env, NX_DAEMON: 'false', NX_NO_CLOUD: 'true', NX_TUI: 'false' };
  env.NATS_URL = await ensureNats(process.env, { dataDir: join(root, 'tmp', 'test-infra'), log, fail });
  if (!env.TEST_PG_ADMIN_URL) {
    env.TEST_PG_ADMIN_URL = (await answers('127.0.0.1', 5432, 500, false))
      ? 'postgres://postgres@127.0.0.1:5432/postgres'
      : await ensurePostgres({}, { dataDir: join(root, 'tmp', 'test-infra'), log, port: 54330, database: 'postgres' });
  }
  const nx = join(root, 'node_modules', '.bin', 'nx');
  let code = await run(nx, ['run-many', '-t', 'lint', 'typecheck', '--output-style=static'], env);
  if (code === 0) code = await run(nx, ['run-many', '-t', 'test', '--output-style=static', '--', '--ci'], env);
  for (const cleanup of cleanups.reverse()) await cleanup();
  process.exit(code);
}

main().catch((error) => {
  process.stderr.write(`npm test: ${error.message}\n`);
  process.exit(1);
});
