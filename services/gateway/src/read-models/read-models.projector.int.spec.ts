import { randomUUID } from 'node:crypto';
import { connectBus, deleteTopology, ensureTopology, EventStore, type Bus, type StoredCommit } from '@gastown/bus';
import type { GastownEvent } from '@gastown/contracts';
import { foldConvoy } from '@gastown/convoy-view';
import { createTestDatabase, TEST_NATS_URL, testNamespace, type TestDatabase } from '@gastown/testing';
import type { DataSource } from 'typeorm';
import {
  event,
  FixtureClock,
  FixtureWriter,
  sha,
  snapshotReadModels,
  TownFixture,
  type ConvoyFixture,
  type FixtureCommit,
} from '../projection/projection.fixtures';
import { createReadModelDataSource, initializeReadModelDataSource } from './read-models.datasource';
import { applyCommit, type ApplyOutcome } from './read-models.projector';

const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };

describe('applyCommit', () => {
  let db: TestDatabase;
  let ds: DataSource;
  let bus: Bus;
  let store: EventStore;
  let writer: FixtureWriter;
  let town: TownFixture;
  const rigA = randomUUID();
  const rigB = randomUUID();

  beforeAll(async () => {
    db = await createTestDatabase();
    ds = await initializeReadModelDataSource(createReadModelDataSource(db.url));
    await ds.runMigrations();
    bus = await connectBus({ servers: TEST_NATS_URL, namespace: testNamespace(), name: 'projector-spec', logger: quiet });
    await ensureTopology(bus);
    store = new EventStore(bus);
    writer = new FixtureWriter(store, bus);
    town = new TownFixture(bus.names.namespace, new FixtureClock());
    await project(town.created(), town.rigRegistered(rigA, 'alpha'), town.rigRegistered(rigB, 'beta'));
  });

  afterAll(async () => {
    await deleteTopology(bus);
    await bus.close();
    await ds.destroy();
    await db.drop();
  });

  /** Appends the commits, reads them back from the stream and applies each in its own transaction. */
  async function project(...commits: FixtureCommit[]): Promise<ApplyOutcome[]> {
    const outcomes: ApplyOutcome[] = [];
    for (const stored of await appendAndRead(...commits)) outcomes.push(await apply(stored));
    return outcomes;
  }

  async function appendAndRead(...commits: FixtureCommit[]): Promise<StoredCommit[]> {
    const out: StoredCommit[] = [];
    for (const commit of commits) {
      const seq = await writer.append(commit);
      const [stored] = await store.readSubject(commit.subject, { afterSeq: seq - 1 });
      out.push(stored);
    }
    return out;
  }

  function apply(commit: StoredCommit): Promise<ApplyOutcome> {
    return ds.transaction((tx) => applyCommit(tx, commit));
  }

  async function beads(convoy: ConvoyFixture): Promise<Record<string, unknown>[]> {
    return ds.query(
      `SELECT idx, status, ready, blocked, blocked_reason, held_by, assignee, assignee_id, branch, base_branch,
              head_commit, merge_commit, attempts, last_reason, closed_at, updated_at
       FROM beads WHERE convoy_id = $1 ORDER BY idx`,
      [convoy.convoyId],
    );
  }

  async function convoyRow(convoy: ConvoyFixture): Promise<Record<string, unknown>> {
    const [row] = await ds.query(`SELECT * FROM convoys WHERE id = $1`, [convoy.convoyId]);
    return row;
  }

  async function checkpoint(subject: string): Promise<number> {
    const rows = await ds.query(`SELECT last_seq FROM projection_checkpoints WHERE subject = $1`, [subject]);
    return rows.length ? Number(rows[0].last_seq) : 0;
  }

  it('given a town with rigs, then towns and rigs hold them with their event times', async () => {
    const [row] = await ds.query(`SELECT name, created_at FROM towns WHERE id = $1`, [town.townId]);
    expect(row).toEqual({ name: 'fixture town', created_at: new Date(Date.UTC(2026, 0, 1)) });
    const rigs = await ds.query(`SELECT id, name, default_branch FROM rigs WHERE town_id = $1 ORDER BY name`, [town.townId]);
    expect(rigs).toEqual([
      { id: rigA, name: 'alpha', default_branch: 'main' },
      { id: rigB, name: 'beta', default_branch: 'main' },
    ]);
  });

  it('given a diamond DAG, when its beads are dispatched, submitted, merged, failed and retried, then beads, edges and flags follow', async () => {
    const convoy = town.convoy({ defaultRigId: rigA });
    const created = convoy.created([{}, { dependsOn: [0] }, { dependsOn: [0], rigId: rigB }, { dependsOn: [1, 2] }]);
    expect(await project(created)).toEqual(['applied']);

    expect(await convoyRow(convoy)).toMatchObject({ status: 'ACTIVE', rig_ids: [rigA, rigB], bead_count: 4, staged: false });
    const edges = await ds.query(
      `SELECT b.idx AS bead, d.idx AS on FROM bead_dependencies e JOIN beads b ON b.id = e.bead_id
       JOIN beads d ON d.id = e.depends_on_bead_id WHERE e.convoy_id = $1 ORDER BY 1, 2`,
      [convoy.convoyId],
    );
    expect(edges).toEqual([
      { bead: 1, on: 0 },
      { bead: 2, on: 0 },
      { bead: 3, on: 1 },
      { bead: 3, on: 2 },
    ]);
    expect((await beads(convoy)).map((b) => [b.status, b.ready])).toEqual([
      ['OPEN', true],
      ['OPEN', false],
      ['OPEN', false],
      ['OPEN', false],
    ]);

    await project(convoy.dispatched(0));
    expect((await beads(convoy))[0]).toMatchObject({
      status: 'IN_PROGRESS',
      ready: false,
      assignee: 'polecat-0',
      assignee_id: 'agent-0-1',
      attempts: 1,
      base_branch: `convoy/${convoy.convoyId.slice(0, 8)}`,
    });

    await project(convoy.submitted(0));
    expect((await beads(convoy))[0]).toMatchObject({ status: 'IN_REVIEW', head_commit: sha(`head ${convoy.bead(0)} 1`) });

    const merged = convoy.merged(0, [1, 2]);
    await project(merged);
    const afterMerge = await beads(convoy);
    expect(afterMerge[0]).toMatchObject({
      status: 'CLOSED',
      merge_commit: sha(`merge ${convoy.bead(0)}`),
      closed_at: new Date(merged.events[0].occurredAt),
    });
    expect(afterMerge.map((b) => b.ready)).toEqual([false, true, true, false]);

    await project(convoy.dispatched(1), convoy.failed(1, [{ index: 3, by: [1] }]));
    const held = await beads(convoy);
    expect(held[1]).toMatchObject({ status: 'FAILED', ready: false, last_reason: 'tests keep failing' });
    expect(held[3]).toMatchObject({ blocked: true, blocked_reason: 'blocked by failed task 1', held_by: [convoy.bead(1)] });

    const retried = convoy.retried(1, [3]);
    await project(retried);
    const released = await beads(convoy);
    expect(released[1]).toMatchObject({ status: 'OPEN', ready: true });
    expect(released[3]).toMatchObject({ blocked: false, blocked_reason: null, held_by: [] });
    expect((await convoyRow(convoy)).updated_at).toEqual(new Date(retried.events[0].occurredAt));
  });

  it('given the landing, failure, reactivation and cancellation events, then the convoy row follows each', async () => {
    const convoy = town.convoy({ defaultRigId: rigB });
    await project(convoy.created([{ rigId: rigA }, { rigId: rigB }], { staged: true }));
    expect(await convoyRow(convoy)).toMatchObject({ status: 'STAGED', rig_ids: [rigB, rigA], bead_count: 2 });

    await project(
      convoy.started([0, 1]),
      convoy.commit(
        event('DependencyAdded', { beadId: convoy.bead(1), dependsOnBeadId: convoy.bead(0) }),
        event('BeadsBecameUnready', { beadIds: [convoy.bead(1)] }),
      ),
    );
    expect(await convoyRow(convoy)).toMatchObject({ status: 'ACTIVE' });
    expect((await beads(convoy)).map((b) => b.ready)).toEqual([true, false]);
    expect(await ds.query(`SELECT count(*)::int AS n FROM bead_dependencies WHERE convoy_id = $1`, [convoy.convoyId])).toEqual([
      { n: 1 },
    ]);

    await project(convoy.commit(event('DependencyRemoved', { beadId: convoy.bead(1), dependsOnBeadId: convoy.bead(0) })));
    expect(await ds.query(`SELECT count(*)::int AS n FROM bead_dependencies WHERE convoy_id = $1`, [convoy.convoyId])).toEqual([
      { n: 0 },
    ]);

    await project(convoy.dispatched(0), convoy.reworkRequested(0, 'add tests'));
    expect((await beads(convoy))[0]).toMatchObject({ status: 'OPEN', ready: true, last_reason: 'add tests' });
    await project(
      convoy.dispatched(0, 2, 'add tests'),
      convoy.commit(event('BeadAgentLost', { beadId: convoy.bead(0), attempt: 2, agentId: 'agent-0-2', reason: 'heartbeat lost' })),
    );
    expect((await beads(convoy))[0]).toMatchObject({ status: 'OPEN', last_reason: 'heartbeat lost', attempts: 2 });
    await project(
      convoy.dispatched(0, 3),
      convoy.commit(event('BeadAttemptFailed', { beadId: convoy.bead(0), attempt: 3, reason: 'build broke', agentResult: null })),
    );
    expect((await beads(convoy))[0]).toMatchObject({ status: 'OPEN', last_reason: 'build broke', attempts: 3 });

    await project(
      convoy.commit(event('ConvoyReadyToLand', {}), event('ConvoyLandingStarted', { attempt: 1 })),
      convoy.commit(event('RigLanded', { rigId: rigA, commit: sha('a1'), targetBranch: 'main' })),
      convoy.commit(event('ConvoyLandingFailed', { attempt: 1, reason: 'beta diverged', rigId: null })),
    );
    expect(await convoyRow(convoy)).toMatchObject({
      status: 'READY_TO_LAND',
      landing_attempt: 1,
      failure_reason: 'beta diverged',
      landings: [{ rigId: rigA, commit: sha('a1') }],
    });

    await project(convoy.commit(event('ConvoyFailed', { reason: 'landing attempts exhausted', failedBeadIds: [] })));
    expect(await convoyRow(convoy)).toMatchObject({ status: 'FAILED', failure_reason: 'landing attempts exhausted' });
    await project(convoy.commit(event('ConvoyReactivated', { status: 'READY_TO_LAND' })));
    expect(await convoyRow(convoy)).toMatchObject({ status: 'READY_TO_LAND', failure_reason: null });

    const landed = convoy.landed([rigA, rigB]);
    await project(landed);
    expect(await convoyRow(convoy)).toMatchObject({
      status: 'LANDED',
      landing_attempt: 1,
      landings: [
        { rigId: rigA, commit: sha(`land ${convoy.convoyId} ${rigA}`) },
        { rigId: rigB, commit: sha(`land ${convoy.convoyId} ${rigB}`) },
      ],
      landed_commit: sha(`land ${convoy.convoyId} ${rigB}`),
      landed_at: new Date(landed.events[0].occurredAt),
    });

    const other = town.convoy({ defaultRigId: rigA });
    await project(other.created([{}, { dependsOn: [0] }]), other.cancelled('plan was wrong', [0, 1]));
    expect(await convoyRow(other)).toMatchObject({ status: 'CANCELLED', cancel_reason: 'plan was wrong' });
    expect((await beads(other)).map((b) => [b.status, b.ready])).toEqual([
      ['CANCELLED', false],
      ['CANCELLED', false],
    ]);
  });

  it('given attempts that end in rework, a failure, a lost agent or a final failure, then no agent is shown on the bead until its next dispatch', async () => {
    // Found by read-models.consistency.e2e.spec.ts: the agent of an ended attempt stayed the
    // assignee of the OPEN (or FAILED) bead, although the decider forgets it and nobody works on it.
    const convoy = town.convoy({ defaultRigId: rigA });
    const b = (i: number) => convoy.bead(i);
    await project(
      convoy.created([{}, {}, {}, {}, {}]),
      ...[0, 1, 2, 3, 4].map((i) => convoy.dispatched(i)),
      convoy.submitted(0),
      convoy.commit(event('BeadReworkRequested', { beadId: b(0), attempt: 1, reason: 'add tests' })),
      convoy.commit(event('BeadAttemptFailed', { beadId: b(1), attempt: 1, reason: 'build broke', agentResult: null })),
      convoy.commit(
        event('BeadAgentLost', { beadId: b(2), attempt: 1, agentId: 'agent-2-1', reason: 'heartbeat lost' }),
        event('BeadFailed', { beadId: b(2), attempt: 1, reason: 'heartbeat lost', agentResult: null }),
      ),
      convoy.commit(event('BeadFailed', { beadId: b(3), attempt: 1, reason: 'unrecoverable', agentResult: null })),
      convoy.submitted(4),
      convoy.merged(4),
    );

    const assignees = (rows: Record<string, unknown>[]) => rows.map((r) => [r.status, r.assignee, r.assignee_id]);
    expect(assignees(await beads(convoy))).toEqual([
      ['OPEN', null, null],
      ['OPEN', null, null],
      ['FAILED', null, null],
      ['FAILED', null, null],
      // The agent whose work was merged stays on record.
      ['CLOSED', 'polecat-4', 'agent-4-1'],
    ]);

    await project(convoy.dispatched(0, 2, 'add tests'));
    expect((await beads(convoy))[0]).toMatchObject({ status: 'IN_PROGRESS', assignee: 'polecat-0', assignee_id: 'agent-0-2', attempts: 2 });
  });

  it('given a landing attempt that failed on one rig after the other landed, when the next attempt starts, then the landed rig stays LANDED and the failed one is PENDING again', async () => {
    // Landings are never reset (the decider keeps them too): the first rig's main holds the landing.
    const convoy = town.convoy({ defaultRigId: rigA });
    await project(
      convoy.created([{}, { rigId: rigB, dependsOn: [0] }]),
      convoy.commit(event('ConvoyReadyToLand', {}), event('ConvoyLandingStarted', { attempt: 1 })),
      convoy.commit(event('RigLanded', { rigId: rigA, commit: sha('alpha 1'), targetBranch: 'main' })),
      convoy.commit(event('ConvoyLandingFailed', { attempt: 1, reason: 'beta: main moved', rigId: rigB })),
    );
    expect(await convoyRow(convoy)).toMatchObject({
      status: 'READY_TO_LAND',
      landings: [
        { rigId: rigA, commit: sha('alpha 1'), status: 'LANDED', reason: null },
        { rigId: rigB, commit: null, status: 'FAILED', reason: 'beta: main moved' },
      ],
    });

    await project(convoy.commit(event('ConvoyLandingStarted', { attempt: 2 })));
    expect(await convoyRow(convoy)).toMatchObject({
      status: 'LANDING',
      landing_attempt: 2,
      landings: [
        { rigId: rigA, commit: sha('alpha 1'), status: 'LANDED', reason: null },
        { rigId: rigB, commit: null, status: 'PENDING', reason: null },
      ],
    });

    await project(convoy.commit(event('RigLanded', { rigId: rigB, commit: sha('beta 2'), targetBranch: 'main' })));
    expect(await convoyRow(convoy)).toMatchObject({
      landings: [
        { rigId: rigA, commit: sha('alpha 1'), status: 'LANDED', reason: null },
        { rigId: rigB, commit: sha('beta 2'), status: 'LANDED', reason: null },
      ],
    });
  });

  it('given a merge push granted before the close, when projected, then the bead stays IN_REVIEW with its claimed attempt until the merge is recorded', async () => {
    const convoy = town.convoy({ defaultRigId: rigA });
    await project(convoy.created([{}, {}]), convoy.dispatched(0), convoy.submitted(0), convoy.dispatched(1), convoy.submitted(1));
    const cancelled = event('ConvoyCancelled', { reason: 'plan changed', stopAgents: [], dropReviews: [convoy.bead(1)], dropLanding: false });
    const claimed = () => ds.query(`SELECT idx, status, merge_claimed_attempt FROM beads WHERE convoy_id = $1 ORDER BY idx`, [convoy.convoyId]);

    await project(
      convoy.commit(event('BeadMergeClaimed', { beadId: convoy.bead(0), attempt: 1, mergeCommit: sha('claimed'), targetBranch: 'main' })),
      convoy.commit(cancelled, event('BeadCancelled', { beadId: convoy.bead(1), previousStatus: 'IN_REVIEW' })),
    );
    expect(await claimed()).toEqual([
      { idx: 0, status: 'IN_REVIEW', merge_claimed_attempt: 1 },
      { idx: 1, status: 'CANCELLED', merge_claimed_attempt: null },
    ]);

    await project(convoy.merged(0));
    expect((await claimed())[0]).toEqual({ idx: 0, status: 'CLOSED', merge_claimed_attempt: 1 });
  });

  it('given a landing push granted, when projected, then the rig reads PUSHING until its push is recorded, and a failed attempt makes it PENDING again', async () => {
    const convoy = town.convoy({ defaultRigId: rigA });
    const claimed = (rigId: string, attempt: number) => convoy.commit(event('RigLandingClaimed', { rigId, attempt, commit: sha(`land ${rigId} ${attempt}`), targetBranch: 'main' }));
    await project(
      convoy.created([{}, { rigId: rigB, dependsOn: [0] }]),
      convoy.commit(event('ConvoyReadyToLand', {}), event('ConvoyLandingStarted', { attempt: 1 })),
      claimed(rigA, 1),
    );
    expect((await convoyRow(convoy))['landings']).toEqual([{ rigId: rigA, commit: null, status: 'PUSHING', reason: null }]);

    await project(convoy.commit(event('ConvoyLandingFailed', { attempt: 1, reason: 'the runner gave up', rigId: null })));
    expect((await convoyRow(convoy))['landings']).toEqual([{ rigId: rigA, commit: null, status: 'PENDING', reason: null }]);

    await project(
      convoy.commit(event('ConvoyLandingStarted', { attempt: 2 })),
      claimed(rigA, 2),
      convoy.commit(event('RigLanded', { rigId: rigA, commit: sha('alpha 2'), targetBranch: 'main' })),
      claimed(rigB, 2),
      convoy.commit(event('ConvoyCancelled', { reason: 'plan changed', stopAgents: [], dropReviews: [], dropLanding: true })),
    );
    expect(await convoyRow(convoy)).toMatchObject({
      status: 'CANCELLED',
      landings: [
        { rigId: rigA, commit: sha('alpha 2'), status: 'LANDED', reason: null },
        { rigId: rigB, commit: null, status: 'PUSHING', reason: null },
      ],
    });

    await project(convoy.commit(event('RigLandingAborted', { rigId: rigB, attempt: 2, reason: 'the granted landing is not on main' })));
    expect((await convoyRow(convoy))['landings']).toEqual([
      { rigId: rigA, commit: sha('alpha 2'), status: 'LANDED', reason: null },
      { rigId: rigB, commit: null, status: 'FAILED', reason: 'the granted landing is not on main' },
    ]);
  });

  it('given a convoy that lives through rework, an interrupted attempt, a failure, a retry, a failed landing and its landing, and one that is closed, then after every commit the status columns read what the execution view folds from the same events', async () => {
    /** Projects each commit, then compares the rows with the view the dispatcher and the git-runners fold. */
    async function expectRowsToFollowTheView(convoy: ConvoyFixture, commits: FixtureCommit[]): Promise<void> {
      const events: GastownEvent[] = [];
      for (const commit of commits) {
        expect(await project(commit)).toEqual(['applied']);
        events.push(...commit.events);
        const view = foldConvoy(convoy.townId, convoy.convoyId, events);
        const after = commit.events.map((e) => e.type);
        expect({ after, convoy: (await convoyRow(convoy))['status'], beads: (await beads(convoy)).map((b) => b.status) }).toEqual({
          after,
          convoy: view.status,
          beads: [...view.beads.values()].sort((x, y) => x.index - y.index).map((b) => b.status),
        });
      }
    }

    // The commits the convoy service decides for these commands, derived events included.
    const landing = town.convoy({ defaultRigId: rigA });
    const l = (i: number) => landing.bead(i);
    const prepared = (rigId: string, attempt: number) => event('RigLandingPrepared', { rigId, attempt, targetTip: sha(`tip ${rigId}`), tree: sha(`tree ${rigId} ${attempt}`) });
    const claimed = (rigId: string, attempt: number) => event('RigLandingClaimed', { rigId, attempt, commit: sha(`land ${rigId} ${attempt}`), targetBranch: 'main' });
    const rigLanded = (rigId: string, attempt: number) => event('RigLanded', { rigId, commit: sha(`land ${rigId} ${attempt}`), targetBranch: 'main' });
    await expectRowsToFollowTheView(landing, [
      landing.created([{}, { rigId: rigB, dependsOn: [0] }]),
      landing.dispatched(0),
      landing.submitted(0),
      landing.reworkRequested(0, 'add tests'),
      landing.dispatched(0, 2, 'add tests'),
      landing.commit(
        event('BeadAttemptInterrupted', { beadId: l(0), attempt: 2, agentId: 'agent-0-2', reason: 'runner gr-1 shut down' }),
        event('BeadsBecameReady', { beadIds: [l(0)] }),
      ),
      landing.dispatched(0, 3),
      landing.commit(
        event('BeadFailed', { beadId: l(0), attempt: 3, reason: 'build broke', agentResult: null }),
        event('BeadsHeld', { beads: [{ beadId: l(1), reason: 'blocked by failed task 0', heldBy: [l(0)] }] }),
        event('ConvoyFailed', { reason: 'task 0 failed', failedBeadIds: [l(0)] }),
      ),
      landing.commit(
        event('BeadRetried', { beadId: l(0) }),
        event('BeadsReleased', { beadIds: [l(1)] }),
        event('BeadsBecameReady', { beadIds: [l(0)] }),
        event('ConvoyReactivated', { status: 'ACTIVE' }),
      ),
      landing.dispatched(0, 4),
      landing.submitted(0, 4),
      landing.commit(event('BeadMergeClaimed', { beadId: l(0), attempt: 4, mergeCommit: sha(`merge ${l(0)}`), targetBranch: 'main' })),
      landing.merged(0, [1], 4),
      landing.dispatched(1),
      landing.submitted(1),
      landing.commit(
        event('BeadMerged', { beadId: l(1), attempt: 1, mergeCommit: sha(`merge ${l(1)}`), targetBranch: 'main', batchId: null }),
        event('ConvoyReadyToLand', {}),
      ),
      landing.commit(event('ConvoyLandingStarted', { attempt: 1 })),
      landing.commit(prepared(rigA, 1)),
      landing.commit(prepared(rigB, 1), event('ConvoyLandingPrepared', { attempt: 1 })),
      landing.commit(claimed(rigA, 1)),
      landing.commit(rigLanded(rigA, 1)),
      landing.commit(event('ConvoyLandingFailed', { attempt: 1, reason: 'beta: main moved', rigId: rigB })),
      landing.commit(event('ConvoyLandingStarted', { attempt: 2 })),
      landing.commit(prepared(rigB, 2), event('ConvoyLandingPrepared', { attempt: 2 })),
      landing.commit(claimed(rigB, 2)),
      landing.commit(
        rigLanded(rigB, 2),
        event('ConvoyLanded', { landings: [{ rigId: rigA, commit: sha(`land ${rigA} 1`) }, { rigId: rigB, commit: sha(`land ${rigB} 2`) }] }),
      ),
    ]);
    expect((await convoyRow(landing))['status']).toBe('LANDED');
    expect((await beads(landing)).map((b) => b.status)).toEqual(['CLOSED', 'CLOSED']);

    const closing = town.convoy({ defaultRigId: rigA });
    const c = (i: number) => closing.bead(i);
    await expectRowsToFollowTheView(closing, [
      closing.created([{}, {}, {}]),
      closing.dispatched(0),
      closing.submitted(0),
      closing.commit(event('BeadMergeClaimed', { beadId: c(0), attempt: 1, mergeCommit: sha(`merge ${c(0)}`), targetBranch: 'main' })),
      closing.dispatched(1),
      closing.commit(
        event('BeadAgentLost', { beadId: c(1), attempt: 1, agentId: 'agent-1-1', reason: 'heartbeat lost' }),
        event('BeadsBecameReady', { beadIds: [c(1)] }),
      ),
      closing.dispatched(1, 2, 'heartbeat lost'),
      closing.commit(
        event('ConvoyCancelled', {
          reason: 'plan changed',
          stopAgents: [{ beadId: c(1), agentId: 'agent-1-2', attempt: 2 }],
          dropReviews: [],
          dropLanding: false,
        }),
        event('BeadCancelled', { beadId: c(1), previousStatus: 'IN_PROGRESS' }),
        event('BeadCancelled', { beadId: c(2), previousStatus: 'OPEN' }),
        event('BeadsBecameUnready', { beadIds: [c(2)] }),
      ),
      closing.commit(event('BeadMergeAborted', { beadId: c(0), attempt: 1, reason: 'the convoy was closed before this merge was pushed' })),
    ]);
    expect((await convoyRow(closing))['status']).toBe('CANCELLED');
    expect((await beads(closing)).map((b) => b.status)).toEqual(['CANCELLED', 'CANCELLED', 'CANCELLED']);
  });

  it('given events stored before the text rules with a NUL or a lone surrogate, when projected, then they apply with U+FFFD and the town goes on', async () => {
    const hostile = new TownFixture(bus.names.namespace, new FixtureClock());
    const rig = randomUUID();
    const later = randomUUID();
    expect(await project(hostile.created('bad\0town'), hostile.rigRegistered(rig, 'ap\0i'))).toEqual(['applied', 'applied']);
    const convoy = hostile.convoy({ defaultRigId: rig });
    expect(
      await project(
        convoy.created([{ title: 'Te\0st' }, { title: 'half \uD83D' }], { title: 'NUL\0convoy' }),
        convoy.dispatched(0),
        convoy.attemptFailed(0, 1, 'exit 1: \0\uDC00'),
        hostile.rigRegistered(later, 'proper'),
      ),
    ).toEqual(['applied', 'applied', 'applied', 'applied']);

    const rigs = await ds.query(`SELECT name FROM rigs WHERE town_id = $1 ORDER BY name`, [hostile.townId]);
    expect(rigs).toEqual([{ name: 'ap\uFFFDi' }, { name: 'proper' }]);
    expect((await convoyRow(convoy))['title']).toBe('NUL\uFFFDconvoy');
    const titles = await ds.query(`SELECT title, last_reason FROM beads WHERE convoy_id = $1 ORDER BY idx`, [convoy.convoyId]);
    expect(titles).toEqual([
      { title: 'Te\uFFFDst', last_reason: 'exit 1: \uFFFD\uFFFD' },
      { title: 'half \uFFFD', last_reason: null },
    ]);
  });

  it('given a commit applied twice, then the second is a duplicate and changes nothing', async () => {
    const convoy = town.convoy({ defaultRigId: rigA });
    const [created, dispatched] = await appendAndRead(convoy.created([{}, {}]), convoy.dispatched(0));
    expect(await apply(created)).toBe('applied');
    expect(await apply(dispatched)).toBe('applied');
    const before = await snapshotReadModels(ds);

    expect(await apply(dispatched)).toBe('duplicate');
    expect(await apply(created)).toBe('duplicate');
    expect(await snapshotReadModels(ds)).toEqual(before);
  });

  it('given commit 3 before commit 2, then it is a gap that changes nothing, and 2 then 3 apply', async () => {
    const convoy = town.convoy({ defaultRigId: rigA });
    const [one, two, three] = await appendAndRead(convoy.created([{}]), convoy.dispatched(0), convoy.submitted(0));
    expect(await apply(one)).toBe('applied');
    const before = await snapshotReadModels(ds);

    expect(await apply(three)).toBe('gap');
    expect(await snapshotReadModels(ds)).toEqual(before);
    expect(await checkpoint(convoy.subject)).toBe(one.seq);

    expect(await apply(two)).toBe('applied');
    expect(await apply(three)).toBe('applied');
    expect(await checkpoint(convoy.subject)).toBe(three.seq);
    expect((await beads(convoy))[0]).toMatchObject({ status: 'IN_REVIEW', assignee: 'polecat-0' });
  });

  it('given a commit that fails half-way, then the transaction leaves neither rows nor checkpoint behind', async () => {
    const convoy = town.convoy({ defaultRigId: rigA });
    const [created] = await appendAndRead(convoy.created([{}]));
    const duplicateRig = { ...created, events: [...created.events, { ...created.events[0], type: 'TownCreated', data: town.created().events[0].data }] };
    await expect(apply(duplicateRig as StoredCommit)).rejects.toThrow(/duplicate key/);
    expect(await ds.query(`SELECT id FROM convoys WHERE id = $1`, [convoy.convoyId])).toEqual([]);
    expect(await checkpoint(convoy.subject)).toBe(0);
  });
});
