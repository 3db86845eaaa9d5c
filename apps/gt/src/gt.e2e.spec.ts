import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Bus, connectBus, deleteTopology, serveCommands, type CommandServer } from '@gastown/bus';
import type { ConvoyDetail, RigSummary, WebhookSummary } from '@gastown/gateway-client';
import {
  createTestDatabase,
  freePort,
  startService,
  TEST_NATS_URL,
  testNamespace,
  type ServiceProcess,
  type TestDatabase,
} from '@gastown/testing';
import { errorOf, gt, jsonOf } from './gt-process.fixture';

/** The CLI against the convoy service and the gateway: everything short of running agents. */
describe('gt CLI against the running system', () => {
  const namespace = testNamespace();
  const files = mkdtempSync(join(tmpdir(), 'gt-cli-'));
  let db: TestDatabase;
  let bus: Bus;
  let services: ServiceProcess[] = [];
  let env: Record<string, string>;
  let rig: RigSummary;
  let probes: CommandServer;

  const file = (name: string, text: string) => {
    const path = join(files, name);
    writeFileSync(path, text);
    return path;
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
      GT_TOKEN: '',
      // A single-tenant install with one operator profile: town commands and profiles both reach a rig.
      GASTOWN_ALLOW_TOWN_AGENT_COMMANDS: 'true',
      GASTOWN_AGENT_PROFILES_JSON: JSON.stringify({ claude: { command: ['claude', '-p'], stdin: 'prompt' } }),
      // The webhook commands register a loopback receiver, which the gateway refuses unless allowed.
      GASTOWN_EGRESS_ALLOW: '127.0.0.1:9',
    };
    bus = await connectBus({ servers: TEST_NATS_URL, namespace, name: 'gt-e2e' });
    // Plays the git-runners' check of a rig's remote, which accepts every one here: no runner runs in this suite.
    probes = serveCommands(bus, bus.names.rigProbe, 'git-runner', () => Promise.resolve({ ok: true }));
    services = await Promise.all([
      startService('convoy', { env, readyText: 'convoy service ready' }),
      startService('gateway', { env, readyText: 'gateway ready' }),
    ]);
    const town = jsonOf<{ token: string }>(await gt(['town', 'create', 'cli', '--json'], env));
    env['GT_TOKEN'] = town.token;
    rig = jsonOf<RigSummary>(await gt(['rig', 'add', 'web', '--url', join(files, 'web.git'), '--max-polecats', '2', '--json'], env));
  });

  afterAll(async () => {
    await Promise.all(services.map((s) => s.stop()));
    await probes.stop();
    await deleteTopology(bus);
    await bus.close();
    await db.drop();
    rmSync(files, { recursive: true, force: true });
  });

  describe('town create', () => {
    it('given a name, when `gt town create --json` runs, then it prints an id and a token that gt accepts at once', async () => {
      const run = await gt(['town', 'create', 'acme', 'works', '--json'], env);
      expect(run).toMatchObject({ code: 0, stderr: '' });
      const created = jsonOf<{ townId: string; token: string }>(run);
      expect(created.token).toMatch(/^gt_[A-Za-z0-9_-]{43}$/);
      const rigs = await gt(['rig', 'list', '--json'], { ...env, GT_TOKEN: created.token });
      expect(rigs.code).toBe(0);
      expect(jsonOf<{ rigs: unknown[] }>(rigs).rigs).toEqual([]);
    });

    it('given the human form, when a town is created, then the token is shown with a warning to keep it', async () => {
      const run = await gt(['town', 'create', 'beta'], env);
      expect(run.code).toBe(0);
      expect(run.stdout).toMatch(/town "beta" created: [0-9a-f-]{36}/);
      expect(run.stdout).toMatch(/token \(shown once, keep it secret\): gt_/);
    });

    it('given no name, when run, then it prints the usage and exits with 2', async () => {
      const run = await gt(['town', 'create'], env);
      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(/usage: gt town create <name>/);
    });

    it('given no convoy service on the namespace, when a town is created, then it fails with 1 and says why', async () => {
      const run = await gt(['town', 'create', 'nobody-home'], { ...env, GT_NAMESPACE: testNamespace() });
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(/no convoy service is listening/);
    });
  });

  describe('rigs', () => {
    it('given a registered rig, when `gt rig list --json` runs, then the JSON holds it with its config', async () => {
      const run = await gt(['rig', 'list', '--json'], env);
      expect(run.code).toBe(0);
      expect(jsonOf<{ rigs: RigSummary[] }>(run).rigs).toEqual([
        expect.objectContaining({ id: rig.id, name: 'web', defaultBranch: 'main', config: expect.objectContaining({ maxPolecats: 2 }) }),
      ]);
    });

    it('given an agent command and checks, when a rig is added, then the argv arrays reach the rig unchanged', async () => {
      const run = await gt(
        ['rig', 'add', 'api', '--url', '/srv/api.git', '--agent-command', '["my agent","--prompt","{prompt}"]', '--check', 'test=["npm","test","--","a b"]', '--json'],
        env,
      );
      expect(run.code).toBe(0);
      expect(jsonOf<RigSummary>(run).config).toMatchObject({
        agent: { kind: 'COMMAND', command: ['my agent', '--prompt', '{prompt}'] },
        checks: [{ name: 'test', command: ['npm', 'test', '--', 'a b'] }],
      });
    });

    it('given --agent-profile, when a rig is added, then the rig names the operator profile and the list shows it', async () => {
      const run = await gt(['rig', 'add', 'docs', '--url', '/srv/docs.git', '--agent-profile', 'claude', '--json'], env);
      expect(run.code).toBe(0);
      expect(jsonOf<RigSummary>(run).config.agent).toEqual({ kind: 'PROFILE', profile: 'claude', command: null });
      expect((await gt(['rig', 'list'], env)).stdout).toMatch(/docs .* profile claude/);
    });

    it('given a check written as a shell string, when a rig is added, then it exits with 2 before sending anything', async () => {
      const run = await gt(['rig', 'add', 'shell', '--url', '/srv/x.git', '--check', 'test=npm test'], env);
      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(/--check test must be a JSON array of strings/);
      expect(jsonOf<{ rigs: RigSummary[] }>(await gt(['rig', 'list', '--json'], env)).rigs.map((r) => r.name)).not.toContain('shell');
    });

    it('given a token in an environment variable, when a rig is added with --token-env, rotated and cleared, then the rig shows only what kind of credential it has, never the token', async () => {
      const token = `tok-${randomUUID()}`;
      const withToken = { ...env, GIT_TOKEN: token };
      const added = await gt(['rig', 'add', 'private', '--url', 'https://git.example.com/private.git', '--token-env', 'GIT_TOKEN', '--token-user', 'deploy-bot', '--json'], withToken);
      expect(added.code).toBe(0);
      expect(added.stdout + added.stderr).not.toContain(token);
      expect(jsonOf<RigSummary>(added).credentials).toMatchObject({ kind: 'HTTPS_TOKEN', username: 'deploy-bot', fingerprint: null });

      const listed = await gt(['rig', 'list'], withToken);
      expect(listed.stdout).toMatch(/private .* token as deploy-bot/);
      expect(listed.stdout).not.toContain(token);

      const rotated = await gt(['rig', 'credentials', 'private', '--token-env', 'GIT_TOKEN'], { ...env, GIT_TOKEN: `${token}-2` });
      expect(rotated).toMatchObject({ code: 0, stdout: expect.stringMatching(/^rig "private" credentials: token as x-access-token, set /) });

      const cleared = await gt(['rig', 'credentials', 'private', '--clear', '--json'], env);
      expect(cleared.code).toBe(0);
      expect(jsonOf<RigSummary>(cleared).credentials).toBeNull();
    });

    it('given --token-env naming an unset variable, when a rig is added, then it exits with 2 naming the variable and registers nothing', async () => {
      const run = await gt(['rig', 'add', 'untold', '--url', 'https://git.example.com/untold.git', '--token-env', 'NO_SUCH_TOKEN'], env);
      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(/--token-env NO_SUCH_TOKEN: the variable NO_SUCH_TOKEN is not set or empty/);
      expect(jsonOf<{ rigs: RigSummary[] }>(await gt(['rig', 'list', '--json'], env)).rigs.map((r) => r.name)).not.toContain('untold');
    });
  });

  describe('sling-batch plan files', () => {
    const diamond = [
      'title: Login page',
      'rig: web',
      'staged: true',
      'tasks:',
      '  - title: Schema',
      '  - title: API',
      '    depends_on: [Schema]',
      '  - title: UI',
      '    depends_on: [0]',
      '  - title: E2E tests',
      '    depends_on: [API, UI]',
      '',
    ].join('\n');

    it('given --dry-run, when a plan is checked, then it prints the waves and creates nothing', async () => {
      const before = jsonOf<{ totalCount: number }>(await gt(['convoy', 'list', '--json'], env)).totalCount;
      const run = await gt(['sling-batch', '--file', file('dry.yaml', diamond), '--dry-run'], env);
      expect(run.code).toBe(0);
      expect(run.stdout).toContain('3 waves:');
      expect(run.stdout).toContain('  2. [1] API, [2] UI');
      expect(jsonOf<{ totalCount: number }>(await gt(['convoy', 'list', '--json'], env)).totalCount).toBe(before);
    });

    it('given a YAML plan, when slung, then the convoy has the plan with dependencies by title resolved', async () => {
      const run = await gt(['sling-batch', '--file', file('diamond.yaml', diamond), '--json'], env);
      expect(run.code).toBe(0);
      const convoy = jsonOf<ConvoyDetail>(run);
      expect(convoy).toMatchObject({ title: 'Login page', status: 'STAGED', progress: { total: 4 } });
      const ids = [...convoy.beads].sort((a, b) => a.index - b.index).map((b) => b.id);
      expect(convoy.waves).toEqual([[ids[0]], [ids[1], ids[2]], [ids[3]]]);
    });

    it('given a JSON plan on stdin, when slung with --file -, then it is read like a file', async () => {
      const plan = JSON.stringify({ title: 'From stdin', rig: rig.id, staged: true, tasks: [{ title: 'only one' }] });
      const run = await gt(['sling-batch', '--file', '-', '--json'], env, plan);
      expect(run.code).toBe(0);
      expect(jsonOf<ConvoyDetail>(run)).toMatchObject({ title: 'From stdin', progress: { total: 1 } });
    });

    it.each([
      ['a task without a title', 'title: t\nrig: web\ntasks:\n  - title: A\n  - body: untitled\n    depends_on: [0]\n', /tasks\[1\]\.title is required/],
      ['an unknown field', 'title: t\nrig: web\ntasks:\n  - title: A\n    dependson: [1]\n', /tasks\[0\]: unknown field "dependson"/],
      ['a bad merge mode', 'title: t\nrig: web\nmerge_mode: squash\ntasks:\n  - title: A\n', /merge_mode must be review_then_land or review_and_merge/],
      ['an unknown rig', 'title: t\nrig: wbe\ntasks:\n  - title: A\n', /unknown rig "wbe" \(rigs of this town: (?:[a-z]+, )*web\)/],
      ['a missing dependency', 'title: t\nrig: web\ntasks:\n  - title: A\n  - title: B\n    depends_on: [Shema]\n', /tasks\[1\] "B" depends_on\[0\]: no task has the title or id "Shema"/],
      ['a cycle', 'title: t\nrig: web\ntasks:\n  - title: A\n    depends_on: [B]\n  - title: B\n    depends_on: [A]\n', /tasks 0 → 1 → 0 form a cycle: "A" depends on "B"/],
      ['a YAML syntax error', 'title: t\nrig: [web\ntasks:\n  - title: A\n', /at line \d+, column \d+/],
    ])('given %s, when slung, then it exits with 2, names the problem and creates nothing', async (_, text, message) => {
      const path = file(`bad-${randomUUID()}.yaml`, text);
      const before = jsonOf<{ totalCount: number }>(await gt(['convoy', 'list', '--json'], env)).totalCount;
      const run = await gt(['sling-batch', '--file', path, '--json'], env);
      expect(run.code).toBe(2);
      const error = errorOf(run);
      expect(error.code).toBe('INVALID_PLAN');
      expect(error.message).toMatch(message);
      expect(error.message.startsWith(path)).toBe(true);
      expect(jsonOf<{ totalCount: number }>(await gt(['convoy', 'list', '--json'], env)).totalCount).toBe(before);
    });

    it('given a plan file that does not exist, when slung, then it exits with 2 naming the file', async () => {
      const run = await gt(['sling-batch', '--file', join(files, 'nope.yaml')], env);
      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(/--file .*nope\.yaml: cannot read it \(ENOENT\)/);
    });
  });

  describe('convoys', () => {
    let convoy: ConvoyDetail;

    beforeAll(async () => {
      convoy = jsonOf<ConvoyDetail>(await gt(['sling', 'Fix', 'the', 'login', '--rig', 'web', '--body', 'It 500s.', '--staged', '--json'], env));
    });

    it('given a slung bead, when `gt convoy list --json` runs, then the JSON page holds it', async () => {
      const run = await gt(['convoy', 'list', '--status', 'staged', '--rig', 'web', '--limit', '100', '--json'], env);
      expect(run.code).toBe(0);
      const page = jsonOf<{ convoys: { id: string; title: string }[]; totalCount: number }>(run);
      expect(page.convoys).toContainEqual(expect.objectContaining({ id: convoy.id, title: 'Fix the login' }));
    });

    it('given a convoy, when `gt convoy status --json` runs, then the JSON is the convoy with its beads', async () => {
      const run = await gt(['convoy', 'status', convoy.id, '--json'], env);
      expect(run.code).toBe(0);
      expect(jsonOf<ConvoyDetail>(run)).toMatchObject({ id: convoy.id, status: 'STAGED', beads: [{ title: 'Fix the login' }] });
    });

    it('given a convoy, when shown to a person, then the bead table lists it', async () => {
      const run = await gt(['convoy', 'status', convoy.id], env);
      expect(run.code).toBe(0);
      expect(run.stdout).toContain('convoy "Fix the login"');
      expect(run.stdout).toMatch(/^0\s+OPEN\s+-\s+0\s+\S+\s+Fix the login/m);
    });

    it('given a staged convoy, when closed with a reason, then it is CANCELLED with that reason', async () => {
      const other = jsonOf<ConvoyDetail>(await gt(['sling', 'Throwaway', '--rig', 'web', '--staged', '--json'], env));
      const run = await gt(['convoy', 'close', other.id, '--reason', 'not needed', '--json'], env);
      expect(run.code).toBe(0);
      expect(jsonOf<ConvoyDetail>(run)).toMatchObject({ status: 'CANCELLED', cancelReason: 'not needed' });
    });

    it('given an unknown convoy id, when its status is asked, then it exits with 5 and a NOT_FOUND error', async () => {
      const run = await gt(['convoy', 'status', randomUUID(), '--json'], env);
      expect(run.code).toBe(5);
      expect(errorOf(run).code).toBe('NOT_FOUND');
    });

    it('given a convoy whose landing did not fail, when `gt convoy land` runs, then it exits with 1 and the CONFLICT says why', async () => {
      const run = await gt(['convoy', 'land', convoy.id, '--json'], env);
      expect(run.code).toBe(1);
      expect(errorOf(run)).toMatchObject({ code: 'CONFLICT', message: expect.stringMatching(/landing FAILED.*it is STAGED/) });
      const human = await gt(['convoy', 'land', convoy.id], env);
      expect(human.code).toBe(1);
      expect(human.stderr).toMatch(/it is STAGED/);
    });

    it('given an unknown convoy id, when `gt convoy land` runs, then it exits with 5 and a NOT_FOUND error', async () => {
      const run = await gt(['convoy', 'land', randomUUID(), '--json'], env);
      expect(run.code).toBe(5);
      expect(errorOf(run).code).toBe('NOT_FOUND');
    });

    it('given a bad --merge-mode, when slinging, then it exits with 2 listing the modes', async () => {
      const run = await gt(['sling', 'x', '--rig', 'web', '--merge-mode', 'squash'], env);
      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(/--merge-mode must be one of review_then_land, review_and_merge/);
    });
  });

  describe('exit codes', () => {
    it('given an unknown command, when run, then it exits with 2 and shows what exists', async () => {
      const run = await gt(['convoy', 'explode', '--json'], env);
      expect(run.code).toBe(2);
      expect(errorOf(run)).toMatchObject({ code: 'USAGE', message: expect.stringMatching(/unknown command "convoy explode"/) });
    });

    it('given an unknown flag, when run, then it exits with 2 and names the flag', async () => {
      const run = await gt(['convoy', 'list', '--colour'], env);
      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(/Unknown option '--colour'/);
    });

    it('given no GT_TOKEN, when a command needs the gateway, then it exits with 2 naming GT_TOKEN', async () => {
      const run = await gt(['rig', 'list'], { ...env, GT_TOKEN: '' });
      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(/GT_TOKEN is not set/);
    });

    it('given a wrong token, when a command runs, then it exits with 4 (UNAUTHENTICATED)', async () => {
      const run = await gt(['rig', 'list', '--json'], { ...env, GT_TOKEN: 'gt_not-a-real-token-at-all-not-at-all-no-no' });
      expect(run.code).toBe(4);
      expect(errorOf(run).code).toBe('UNAUTHENTICATED');
      expect(run.stderr).not.toContain('gt_not-a-real-token');
    });

    it('given a gateway URL where nothing listens, when a command runs, then it exits with 3', async () => {
      const run = await gt(['convoy', 'list'], { ...env, GATEWAY_URL: `http://127.0.0.1:${await freePort()}/graphql` });
      expect(run.code).toBe(3);
      expect(run.stderr).toMatch(/did not answer: ECONNREFUSED/);
    });

    it('given gt help, when run, then it documents the exit codes and exits with 0', async () => {
      const run = await gt(['help'], env);
      expect(run.code).toBe(0);
      expect(run.stdout).toMatch(/^ {2}4 {2}UNAUTHENTICATED/m);
    });
  });

  describe('webhooks', () => {
    it('given a URL, when added, then the secret is printed once and the webhook is listed without it', async () => {
      const added = await gt(['webhook', 'add', 'http://127.0.0.1:9/hook', '--events', 'landed,failed', '--json'], env);
      expect(added.code).toBe(0);
      const created = jsonOf<{ webhook: WebhookSummary; secret: string }>(added);
      expect(created.secret.length).toBeGreaterThanOrEqual(32);
      expect(created.webhook.events).toEqual(['CONVOY_LANDED', 'CONVOY_FAILED']);

      const listed = await gt(['webhook', 'list', '--json'], env);
      expect(listed.code).toBe(0);
      expect(jsonOf<{ webhooks: WebhookSummary[] }>(listed).webhooks).toContainEqual(expect.objectContaining({ id: created.webhook.id }));
      expect(listed.stdout).not.toContain(created.secret);

      const human = await gt(['webhook', 'list'], env);
      expect(human.stdout).toContain('http://127.0.0.1:9/hook');

      const removed = await gt(['webhook', 'rm', created.webhook.id], env);
      expect(removed.code).toBe(0);
      expect(jsonOf<{ webhooks: WebhookSummary[] }>(await gt(['webhook', 'list', '--json'], env)).webhooks).toEqual([]);
    });

    it('given an unknown event name, when adding a webhook, then it exits with 2', async () => {
      const run = await gt(['webhook', 'add', 'http://127.0.0.1:9/hook', '--events', 'merged'], env);
      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(/unknown event "merged"/);
    });
  });
});
