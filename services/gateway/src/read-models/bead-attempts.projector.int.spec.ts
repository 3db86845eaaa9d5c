import { randomUUID } from 'node:crypto';
import { connectBus, deleteTopology, ensureTopology, EventStore, type Bus, type StoredCommit } from '@gastown/bus';
import type { AgentRef, AgentResult } from '@gastown/contracts';
import { createTestDatabase, TEST_NATS_URL, testNamespace, type TestDatabase } from '@gastown/testing';
import type { DataSource } from 'typeorm';
import { event, FixtureClock, FixtureWriter, sha, TownFixture, type ConvoyFixture, type FixtureCommit } from '../projection/projection.fixtures';
import { createReadModelDataSource, initializeReadModelDataSource } from './read-models.datasource';
import { applyCommit } from './read-models.projector';

const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };
const failedRun: AgentResult = { exitCode: 2, signal: null, timedOut: false, durationMs: 830, outputTail: 'npm test\nTypeError: x is undefined\n' };
const cleanRun: AgentResult = { exitCode: 0, signal: null, timedOut: false, durationMs: 1200, outputTail: 'all tests pass\n' };

describe('bead attempts and agents', () => {
  let db: TestDatabase;
  let ds: DataSource;
  let bus: Bus;
  let store: EventStore;
  let writer: FixtureWriter;
  let clock: FixtureClock;

  beforeAll(async () => {
    db = await createTestDatabase();
    ds = await initializeReadModelDataSource(createReadModelDataSource(db.url));
    await ds.runMigrations();
    bus = await connectBus({ servers: TEST_NATS_URL, namespace: testNamespace(), name: 'attempts-spec', logger: quiet });
    await ensureTopology(bus);
    store = new EventStore(bus);
    writer = new FixtureWriter(store, bus);
    clock = new FixtureClock();
  });

  afterAll(async () => {
    await deleteTopology(bus);
    await bus.close();
    await ds.destroy();
    await db.drop();
  });

  /** A fresh town with one rig, so agent ids of one test never meet another's. */
  async function newTown(): Promise<{ town: TownFixture; rigId: string }> {
    const town = new TownFixture(bus.names.namespace, clock);
    const rigId = randomUUID();
    await project(town.created(), town.rigRegistered(rigId, 'alpha'));
    return { town, rigId };
  }

  /** Appends every commit first, then applies them in the given order, as a projector that fell behind would. */
  async function appendThenApply(commits: FixtureCommit[], order: number[] = commits.map((_, i) => i)): Promise<void> {
    const stored: StoredCommit[] = [];
    for (const commit of commits) {
      const seq = await writer.append(commit);
      stored.push((await store.readSubject(commit.subject, { afterSeq: seq - 1 }))[0]);
    }
    for (const i of order) expect(await ds.transaction((tx) => applyCommit(tx, stored[i]))).toBe('applied');
  }

  const project = (...commits: FixtureCommit[]) => appendThenApply(commits);

  async function attempts(convoy: ConvoyFixture, index: number): Promise<Record<string, unknown>[]> {
    return ds.query(
      `SELECT number, agent_id, agent_name, branch, outcome, exit_code, reason, head_commit, output_tail,
              dispatched_at, started_at, ended_at
       FROM bead_attempts WHERE bead_id = $1 ORDER BY number`,
      [convoy.bead(index)],
    );
  }

  async function agent(town: TownFixture, agentId: string): Promise<Record<string, unknown> | undefined> {
    const [row] = await ds.query(
      `SELECT rig_id, name, status, current_bead_id, current_attempt, last_seen_at, attempts_total FROM agents
       WHERE town_id = $1 AND agent_id = $2`,
      [town.townId, agentId],
    );
    return row;
  }

  const dispatchTo = (convoy: ConvoyFixture, index: number, attempt: number, agent: AgentRef) =>
    convoy.commit(
      event('BeadDispatched', {
        beadId: convoy.bead(index),
        attempt,
        agent,
        branch: `gt/${agent.name}/${convoy.bead(index).slice(0, 8)}-${attempt}`,
        baseBranch: 'main',
        previousReason: null,
      }),
    );

  it('given a bead whose attempts fail, come back from review and merge, then each attempt tells its agent, times, exit code, reason and output', async () => {
    const { town, rigId } = await newTown();
    const convoy = town.convoy({ defaultRigId: rigId });
    const commits = [
      convoy.created([{}]),
      convoy.dispatched(0, 1),
      convoy.commit(event('BeadStarted', { beadId: convoy.bead(0), attempt: 1 })),
      convoy.attemptFailed(0, 1, 'agent exited with code 2', failedRun),
      convoy.dispatched(0, 2, 'agent exited with code 2'),
      convoy.submitted(0, 2, cleanRun),
      convoy.reworkRequested(0, 'check "lint" failed', 2),
      convoy.dispatched(0, 3, 'check "lint" failed'),
      convoy.submitted(0, 3),
      convoy.merged(0, [], 3),
    ];
    await project(...commits);
    const at = (i: number) => new Date(commits[i].events[0].occurredAt);

    expect(await attempts(convoy, 0)).toEqual([
      {
        number: 1,
        agent_id: 'agent-0-1',
        agent_name: 'polecat-0',
        branch: `bead/${convoy.bead(0).slice(0, 8)}-1`,
        outcome: 'FAILED',
        exit_code: 2,
        reason: 'agent exited with code 2',
        head_commit: null,
        output_tail: 'npm test\nTypeError: x is undefined\n',
        dispatched_at: at(1),
        started_at: at(2),
        ended_at: at(3),
      },
      expect.objectContaining({
        number: 2,
        outcome: 'REWORK',
        exit_code: 0,
        reason: 'check "lint" failed',
        head_commit: sha(`head ${convoy.bead(0)} 2`),
        output_tail: 'all tests pass\n',
        dispatched_at: at(4),
        started_at: at(5),
        ended_at: at(5),
      }),
      expect.objectContaining({ number: 3, outcome: 'MERGED', exit_code: null, output_tail: null, reason: null, ended_at: at(8) }),
    ]);
  });

  it('given an agent, when dispatched, submitted and dispatched again, then it is WORKING on its current bead only until the attempt leaves it', async () => {
    const { town, rigId } = await newTown();
    const convoy = town.convoy({ defaultRigId: rigId });
    const nux = { id: `${rigId.slice(0, 8)}-nux`, name: 'Nux' };
    await project(convoy.created([{}, {}]), dispatchTo(convoy, 0, 1, nux));
    expect(await agent(town, nux.id)).toMatchObject({
      rig_id: rigId,
      name: 'Nux',
      status: 'WORKING',
      current_bead_id: convoy.bead(0),
      current_attempt: 1,
      attempts_total: 1,
    });

    const submitted = convoy.submitted(0, 1, cleanRun);
    await project(submitted);
    expect(await agent(town, nux.id)).toMatchObject({
      status: 'IDLE',
      current_bead_id: null,
      current_attempt: null,
      last_seen_at: new Date(submitted.events[1].occurredAt),
    });

    // Review happens after the agent left: merging changes the attempt, not the agent.
    await project(convoy.merged(0), dispatchTo(convoy, 1, 1, nux));
    expect(await agent(town, nux.id)).toMatchObject({ status: 'WORKING', current_bead_id: convoy.bead(1), attempts_total: 2 });
  });

  it('given a lost agent on the last attempt, then the attempt stays LOST with its reason and the agent is idle', async () => {
    const { town, rigId } = await newTown();
    const convoy = town.convoy({ defaultRigId: rigId });
    await project(
      convoy.created([{}]),
      convoy.dispatched(0, 1),
      convoy.commit(
        event('BeadAgentLost', { beadId: convoy.bead(0), attempt: 1, agentId: 'agent-0-1', reason: 'runner r1 stopped heartbeating' }),
        event('BeadFailed', { beadId: convoy.bead(0), attempt: 1, reason: 'runner r1 stopped heartbeating', agentResult: null }),
      ),
    );
    expect(await attempts(convoy, 0)).toEqual([
      expect.objectContaining({ number: 1, outcome: 'LOST', reason: 'runner r1 stopped heartbeating', exit_code: null }),
    ]);
    expect(await agent(town, 'agent-0-1')).toMatchObject({ status: 'IDLE', current_bead_id: null });
  });

  it('given the last allowed attempt failing, when only BeadFailed records it, then the attempt is FAILED with its exit code and output', async () => {
    const { town, rigId } = await newTown();
    const convoy = town.convoy({ defaultRigId: rigId });
    await project(
      convoy.created([{}]),
      convoy.dispatched(0, 1),
      convoy.commit(event('BeadFailed', { beadId: convoy.bead(0), attempt: 1, reason: 'agent exited with code 2', agentResult: failedRun })),
    );
    expect(await attempts(convoy, 0)).toEqual([
      expect.objectContaining({ outcome: 'FAILED', exit_code: 2, output_tail: failedRun.outputTail, reason: 'agent exited with code 2' }),
    ]);
    expect(await agent(town, 'agent-0-1')).toMatchObject({ status: 'IDLE' });
  });

  it('given a convoy closed while agents work and a bead waits for review, then their attempts are CANCELLED, merged work stays MERGED and the agents are idle', async () => {
    const { town, rigId } = await newTown();
    const convoy = town.convoy({ defaultRigId: rigId });
    await project(
      convoy.created([{}, {}, {}, {}]),
      convoy.dispatched(0),
      convoy.submitted(0),
      convoy.merged(0),
      convoy.dispatched(1),
      convoy.submitted(1),
      convoy.dispatched(2),
      convoy.dispatched(3),
    );
    const closed = convoy.cancelled('plan changed', [1, 2, 3]);
    await project(closed);

    const outcomes = await ds.query(`SELECT bead_id, outcome, ended_at FROM bead_attempts WHERE convoy_id = $1`, [convoy.convoyId]);
    const byBead = new Map(outcomes.map((r: { bead_id: string }) => [r.bead_id, r]));
    expect([0, 1, 2, 3].map((i) => (byBead.get(convoy.bead(i)) as { outcome: string }).outcome)).toEqual([
      'MERGED',
      'CANCELLED',
      'CANCELLED',
      'CANCELLED',
    ]);
    expect(byBead.get(convoy.bead(2))).toMatchObject({ ended_at: new Date(closed.events[0].occurredAt) });
    for (const id of ['agent-2-1', 'agent-3-1']) expect(await agent(town, id)).toMatchObject({ status: 'IDLE', current_bead_id: null });
  });

  it('given a convoy held behind a poison message, when its older events about an agent are applied after the agent moved on, then the agent stays on its new bead', async () => {
    const { town, rigId } = await newTown();
    const held = town.convoy({ defaultRigId: rigId });
    const other = town.convoy({ defaultRigId: rigId });
    const slit = { id: `${rigId.slice(0, 8)}-slit`, name: 'Slit' };
    await project(held.created([{}]), other.created([{}]));
    // Written in this order, applied with the held convoy's commits last.
    await appendThenApply(
      [dispatchTo(held, 0, 1, slit), held.submitted(0, 1), dispatchTo(other, 0, 1, slit)],
      [2, 0, 1],
    );
    expect(await agent(town, slit.id)).toMatchObject({
      status: 'WORKING',
      current_bead_id: other.bead(0),
      current_attempt: 1,
      attempts_total: 2,
    });
    expect(await attempts(held, 0)).toEqual([expect.objectContaining({ outcome: 'SUBMITTED', agent_id: slit.id })]);
  });
});
