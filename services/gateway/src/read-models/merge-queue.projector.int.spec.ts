import { randomUUID } from 'node:crypto';
import type { EventData } from '@gastown/contracts';
import type { DataSource } from 'typeorm';
import { event, FixtureClock, sha, TownFixture, type ConvoyFixture, type FixtureCommit } from '../projection/projection.fixtures';
import { rebuildReadModels } from '../projection/projection.rebuild';
import { ReadModelsFixture } from '../projection/read-models.fixture';

describe('merge queue projection', () => {
  let models: ReadModelsFixture;
  let ds: DataSource;
  let town: TownFixture;
  const rigA = randomUUID();
  const rigB = randomUUID();

  beforeAll(async () => {
    models = await ReadModelsFixture.open('merge-queue-spec');
    ds = models.ds;
    town = new TownFixture(models.bus.names.namespace, new FixtureClock());
    await project(town.created(), town.rigRegistered(rigA, 'alpha'), town.rigRegistered(rigB, 'beta'));
  });

  afterAll(async () => {
    await models?.close();
  });

  /** Applies each commit as the live projector does; every one of them must apply. */
  async function project(...commits: FixtureCommit[]): Promise<void> {
    expect(await models.project(...commits)).toEqual(commits.map(() => 'applied'));
  }

  /** The convoy's beads in the rig's queue, as the API orders them. */
  async function queue(convoy: ConvoyFixture, rigId = rigA): Promise<Record<string, unknown>[]> {
    return ds.query(
      `SELECT bead_id, convoy_id, attempt, status, batch_id, speculative_on, batch_check_runs, submitted_at, started_at
         FROM merge_queue WHERE town_id = $1 AND rig_id = $2 AND convoy_id = $3 ORDER BY submitted_at, bead_idx, bead_id`,
      [town.townId, rigId, convoy.convoyId],
    );
  }

  /** A convoy whose first `onA` beads work on rig alpha and the rest on rig beta, every one of them submitted. */
  async function submittedConvoy(onA: number, onB = 0): Promise<ConvoyFixture> {
    const convoy = town.convoy({ defaultRigId: rigA });
    const tasks = [...Array.from({ length: onA }, () => ({})), ...Array.from({ length: onB }, () => ({ rigId: rigB }))];
    await project(convoy.created(tasks));
    for (let i = 0; i < tasks.length; i++) await project(convoy.dispatched(i), convoy.submitted(i));
    return convoy;
  }

  const started = (convoy: ConvoyFixture, batchId: string, indices: number[], speculativeOn: string | null = null) =>
    convoy.commit(
      event('MergeBatchStarted', {
        batchId,
        rigId: rigA,
        targetBranch: `convoy/${convoy.convoyId.slice(0, 8)}`,
        baseCommit: sha(`base ${batchId}`),
        speculativeOn,
        beads: indices.map((i) => ({ beadId: convoy.bead(i), attempt: 1, mergeCommit: sha(`merge ${convoy.bead(i)}`) })),
      }),
    );
  const checked = (convoy: ConvoyFixture, batchId: string, run: number, indices: number[], outcome: EventData<'MergeBatchChecked'>['outcome']) =>
    convoy.commit(
      event('MergeBatchChecked', {
        batchId,
        run,
        beadIds: indices.map((i) => convoy.bead(i)),
        commit: sha(`merge ${convoy.bead(indices[indices.length - 1])}`),
        outcome,
        durationMs: 2_000,
        reason: outcome === 'PASSED' ? null : 'check "test" failed (exit 1)',
      }),
    );
  const ended = (convoy: ConvoyFixture, batchId: string, outcome: EventData<'MergeBatchEnded'>['outcome'], merged: number[], culprit: number | null, checkRuns: number) =>
    convoy.commit(
      event('MergeBatchEnded', {
        batchId,
        outcome,
        mergedBeadIds: merged.map((i) => convoy.bead(i)),
        culpritBeadId: culprit === null ? null : convoy.bead(culprit),
        checkRuns,
        reason: outcome === 'MERGED' ? null : 'check "test" failed (exit 1)',
      }),
    );
  const mergedIn = (convoy: ConvoyFixture, index: number, batchId: string) =>
    convoy.commit(
      event('BeadMerged', {
        beadId: convoy.bead(index),
        attempt: 1,
        mergeCommit: sha(`merge ${convoy.bead(index)}`),
        targetBranch: `convoy/${convoy.convoyId.slice(0, 8)}`,
        batchId,
      }),
    );

  it("given beads submitted on two rigs, then each waits in its own rig's queue, in the order they were handed in, outside any batch", async () => {
    const convoy = await submittedConvoy(2, 1);

    const alpha = await queue(convoy);
    expect(alpha.map((row) => row['bead_id'])).toEqual([convoy.bead(0), convoy.bead(1)]);
    expect(alpha[0]).toMatchObject({ convoy_id: convoy.convoyId, attempt: 1, status: 'WAITING', batch_id: null, speculative_on: null, batch_check_runs: null, started_at: null });
    expect((alpha[0]['submitted_at'] as Date).getTime()).toBeLessThan((alpha[1]['submitted_at'] as Date).getTime());
    expect((await queue(convoy, rigB)).map((row) => row['bead_id'])).toEqual([convoy.bead(2)]);
  });

  it('given a batch and one built speculatively on it, when the first goes red, is bisected and split, then the culprit and the merged bead leave and the rest wait again', async () => {
    const convoy = await submittedConvoy(4);
    const first = randomUUID();
    const second = randomUUID();

    const start = started(convoy, first, [0, 1]);
    await project(start, started(convoy, second, [2], first));
    const startedAt = new Date(start.events[0].occurredAt);
    expect((await queue(convoy)).map((row) => [row['status'], row['batch_id'], row['speculative_on'], row['batch_check_runs']])).toEqual([
      ['CHECKING', first, null, 0],
      ['CHECKING', first, null, 0],
      ['CHECKING', second, first, 0],
      ['WAITING', null, null, null],
    ]);
    expect((await queue(convoy))[0]['started_at']).toEqual(startedAt);

    await project(checked(convoy, first, 1, [0, 1], 'FAILED'));
    expect((await queue(convoy)).map((row) => [row['status'], row['batch_check_runs']])).toEqual([
      ['BISECTING', 1],
      ['BISECTING', 1],
      ['CHECKING', 0],
      ['WAITING', null],
    ]);

    await project(checked(convoy, first, 3, [0, 1], 'FAILED'), checked(convoy, first, 2, [0], 'PASSED'));
    expect((await queue(convoy)).slice(0, 2).map((row) => [row['status'], row['batch_check_runs']])).toEqual([
      ['BISECTING', 3],
      ['BISECTING', 3],
    ]);

    await project(
      mergedIn(convoy, 0, first),
      convoy.commit(event('BeadReworkRequested', { beadId: convoy.bead(1), attempt: 1, reason: 'breaks the checks in merge batch' })),
      ended(convoy, first, 'SPLIT', [0], 1, 3),
    );
    expect((await queue(convoy)).map((row) => [row['bead_id'], row['status'], row['batch_id'], row['speculative_on']])).toEqual([
      [convoy.bead(2), 'CHECKING', second, first],
      [convoy.bead(3), 'WAITING', null, null],
    ]);

    await project(ended(convoy, second, 'DISCARDED', [], null, 0));
    expect((await queue(convoy)).map((row) => [row['bead_id'], row['status'], row['batch_id'], row['batch_check_runs'], row['started_at']])).toEqual([
      [convoy.bead(2), 'WAITING', null, null, null],
      [convoy.bead(3), 'WAITING', null, null, null],
    ]);
  });

  it('given a batch that merges while another runs on top of it, then the one on top is no longer speculative, and a flaky run counts as a run', async () => {
    const convoy = await submittedConvoy(3);
    const first = randomUUID();
    const second = randomUUID();
    await project(started(convoy, first, [0, 1]), started(convoy, second, [2], first));

    await project(checked(convoy, first, 1, [0, 1], 'FLAKY'), mergedIn(convoy, 0, first), mergedIn(convoy, 1, first), ended(convoy, first, 'MERGED', [0, 1], null, 1));

    expect((await queue(convoy)).map((row) => [row['bead_id'], row['status'], row['batch_id'], row['speculative_on']])).toEqual([
      [convoy.bead(2), 'CHECKING', second, null],
    ]);
  });

  it('given beads in the queue, when one fails, one is cancelled and one has its merge aborted, then they leave; when the convoy is closed, every other bead of it leaves', async () => {
    const convoy = await submittedConvoy(5);
    await project(started(convoy, randomUUID(), [3]));

    await project(
      convoy.commit(event('BeadFailed', { beadId: convoy.bead(0), attempt: 1, reason: 'the last attempt was sent back', agentResult: null })),
      convoy.commit(event('BeadCancelled', { beadId: convoy.bead(1), previousStatus: 'IN_REVIEW' })),
      convoy.commit(event('BeadMergeAborted', { beadId: convoy.bead(2), attempt: 1, reason: 'the convoy was closed before this merge was pushed' })),
    );
    expect((await queue(convoy)).map((row) => row['bead_id'])).toEqual([convoy.bead(3), convoy.bead(4)]);

    await project(convoy.cancelled('plan changed', []));
    expect(await ds.query(`SELECT bead_id FROM merge_queue WHERE convoy_id = $1`, [convoy.convoyId])).toEqual([]);
  });

  it('given a bead sent back and submitted again, then it waits again from its new hand-in, on its new attempt', async () => {
    const convoy = await submittedConvoy(2);
    const batch = randomUUID();
    await project(started(convoy, batch, [0, 1]), convoy.reworkRequested(0, 'the checks fail'), ended(convoy, batch, 'SPLIT', [], 0, 2));

    const again = convoy.submitted(0, 2);
    await project(convoy.dispatched(0, 2, 'the checks fail'), again);

    expect((await queue(convoy)).map((row) => [row['bead_id'], row['attempt'], row['status'], row['submitted_at']])).toEqual([
      [convoy.bead(1), 1, 'WAITING', expect.any(Date)],
      [convoy.bead(0), 2, 'WAITING', new Date(again.events[0].occurredAt)],
    ]);
  });

  it('given a batch id of another convoy, when its events arrive in this convoy, then they change nothing here', async () => {
    const victim = await submittedConvoy(1);
    const batch = randomUUID();
    await project(started(victim, batch, [0]));
    const other = await submittedConvoy(1);

    await project(checked(other, batch, 1, [0], 'FAILED'), ended(other, batch, 'DISCARDED', [], null, 1));

    expect((await queue(victim))[0]).toMatchObject({ status: 'CHECKING', batch_id: batch, batch_check_runs: 0 });
  });

  it('given every queue of the suite, when the read models are rebuilt from the stream, then the queues are the same rows', async () => {
    const rows = () => ds.query(`SELECT * FROM merge_queue ORDER BY bead_id`);
    const live = await rows();
    expect(live.length).toBeGreaterThan(0);

    await rebuildReadModels(ds, models.bus);

    expect(await rows()).toEqual(live);
  });
});
