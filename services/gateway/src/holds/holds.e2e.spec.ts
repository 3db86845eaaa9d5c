import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { connectBus, EventStore, type Bus } from '@gastown/bus';
import { eventually, legacyConvoyCommit, TEST_NATS_URL } from '@gastown/testing';
import { GatewayHarness, type TestTown } from '../gateway.fixtures';

const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };
const ROOT = join(__dirname, '../../../..');


interface HeldConvoy {
  id: string;
  title: string;
  status: string;
  held: boolean;
  heldReason: string | null;
  heldSince: string | null;
  hold: { service: string; seq: number; reason: string; since: string } | null;
}
const HELD_FIELDS = 'id title status held heldReason heldSince hold { service seq reason since }';

/** An operator's script (`npm run holds -- …`, `npm run rebuild-read-models`) with the gateway's settings. */
function operator(h: GatewayHarness, script: string, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['-r', '@swc-node/register', script, ...args],
      { cwd: ROOT, env: { ...process.env, DATABASE_URL: h.db.url, NATS_URL: TEST_NATS_URL, GT_NAMESPACE: h.namespace } },
      (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

const holds = (h: GatewayHarness, ...args: string[]) => operator(h, 'services/gateway/src/holds/holds.main.ts', ...args);

describe('held convoys, as the town and the operator see them', () => {
  let h: GatewayHarness;
  let bus: Bus;
  let town: TestTown;
  let rigId: string;
  let donorBeadId: string;

  const readConvoy = async (id: string) =>
    (await h.ok<{ convoy: HeldConvoy }>(town.token, `query ($id: ID!) { convoy(id: $id) { ${HELD_FIELDS} } }`, { id })).convoy;

  /**
   * Appends a commit as a faulty convoy service could have written it: a bead whose id another
   * convoy already has. The convoy service folds each convoy on its own and takes it; the read
   * model's primary key refuses it (SQLSTATE 23505), so the projector holds the convoy.
   */
  const appendUnstorableBead = async (convoyId: string, expectedSeq: number, index: number, extra: Parameters<typeof legacyConvoyCommit>[2] = []) => {
    const old = legacyConvoyCommit(town.id, convoyId, [
      ...extra,
      { type: 'BeadCreated', data: { beadId: donorBeadId, index, title: 'Twin', body: '', rigId, dependsOn: [] } },
    ]);
    const { seq } = await new EventStore(bus).append(bus.names.convoyEvents(town.id, convoyId), { commitId: old.commandId, expectedSeq, events: old.events });
    return seq;
  };

  beforeAll(async () => {
    h = await GatewayHarness.start();
    bus = await connectBus({ servers: TEST_NATS_URL, namespace: h.namespace, name: 'holds-spec', logger: quiet });
    town = await h.createTown('held town');
    const { registerRig } = await h.ok<{ registerRig: { id: string } }>(
      town.token,
      `mutation ($input: RegisterRigInput!) { registerRig(input: $input) { id } }`,
      { input: { name: 'web', gitUrl: '/srv/git/web.git', defaultBranch: 'main' } },
    );
    rigId = registerRig.id;
    const { slingBatch } = await h.ok<{ slingBatch: { beads: { id: string }[] } }>(
      town.token,
      `mutation ($input: SlingBatchInput!) { slingBatch(input: $input) { beads { id } } }`,
      { input: { title: 'Donor', defaultRigId: rigId, staged: true, tasks: [{ title: 'Original' }] } },
    );
    donorBeadId = slingBatch.beads[0].id;
  });

  afterAll(async () => {
    await bus?.close();
    await h?.close();
  });

  it('given a convoy held on its first commit, then it reads held with its reason instead of NOT_FOUND, is closed at once with an answer that says so, and the operator lists it', async () => {
    const convoyId = randomUUID();
    const created = {
      type: 'ConvoyCreated' as const,
      data: { title: 'Poisoned', slug: 'poisoned', mergeMode: 'REVIEW_AND_MERGE', staged: true, parallel: false, defaultRigId: rigId, maxAttempts: 3, maxLandingAttempts: 3, featureBranches: [] },
    };
    const appendedAt = performance.now();
    const seq = await appendUnstorableBead(convoyId, 0, 0, [created]);

    const convoy = await eventually('the convoy to read held', async () => {
      const answer = await h.gql<{ convoy: HeldConvoy }>(town.token, `query ($id: ID!) { convoy(id: $id) { ${HELD_FIELDS} } }`, { id: convoyId });
      return answer.data?.convoy?.held ? answer.data.convoy : null;
    });
    const visibleMs = performance.now() - appendedAt;
    console.info(`held → visible through GraphQL: ${visibleMs.toFixed(0)} ms`);

    expect(convoy).toMatchObject({ id: convoyId, title: 'Poisoned', status: 'STAGED', held: true, hold: { service: 'projector', seq } });
    expect(convoy.heldReason).toContain('SQLSTATE 23505');
    expect(convoy.hold?.reason).toBe(convoy.heldReason);
    expect(Date.parse(convoy.heldSince ?? '')).toBeGreaterThan(0);

    const closing = performance.now();
    const { closeConvoy } = await h.ok<{ closeConvoy: HeldConvoy }>(
      town.token,
      `mutation ($id: ID!) { closeConvoy(id: $id, reason: "not wanted") { ${HELD_FIELDS} } }`,
      { id: convoyId },
    );
    expect(performance.now() - closing).toBeLessThan(5_000);
    expect(closeConvoy).toMatchObject({ id: convoyId, held: true, heldReason: convoy.heldReason });
    const stored = await new EventStore(bus).readSubject(bus.names.convoyEvents(town.id, convoyId));
    expect(stored.at(-1)?.events.map((e) => e.type)).toContain('ConvoyCancelled');

    const listed = await holds(h, 'list');
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(new RegExp(`projector\\s+${bus.names.convoyEvents(town.id, convoyId).replace(/\./g, '\\.')}\\s+${seq}\\s+\\S+\\s+rejected by the read-model schema \\(SQLSTATE 23505\\)`));
  });

  it('given a convoy held on a later commit, when the operator retries without a fix it stays held, and when they skip the message with a reason the convoy moves on and its history says who skipped what and why', async () => {
    const { slingBatch } = await h.ok<{ slingBatch: { id: string } }>(
      town.token,
      `mutation ($input: SlingBatchInput!) { slingBatch(input: $input) { id } }`,
      { input: { title: 'Later', defaultRigId: rigId, staged: true, tasks: [{ title: 'One' }] } },
    );
    const subject = bus.names.convoyEvents(town.id, slingBatch.id);
    const seq = await appendUnstorableBead(slingBatch.id, await new EventStore(bus).lastSeq(subject), 1);
    await eventually('the convoy to read held', async () => (await readConvoy(slingBatch.id)).held);

    const retried = await holds(h, 'retry', subject);
    expect(retried).toMatchObject({ code: 1, stdout: expect.stringContaining(`still held at seq ${seq}: rejected by the read-model schema (SQLSTATE 23505)`) });

    const { closeConvoy } = await h.ok<{ closeConvoy: HeldConvoy }>(
      town.token,
      `mutation ($id: ID!) { closeConvoy(id: $id, reason: "stuck") { ${HELD_FIELDS} } }`,
      { id: slingBatch.id },
    );
    expect(closeConvoy).toMatchObject({ status: 'STAGED', held: true });

    const skipped = await holds(h, 'skip', subject, '--reason', 'bead id from a broken build');
    expect(skipped).toMatchObject({ code: 0, stdout: `${subject}: skipped seq ${seq}, applied 1, flowing again\n` });

    expect(await readConvoy(slingBatch.id)).toMatchObject({ status: 'CANCELLED', held: false, heldReason: null, heldSince: null, hold: null });
    const { convoy } = await h.ok<{ convoy: { events: { sequence: number; type: string; actor: { kind: string; id: string }; summary: string }[] } }>(
      town.token,
      'query ($id: ID!) { convoy(id: $id) { events { sequence type actor { kind id } summary } } }',
      { id: slingBatch.id },
    );
    const types = convoy.events.map((e) => e.type);
    expect(types.indexOf('MessageSkipped')).toBeLessThan(types.indexOf('ConvoyCancelled'));
    expect(convoy.events.find((e) => e.type === 'MessageSkipped')).toEqual({
      sequence: seq,
      type: 'MessageSkipped',
      actor: { kind: 'system', id: 'operator' },
      summary: expect.stringMatching(new RegExp(`^Message seq ${seq} skipped by operator: bead id from a broken build \\(it could not be applied: rejected by the read-model schema \\(SQLSTATE 23505\\)`)),
    });
    expect((await holds(h, 'list')).stdout).not.toContain(subject);

    // The skip is the operator's record, not a projection: a rebuild passes over the message again.
    expect((await operator(h, 'services/gateway/src/projection/rebuild.main.ts')).code).toBe(0);
    expect(await readConvoy(slingBatch.id)).toMatchObject({ status: 'CANCELLED', held: false });
    expect((await holds(h, 'list')).stdout).not.toContain(subject);
  });
});
