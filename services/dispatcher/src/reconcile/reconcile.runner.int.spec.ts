import { AckPolicy, type ConsumerMessages } from '@nats-io/jetstream';
import { commandIds, Job } from '@gastown/contracts';
import { eventually } from '@gastown/testing';
import { Harness, sha } from '../dispatch/dispatch.harness';

/**
 * The reconciler against the real convoy service and JetStream: nobody runs jobs here but the
 * test, which plays the runner (or loses its jobs) by hand.
 */
describe('reconciliation of in-flight work', () => {
  let world: Harness;
  let taker: ConsumerMessages | undefined;

  afterEach(async () => {
    await taker?.close();
    taker = undefined;
    await world?.stop();
  });

  /** A durable pull consumer standing in for the runners' agent consumer; `take` settles each job. */
  async function runnerStandIn(rigId: string, take: (job: Job & { kind: 'agent' }) => Promise<boolean>): Promise<void> {
    const { jsm, js, names } = world.bus;
    await jsm.consumers.add(names.jobStream, { durable_name: 'stand-in', filter_subject: names.job('agent', rigId), ack_policy: AckPolicy.Explicit });
    taker = await (await js.consumers.get(names.jobStream, 'stand-in')).consume({ max_messages: 1 });
    void (async () => {
      for await (const m of taker) {
        const job = Job.parse(m.json());
        if (job.kind === 'agent' && (await take(job))) m.ack();
      }
    })();
  }

  const onStream = async (key: string) => (await world.jobs()).some((j) => j.kind === 'agent' && `${j.beadId}:${j.attempt}` === key);

  it('given an agent job lost from the stream after BeadDispatched (and forgotten by the server, as after a restart), when its start deadline passes, then it is published again and its attempt starts, not LOST', async () => {
    world = await Harness.start();
    const { jsm, names } = world.bus;
    // A restarted server rebuilds its duplicate memory from the messages it still has, so a lost
    // job's id is forgotten with it; a 100 ms window stands in for that here.
    const { config } = await jsm.streams.info(names.jobStream);
    await jsm.streams.update(names.jobStream, { ...config, duplicate_window: 100_000_000 });
    const rigId = await world.rig(1);
    const convoy = await world.sling([rigId], 'REVIEW_AND_MERGE');
    const [beadId] = convoy.beadIds;
    const deadlineMs = 1_500;
    const dispatcher = await world.dispatcher('reconciler-a', { retryBaseMs: 50, retryMaxMs: 200 }, { startDeadlineMs: deadlineMs, maxRepublishes: 2 });

    await eventually('the agent job on the stream', () => onStream(`${beadId}:1`));
    await jsm.streams.purge(names.jobStream, { filter: names.job('agent', rigId) });
    const lostAt = Date.now();

    await eventually('the job published again', () => onStream(`${beadId}:1`), { timeoutMs: 3 * deadlineMs + 5_000 });
    await runnerStandIn(rigId, async (job) => {
      await world.command(convoy.convoyId, 'MarkBeadStarted', { beadId: job.beadId, attempt: job.attempt }, commandIds.markBeadStarted(job.beadId, job.attempt));
      return true;
    });
    await eventually('the attempt started', async () => (await world.events(convoy.convoyId)).some((e) => e.type === 'BeadStarted'));
    const runningAgainMs = Date.now() - lostAt;

    // Within one deadline of the loss, plus the time the deadline was already running when it happened.
    expect(runningAgainMs).toBeLessThan(2 * deadlineMs + 2_000);
    expect(dispatcher.lines.filter((l) => l.includes(`job agent:${beadId}:1 was not on the jobs stream`))).toHaveLength(1);
    const types = (await world.events(convoy.convoyId)).map((e) => e.type);
    expect(types).not.toContain('BeadAgentLost');
    expect(types.filter((t) => t === 'BeadDispatched')).toHaveLength(1);
    process.stdout.write(`lost agent job → attempt started: ${runningAgainMs} ms (start deadline ${deadlineMs} ms)\n`);
  });

  it('given a merge job lost after its push was granted, when the convoy is closed, then the job is still published again under its own id, so the merge under way is recorded', async () => {
    world = await Harness.start();
    const { jsm, names } = world.bus;
    // As above: a lost job's id is forgotten by a restarted server.
    const { config } = await jsm.streams.info(names.jobStream);
    await jsm.streams.update(names.jobStream, { ...config, duplicate_window: 100_000_000 });
    const rigId = await world.rig(1);
    const convoy = await world.sling([rigId], 'REVIEW_AND_MERGE');
    const [beadId] = convoy.beadIds;
    const deadlineMs = 1_500;
    const dispatcher = await world.dispatcher('reconciler-c', { retryBaseMs: 50, retryMaxMs: 200 }, { startDeadlineMs: deadlineMs, maxRepublishes: 2 });
    const mergeJobOnStream = async () => (await world.jobs()).some((j) => j.kind === 'merge' && j.beadId === beadId && j.attempt === 1);

    await eventually('the agent job on the stream', () => onStream(`${beadId}:1`));
    await world.command(convoy.convoyId, 'MarkBeadStarted', { beadId, attempt: 1 });
    const { branch } = (await world.view(convoy.convoyId)).beads.get(beadId) ?? {};
    await world.command(convoy.convoyId, 'SubmitBead', { beadId, attempt: 1, branch, headCommit: sha('ab') });
    await eventually('the merge job on the stream', mergeJobOnStream);
    await world.command(convoy.convoyId, 'ClaimMergePush', { beadId, attempt: 1, mergeCommit: sha('cd') });
    await jsm.streams.purge(names.jobStream, { filter: names.job('merge', rigId) });
    await world.command(convoy.convoyId, 'CloseConvoy', { reason: 'plan changed' });

    await eventually('the merge job published again', mergeJobOnStream, { timeoutMs: 3 * deadlineMs + 5_000 });
    expect(dispatcher.lines.filter((l) => l.includes(`job merge:${beadId}:1 was not on the jobs stream`))).toHaveLength(1);
    expect((await world.view(convoy.convoyId)).beads.get(beadId)).toMatchObject({ status: 'IN_REVIEW', mergeClaim: sha('cd') });
  });

  it('given a runner that takes an agent job and never starts it, when it keeps vanishing past the re-publishes allowed, then the attempt is LOST once and the bead is dispatched again', async () => {
    world = await Harness.start();
    const rigId = await world.rig(1);
    const convoy = await world.sling([rigId], 'REVIEW_AND_MERGE');
    const [beadId] = convoy.beadIds;
    const dispatcher = await world.dispatcher('reconciler-b', { retryBaseMs: 50, retryMaxMs: 200 }, { startDeadlineMs: 500, maxRepublishes: 1 });
    // Attempt 1's job is acknowledged and dropped each time it comes; attempt 2's is left queued.
    await runnerStandIn(rigId, async (job) => job.attempt === 1);

    await eventually('attempt 2 dispatched', async () => (await world.view(convoy.convoyId)).beads.get(beadId)?.attempt === 2, { timeoutMs: 20_000 });
    await eventually('attempt 2 queued on the stream', () => onStream(`${beadId}:2`));

    const events = await world.events(convoy.convoyId);
    const lost = events.filter((e) => e.type === 'BeadAgentLost');
    expect(lost).toHaveLength(1);
    expect(lost[0].data).toMatchObject({ beadId, attempt: 1, reason: expect.stringMatching(/did not start: it left the jobs stream unstarted 2 times/) });
    expect(lost[0].commandId).toBe(commandIds.reportAgentLost(beadId, 1));
    expect(dispatcher.lines.some((l) => l.includes(`attempt 1 of bead ${beadId} reported LOST`))).toBe(true);
  });
});
