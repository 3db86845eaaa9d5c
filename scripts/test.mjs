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

const totals = { passed: 0, failed: 0, skipped: 0 };
// CI keeps only the tail of a run's output: every failing suite and test, with the first lines
// of its error, is printed again at the end, so a red run says what failed.
const failures = [];
let capturing = null;

function remember(line) {
  if (/^(PASS|FAIL|Test Suites:) /.test(line.trim())) {
    capturing = null;
    if (line.trim().startsWith('FAIL ')) failures.push([line.trim()]);
    return;
  }
  const heading = /^\s*● (.*)$/.exec(line);
  if (heading) {
    capturing = heading[1].startsWith('Console') ? null : [line];
    if (capturing) failures.push(capturing);
    return;
  }
  if (capturing && capturing.length < 30) capturing.push(line);
}

/** Adds up jest's per-project "Tests:" lines, for one closing line over the whole run. */
function count(text) {
  for (const line of text.replace(/\x1b\[[0-9;]*m/g, '').split('\n')) {
    remember(line);
    const summary = /^Tests:\s+(.*)\d+ total/.exec(line.trim());
    if (!summary) continue;
    for (const [, n, kind] of summary[1].matchAll(/(\d+) (passed|failed|skipped|todo)/g)) {
      if (kind in totals) totals[kind] += Number(n);
    }
  }
}

function run(command, args, env) {
  return new Promise((done) => {
    const child = spawn(command, args, { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let pending = '';
    const relay = (target) => (chunk) => {
      target.write(chunk);
      pending += chunk.toString();
      const cut = pending.lastIndexOf('\n');
      if (cut >= 0) {
        count(pending.slice(0, cut));
        pending = pending.slice(cut + 1);
      }
    };
    child.stdout.on('data', relay(process.stdout));
    child.stderr.on('data', relay(process.stderr));
    child.once('exit', (code, signal) => {
      count(pending);
      done(code ?? (signal ? 1 : 0));
    });
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
  if (failures.length > 0) {
    process.stdout.write(`\nwhat failed:\n${failures.slice(0, 20).map((block) => block.join('\n')).join('\n')}\n`);
  }
  const skipped = totals.skipped ? `, ${totals.skipped} skipped` : '';
  process.stdout.write(`\ntests: ${totals.passed} passed, ${totals.failed} failed${skipped}\n`);
  process.exit(code);
}

main().catch((error) => {
  process.stderr.write(`npm test: ${error.message}\n`);
  process.exit(1);
});
