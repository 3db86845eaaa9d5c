import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AgentSummary, BeadDetail, ConvoyChange, ConvoyDetail, RigSummary, WebhookDelivery } from '@gastown/gateway-client';
import { SystemHarness } from '@gastown/system-testing';
import { eventually } from '@gastown/testing';
import { gt, gtOnTerminal, jsonOf, startGt } from '../gt-process.fixture';

const ESC = '\x1b';

/**
 * The whole system — convoy service, gateway, dispatcher, git-runner — driven only through
 * `gt`, from a new town to a convoy landed on a bare origin, watched live across a gateway restart.
 */
describe('gt drives a convoy until it lands', () => {
  let system: SystemHarness;
  let env: Record<string, string>;
  const files = mkdtempSync(join(tmpdir(), 'gt-watch-'));

  /** A webhook receiver that accepts everything and remembers what it was sent. */
  const receiver = {
    url: '',
    received: [] as { path: string; event: string }[],
    server: createServer((request, response) => {
      receiver.received.push({ path: request.url ?? '', event: String(request.headers['x-gastown-event']) });
      request.resume();
      response.writeHead(204).end();
    }),
  };

  beforeAll(async () => {
    await new Promise<void>((resolve) => receiver.server.listen(0, '127.0.0.1', resolve));
    receiver.url = `http://127.0.0.1:${(receiver.server.address() as AddressInfo).port}`;
    system = await SystemHarness.start();
    env = { ...system.env, GATEWAY_URL: system.url, GT_TOKEN: '' };
    const town = await gt(['town', 'create', 'watchers', '--json'], env);
    expect(town.code).toBe(0);
    env['GT_TOKEN'] = jsonOf<{ token: string }>(town).token;
  });

  afterAll(async () => {
    await system?.close();
    await new Promise((resolve) => receiver.server.close(resolve));
    rmSync(files, { recursive: true, force: true });
  });

  it('given a YAML plan, when slung staged and started, then `convoy status --watch --json-lines` follows every change through a gateway restart, exits 0 on LANDED and the webhook log shows the delivery', async () => {
    const origin = system.origin();
    const rig = await gt(['rig', 'add', 'web', '--url', origin.bare, '--max-polecats', '2', '--agent', 'demo', '--json'], env);
    expect(rig.code).toBe(0);
    expect(jsonOf<RigSummary>(rig).config.agent.kind).toBe('DEMO');

    const hook = await gt(['webhook', 'add', `${receiver.url}/landed`, '--events', 'landed', '--json'], env);
    expect(hook.code).toBe(0);

    const plan = join(files, 'plan.yaml');
    writeFileSync(
      plan,
      ['title: Login page', 'rig: web', 'staged: true', 'tasks:', '  - title: Schema', '  - title: API', '    depends_on: [Schema]', '  - title: UI', '    depends_on: [Schema]', ''].join('\n'),
    );
    const slung = await gt(['sling-batch', '--file', plan, '--json'], env);
    expect(slung.code).toBe(0);
    const convoy = jsonOf<ConvoyDetail>(slung);
    expect(convoy.status).toBe('STAGED');

    const watch = startGt(['convoy', 'status', convoy.id, '--watch', '--json-lines'], env);
    const changes = () =>
      watch
        .stdout()
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as ConvoyChange);
    await eventually('the watcher to print the current state', async () => changes().length > 0, { timeoutMs: 30_000 });
    expect(changes()[0].convoy.status).toBe('STAGED');

    // While the convoy waits, the gateway goes away and comes back on the same port.
    await system.kill('gateway-1');
    await eventually('the watcher to notice', async () => /reconnecting/.test(watch.stderr()), { timeoutMs: 30_000 });
    await system.startProcess('gateway');

    const started = await gt(['convoy', 'start', convoy.id], env);
    expect(started.code).toBe(0);
    expect(started.stdout).toMatch(/started: ACTIVE/);

    const run = await watch.done;
    expect(run.code).toBe(0);
    const seen = changes();
    const last = seen[seen.length - 1];
    expect(last.convoy).toMatchObject({ status: 'LANDED', progress: { total: 3, closed: 3 } });
    const sequences = seen.slice(1).map((c) => c.sequence);
    expect(sequences).toEqual([...sequences].sort((a, b) => a - b));
    expect(new Set(sequences).size).toBe(sequences.length);
    const types = seen.flatMap((c) => c.events.map((e) => e.type));
    expect(types).toContain('ConvoyStarted');
    expect(types.filter((t) => t === 'BeadMerged')).toHaveLength(3);

    const status = jsonOf<ConvoyDetail>(await gt(['convoy', 'status', convoy.id, '--json'], env));
    expect(origin.isAncestor(status.landedCommit as string, 'origin/main')).toBe(true);

    // The same watch on a landed convoy answers at once, for scripts that start late.
    const late = await gt(['convoy', 'status', convoy.id, '--watch'], env);
    expect(late.code).toBe(0);
    expect(late.stdout).toMatch(/convoy landed at [0-9a-f]{7,}/);

    // On a terminal the watch draws the coloured bar in place instead of printing lines.
    const onTerminal = await gtOnTerminal(['convoy', 'status', convoy.id, '--watch'], env);
    expect(onTerminal.code).toBe(0);
    expect(onTerminal.stdout).toContain(`${ESC}[2K`);
    expect(onTerminal.stdout).toMatch(new RegExp(`${ESC}\\[32m█+${ESC}\\[0m\\] LANDED`));
    expect(onTerminal.stdout).toContain('3/3 closed');

    // The landing was announced to the webhook, and the delivery log says so.
    const delivered = await eventually(
      'the landing to be delivered',
      async () => {
        const log = jsonOf<{ deliveries: WebhookDelivery[] }>(await gt(['webhook', 'deliveries', '--convoy', convoy.id, '--json'], env));
        return log.deliveries.find((d) => d.status === 'DELIVERED');
      },
      { timeoutMs: 30_000, intervalMs: 500 },
    );
    expect(delivered).toMatchObject({ event: 'CONVOY_LANDED', attempts: [expect.objectContaining({ statusCode: 204 })] });
    expect(receiver.received).toContainEqual(expect.objectContaining({ event: 'convoy.landed', path: '/landed' }));

    const bead = jsonOf<BeadDetail>(await gt(['bead', 'show', status.beads[0].id, '--json'], env));
    expect(bead.attempts[0]).toMatchObject({ number: 1, outcome: 'MERGED' });
    const agents = jsonOf<{ agents: AgentSummary[] }>(await gt(['agents', '--rig', 'web', '--json'], env)).agents;
    expect(agents.length).toBeGreaterThanOrEqual(1);
    expect(agents.reduce((sum, a) => sum + a.attemptsTotal, 0)).toBeGreaterThanOrEqual(3);
  });

  it('given a watched convoy, when it is closed, then the watcher exits 1 and --json prints the final convoy', async () => {
    const origin = system.origin();
    await gt(['rig', 'add', 'closing', '--url', origin.bare], env);
    const convoy = jsonOf<ConvoyDetail>(await gt(['sling', 'Never mind', '--rig', 'closing', '--staged', '--json'], env));
    const watch = startGt(['convoy', 'status', convoy.id, '--watch', '--json'], env);
    // Whether the close lands before the watcher reads the convoy or after it subscribes, the watcher must end with 1.
    const closed = await gt(['convoy', 'close', convoy.id, '--reason', 'changed my mind'], env);
    expect(closed.code).toBe(0);
    const run = await watch.done;
    expect(run.code).toBe(1);
    expect(jsonOf<ConvoyDetail>(run)).toMatchObject({ id: convoy.id, status: 'CANCELLED', cancelReason: 'changed my mind' });
  });
});
