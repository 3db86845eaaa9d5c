import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { Bus, connectBus, deleteTopology } from '@gastown/bus';
import {
  createTestDatabase,
  freePort,
  startService,
  TEST_NATS_URL,
  testNamespace,
  WORKSPACE_ROOT,
  type ServiceProcess,
  type TestDatabase,
} from '@gastown/testing';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

describe('gt CLI against the running system', () => {
  const namespace = testNamespace();
  let db: TestDatabase;
  let bus: Bus;
  let services: ServiceProcess[] = [];
  let env: Record<string, string>;

  const gt = (args: string[], extra: Record<string, string> = {}): Promise<Run> =>
    new Promise((resolve) => {
      const child = spawn(process.execPath, [join(WORKSPACE_ROOT, 'bin', 'gt.js'), ...args], {
        cwd: WORKSPACE_ROOT,
        env: { ...process.env, ...env, ...extra },
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (c) => (stdout += c));
      child.stderr.on('data', (c) => (stderr += c));
      child.once('exit', (code) => resolve({ code, stdout, stderr }));
    });

  const graphql = async (token: string, query: string) => {
    const response = await fetch(env['GATEWAY_URL'], {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query }),
    });
    return response.json() as Promise<{ data?: { town?: { id: string; name: string } }; errors?: { extensions: { code: string } }[] }>;
  };

  beforeAll(async () => {
    db = await createTestDatabase();
    const port = await freePort();
    env = {
      NATS_URL: TEST_NATS_URL,
      GT_NAMESPACE: namespace,
      DATABASE_URL: db.url,
      GATEWAY_PORT: String(port),
      GATEWAY_URL: `http://127.0.0.1:${port}/graphql`,
    };
    bus = await connectBus({ servers: TEST_NATS_URL, namespace, name: 'gt-e2e' });
    services = await Promise.all([
      startService('convoy', { env, readyText: 'convoy service ready' }),
      startService('gateway', { env, readyText: 'gateway ready' }),
    ]);
  });

  afterAll(async () => {
    await Promise.all(services.map((s) => s.stop()));
    await deleteTopology(bus);
    await bus.close();
    await db.drop();
  });

  it('given a name, when `gt town create --json` runs, then it prints an id and a token the API accepts at once', async () => {
    const run = await gt(['town', 'create', 'acme', 'works', '--json']);
    expect(run).toMatchObject({ code: 0, stderr: '' });
    const created = JSON.parse(run.stdout) as { townId: string; token: string };
    expect(created.token).toMatch(/^gt_[A-Za-z0-9_-]{43}$/);
    const answer = await graphql(created.token, '{ town { id name } }');
    expect(answer.data?.town).toEqual({ id: created.townId, name: 'acme works' });
  });

  it('given the human form, when a town is created, then the token is shown with a warning to keep it', async () => {
    const run = await gt(['town', 'create', 'beta']);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/town "beta" created: [0-9a-f-]{36}/);
    expect(run.stdout).toMatch(/token \(shown once, keep it secret\): gt_/);
  });

  it('given no name, when run, then it prints the usage and exits with 2', async () => {
    const run = await gt(['town', 'create']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/usage: gt town create <name>/);
  });

  it('given an unknown command, when run, then it exits with 2 and shows what exists', async () => {
    const run = await gt(['convoy', 'explode', '--json']);
    expect(run.code).toBe(2);
    expect(JSON.parse(run.stderr).error).toMatch(/unknown command "convoy explode"/);
  });

  it('given no convoy service on the namespace, when a town is created, then it fails with 1 and says why', async () => {
    const run = await gt(['town', 'create', 'nobody-home'], { GT_NAMESPACE: testNamespace() });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/no convoy service is listening/);
  });

  it('given a wrong token, when the API is asked, then it is UNAUTHENTICATED', async () => {
    const answer = await graphql('gt_not-a-real-token', '{ town { id } }');
    expect(answer.errors?.[0].extensions.code).toBe('UNAUTHENTICATED');
  });
});
