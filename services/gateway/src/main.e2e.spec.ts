import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { connectBus, deleteTopology } from '@gastown/bus';
import { createTestDatabase, TEST_NATS_URL, TEST_SECRETS_KEY, testNamespace } from '@gastown/testing';

const ROOT = resolve(__dirname, '../../..');

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  output: string;
}

/** Starts main.ts as npm start does; `until` ends the wait early (the process keeps running). */
function runGateway(env: NodeJS.ProcessEnv, until?: RegExp) {
  const child = spawn(process.execPath, ['-r', '@swc-node/register', join(ROOT, 'services/gateway/src/main.ts')], {
    cwd: ROOT,
    env: { PATH: process.env['PATH'], SWC_NODE_PROJECT: join(ROOT, 'tsconfig.base.json'), GT_LOG_FORMAT: 'text', GATEWAY_HEALTH_PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const exited = new Promise<Run>((done) => child.once('exit', (code, signal) => done({ code, signal, output })));
  let seen: (line: string) => void = () => undefined;
  const onData = (chunk: Buffer) => {
    output += chunk.toString('utf8');
    const match = until?.exec(output);
    if (match) seen(match[0]);
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  const matched = () =>
    new Promise<string>((done, fail) => {
      seen = done;
      void exited.then(() => fail(new Error(`the gateway exited before printing ${String(until)}:\n${output}`)));
    });
  return { child, exited, matched };
}

function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => done(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

describe('gateway process', () => {
  it('given invalid variables, when started, then it exits with code 2 and one line per bad value, without secrets', async () => {
    const { exited } = runGateway({
      GATEWAY_PORT: '99999',
      DATABASE_URL: 'mysql://root:hunter2@db/gastown',
      GT_NAMESPACE: 'Bad-Namespace',
    });
    const { code, output } = await exited;
    expect(code).toBe(2);
    expect(output).toContain('GATEWAY_PORT must be a whole number from 1 to 65535, got "99999"');
    expect(output).toMatch(/DATABASE_URL must be a postgres:\/\//);
    expect(output).toMatch(/GT_NAMESPACE must be/);
    expect(output).not.toContain('hunter2');
  });

  it('given a valid environment, when started, then it announces its URL, answers, and stops cleanly on SIGTERM', async () => {
    const db = await createTestDatabase();
    const namespace = testNamespace();
    const port = await freePort();
    const gateway = runGateway(
      { GATEWAY_PORT: String(port), DATABASE_URL: db.url, NATS_URL: TEST_NATS_URL, GT_NAMESPACE: namespace, GASTOWN_SECRETS_KEY: TEST_SECRETS_KEY },
      /gateway ready on \S+/,
    );
    try {
      expect(await gateway.matched()).toBe(`gateway ready on http://127.0.0.1:${port}/graphql`);
      const response = await fetch(`http://127.0.0.1:${port}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: '{ town { id } }' }),
      });
      expect(response.status).toBe(401);

      gateway.child.kill('SIGTERM');
      // Nest closes the app, then re-raises the signal so the parent sees why the process ended.
      const run = await gateway.exited;
      expect([run.code, run.signal]).toEqual([null, 'SIGTERM']);
      expect(run.output).not.toMatch(/ERROR/);
    } finally {
      gateway.child.kill('SIGKILL');
      const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };
      const bus = await connectBus({ servers: TEST_NATS_URL, namespace, name: 'gateway-test-cleanup', logger: quiet });
      await deleteTopology(bus).finally(() => bus.close());
      await db.drop();
    }
  });

  it('given a gateway serving the dashboard, when probed on both ports, then readiness names its checks, probes and the scrape are never the app, and the health listener exports its series', async () => {
    const db = await createTestDatabase();
    const namespace = testNamespace();
    const [port, healthPort] = [await freePort(), await freePort()];
    const dashboard = mkdtempSync(join(tmpdir(), 'gt-dashboard-'));
    writeFileSync(join(dashboard, 'index.html'), '<!doctype html><title>Gastown</title>');
    const gateway = runGateway(
      {
        GATEWAY_PORT: String(port),
        GATEWAY_HEALTH_PORT: String(healthPort),
        DATABASE_URL: db.url,
        NATS_URL: TEST_NATS_URL,
        GT_NAMESPACE: namespace,
        GASTOWN_SECRETS_KEY: TEST_SECRETS_KEY,
        DASHBOARD_DIR: dashboard,
      },
      /gateway ready on \S+/,
    );
    const api = `http://127.0.0.1:${port}`;
    const health = `http://127.0.0.1:${healthPort}`;
    try {
      await gateway.matched();
      const ready = await fetch(`${api}/readyz`);
      expect(ready.status).toBe(200);
      const body = (await ready.json()) as { status: string; service: string; checks: { name: string; ok: boolean }[] };
      expect(body).toMatchObject({ status: 'ready', service: 'gateway' });
      expect(body.checks.map((c) => [c.name, c.ok])).toEqual([
        ['nats', true],
        ['consumer read-models', true],
        ['consumer webhook-log', true],
        ['postgres', true],
        ['projector', true],
      ]);
      // The API's port is anyone's: it names the checks, not what they found inside.
      expect(JSON.stringify(body)).not.toMatch(/detail|reason|4222/);
      const inside = (await (await fetch(`${health}/readyz`)).json()) as { checks: { name: string; detail?: string }[] };
      expect(inside.checks.find((c) => c.name === 'nats')?.detail).toMatch(/^127\.0\.0\.1:4222 in /);
      expect((await fetch(`${api}/livez`)).status).toBe(200);

      // What a naive probe or a scraper asks: a real answer, never index.html with 200.
      for (const path of ['/healthz', '/metrics', '/nope']) {
        const response = await fetch(`${api}${path}`, { headers: { accept: '*/*' } });
        expect([path, response.status]).toEqual([path, 404]);
        expect(await response.text()).not.toContain('<title>Gastown</title>');
      }
      // A browser opening a page still gets the app.
      expect((await fetch(`${api}/convoys/abc`, { headers: { accept: 'text/html' } })).status).toBe(200);

      const metrics = await (await fetch(`${health}/metrics`)).text();
      expect(metrics).toMatch(/^gastown_projector_lag_seconds\{service="gateway"\} 0$/m);
      expect(metrics).toMatch(/^gastown_consumer_pending_messages\{consumer="read-models",service="gateway"\} \d+$/m);
      expect(metrics).toMatch(/^gastown_holds\{service="gateway"\} 0$/m);
      expect(metrics).toMatch(/^process_resident_memory_bytes\{service="gateway"\} \d+$/m);
    } finally {
      gateway.child.kill('SIGKILL');
      await gateway.exited;
      const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };
      const bus = await connectBus({ servers: TEST_NATS_URL, namespace, name: 'gateway-test-cleanup', logger: quiet });
      await deleteTopology(bus).finally(() => bus.close());
      await db.drop();
      rmSync(dashboard, { recursive: true, force: true });
    }
  });
});
