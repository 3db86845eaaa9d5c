import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { connectBus, deleteTopology, ensureTopology, EventStore, type Bus } from '@gastown/bus';
import { createTestDatabase, TEST_NATS_URL, testNamespace, type TestDatabase } from '@gastown/testing';
import type { DataSource } from 'typeorm';
import { createReadModelDataSource, initializeReadModelDataSource } from '../read-models/read-models.datasource';
import { FixtureClock, FixtureWriter, snapshotReadModels, TownFixture, type ConvoyFixture, type FixtureCommit } from './projection.fixtures';
import { rebuildReadModels } from './projection.rebuild';
import { ProjectionRunner } from './projection.runner';
import { ReadModelWaiter } from './read-model.waiter';

const ROOT = resolve(__dirname, '../../../..');
const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };

const FAILED_AGENT = { exitCode: 1, signal: null, timedOut: false, durationMs: 950, outputTail: 'npm test\n2 failing\n' };

/** A convoy's whole life: a DAG, every bead through review, a rework, a failed attempt, then landing. */
function convoyLife(convoy: ConvoyFixture, beads: number): FixtureCommit[] {
  const tasks = Array.from({ length: beads }, (_, i) => ({ dependsOn: i === 0 ? [] : i < 3 ? [0] : [i - 1, i - 2] }));
  const commits = [convoy.created(tasks)];
  for (let i = 0; i < beads; i++) {
    if (i === 2) commits.push(convoy.dispatched(i), convoy.attemptFailed(i, 1, 'agent exited with code 1', FAILED_AGENT));
    const first = i === 2 ? 2 : 1;
    commits.push(convoy.dispatched(i, first), convoy.submitted(i, first, { ...FAILED_AGENT, exitCode: 0 }));
    if (i === 1) {
      commits.push(convoy.reworkRequested(i, 'missing tests'), convoy.dispatched(i, 2, 'missing tests'), convoy.submitted(i, 2));
    }
    const unblocked = [i + 1, i + 2].filter((d) => d < beads && (d < 3 ? i === 0 : d - 1 === i));
    commits.push(convoy.merged(i, unblocked, i === 1 || i === 2 ? 2 : 1));
  }
  commits.push(convoy.landed());
  return commits;
}

describe('rebuildReadModels', () => {
  let db: TestDatabase;
  let ds: DataSource;
  let bus: Bus;
  let writer: FixtureWriter;
  let waiter: ReadModelWaiter;
  let runner: ProjectionRunner;
  let town: TownFixture;
  const rig = randomUUID();

  beforeAll(async () => {
    db = await createTestDatabase();
    ds = await initializeReadModelDataSource(createReadModelDataSource(db.url));
    await ds.runMigrations();
    bus = await connectBus({ servers: TEST_NATS_URL, namespace: testNamespace(), name: 'rebuild-spec', logger: quiet });
    await ensureTopology(bus);
    writer = new FixtureWriter(new EventStore(bus), bus);
    waiter = new ReadModelWaiter(db.url);
    await waiter.start();
    runner = new ProjectionRunner(ds, bus, { logger: quiet });
    await runner.start();
    town = new TownFixture(bus.names.namespace, new FixtureClock());
  });

  afterAll(async () => {
    await runner.stop();
    await waiter.close();
    await deleteTopology(bus);
    await bus.close();
    await ds.destroy();
    await db.drop();
  });

  async function appendAll(commits: FixtureCommit[]): Promise<void> {
    await writer.appendAll(commits);
  }

  async function waitForAll(subjects: string[]): Promise<void> {
    for (const subject of subjects) await waiter.waitFor(subject, writer.lastSeq(subject), 30_000);
  }

  it('given convoys projected live, when the read models are rebuilt, then every table is identical', async () => {
    const [kept, removed] = [randomUUID(), randomUUID()];
    await appendAll([
      town.created(),
      town.rigRegistered(rig, 'alpha'),
      town.webhookAdded(kept, 'https://hooks.example.com/kept'),
      town.webhookAdded(removed, 'https://hooks.example.com/removed'),
      town.webhookRemoved(removed),
    ]);
    const convoys = Array.from({ length: 4 }, () => town.convoy({ defaultRigId: rig }));
    const lives = convoys.map((c) => convoyLife(c, 12));
    for (let step = 0; step < Math.max(...lives.map((l) => l.length)); step++) {
      for (const life of lives) if (life[step]) await writer.append(life[step]);
    }
    const failing = town.convoy({ defaultRigId: rig });
    await appendAll([
      failing.created([{}, { dependsOn: [0] }, { dependsOn: [1] }]),
      failing.dispatched(0),
      failing.failed(0, [
        { index: 1, by: [0] },
        { index: 2, by: [0] },
      ]),
      failing.cancelled('abandoned', [1, 2]),
    ]);
    await waitForAll([town.subject, failing.subject, ...convoys.map((c) => c.subject)]);
    const live = await snapshotReadModels(ds);
    expect(live['beads']).toHaveLength(4 * 12 + 3);
    expect(live['webhooks']).toHaveLength(2);
    expect(live['webhooks']).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ id: kept, removed_at: null }),
        expect.objectContaining({ id: removed, removed_at: expect.any(Date) }),
      ]),
    );
    expect(live['bead_attempts']).toHaveLength(4 * 14 + 1);
    expect(live['bead_attempts']).toContainEqual(
      expect.objectContaining({ number: 1, outcome: 'FAILED', exit_code: 1, output_tail: 'npm test\n2 failing\n' }),
    );

    const report = await rebuildReadModels(ds, bus);

    expect(await snapshotReadModels(ds)).toEqual(live);
    const commits = 5 + lives.reduce((n, l) => n + l.length, 0) + 4;
    expect(report).toMatchObject({ subjects: 6, commits, holds: [] });
    expect(report.events).toBeGreaterThan(commits);
    console.info(
      `rebuild: ${report.subjects} subjects, ${report.commits} commits, ${report.events} events, ` +
        `${report.transactions} transactions in ${report.seconds.toFixed(3)} s`,
    );
  });

  it('given a rebuild while the live projector keeps projecting new commits, then both meet at the same rows', async () => {
    const convoys = Array.from({ length: 3 }, () => town.convoy({ defaultRigId: rig }));
    const lives = convoys.map((c) => convoyLife(c, 8));
    const appending = (async () => {
      for (let step = 0; step < lives[0].length; step++) for (const life of lives) await writer.append(life[step]);
    })();
    await rebuildReadModels(ds, bus);
    await appending;
    await waitForAll(convoys.map((c) => c.subject));
    const converged = await snapshotReadModels(ds);

    await runner.stop();
    await rebuildReadModels(ds, bus);
    expect(await snapshotReadModels(ds)).toEqual(converged);
    await runner.start();
  });

  it('given a 10,000-bead convoy in one commit, then it is projected with all its beads and edges', async () => {
    const convoy = town.convoy({ defaultRigId: rig });
    const tasks = Array.from({ length: 10_000 }, (_, i) => ({ dependsOn: i === 0 ? [] : [i - 1] }));
    const commit = convoy.created(tasks, { bodyBytes: 200 });
    const started = Date.now();
    const seq = await writer.append(commit);
    await waiter.waitFor(convoy.subject, seq, 60_000);
    const ms = Date.now() - started;
    console.info(`10,000-bead convoy: appended and projected in ${ms} ms`);

    const [counts] = await ds.query(
      `SELECT (SELECT count(*)::int FROM beads WHERE convoy_id = $1) AS beads,
              (SELECT count(*)::int FROM bead_dependencies WHERE convoy_id = $1) AS edges,
              (SELECT count(*)::int FROM beads WHERE convoy_id = $1 AND ready) AS ready,
              (SELECT bead_count FROM convoys WHERE id = $1) AS bead_count`,
      [convoy.convoyId],
    );
    expect(counts).toEqual({ beads: 10_000, edges: 9_999, ready: 1, bead_count: 10_000 });
  });

  it('given the rebuild script, then it rebuilds the namespace and prints what it did', async () => {
    const live = await snapshotReadModels(ds);
    await runner.stop();
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['-r', '@swc-node/register', join(ROOT, 'services/gateway/src/projection/rebuild.main.ts')],
      {
        cwd: ROOT,
        env: {
          ...process.env,
          DATABASE_URL: db.url,
          NATS_URL: TEST_NATS_URL,
          GT_NAMESPACE: bus.names.namespace,
          SWC_NODE_PROJECT: join(ROOT, 'tsconfig.base.json'),
        },
        timeout: 120_000,
      },
    );
    expect(stdout).toMatch(
      new RegExp(`rebuilt the read models of namespace "${bus.names.namespace}" up to stream seq \\d+: 10 subjects, \\d+ commits, \\d+ events in \\d+ transactions, [\\d.]+ s`),
    );
    expect(await snapshotReadModels(ds)).toEqual(live);
    await runner.start();
  });
});
