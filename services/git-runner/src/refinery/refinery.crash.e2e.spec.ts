import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EventOf, GastownEvent } from '@gastown/contracts';
import { eventually } from '@gastown/testing';
import { RunnerFixture, type DispatchedBead, type TestRig } from '../testing/runner.fixture';

/**
 * A runner SIGKILLed while a merge batch's checks run: the batch stays open, the merge jobs come
 * back to another runner after the ack wait, and its new batch takes the beads (the old one is
 * recorded abandoned). Every bead is merged once, and only trees whose checks passed reach origin.
 */
describe('the merge queue when its runner dies mid-batch', () => {
  let fixture: RunnerFixture;
  /** Shown read-only to the sandboxed checks (GIT_RUNNER_SANDBOX_READ_ONLY). */
  const gates = mkdtempSync(join(tmpdir(), 'gt-crash-gates-'));
  chmodSync(gates, 0o755);

  beforeAll(async () => {
    fixture = await RunnerFixture.start({ GIT_RUNNER_SANDBOX_READ_ONLY: gates });
  });

  afterAll(async () => {
    await fixture?.close();
    rmSync(gates, { recursive: true, force: true });
  });

  it('given a batch whose checks are running, when its runner is SIGKILLed, then another runner abandons that batch, merges every bead once and pushes only checked trees', async () => {
    const gate = join(gates, 'gate');
    const hold = join(gates, 'hold');
    execFileSync('mkfifo', ['-m', '0666', gate]);
    writeFileSync(hold, '');
    // Blocks on the gate while the hold file exists: the first runner's checks, never the second's.
    const check = { name: 'gated', command: ['node', '-e', `const fs = require('fs'); if (fs.existsSync(${JSON.stringify(hold)})) fs.readFileSync(${JSON.stringify(gate)})`] };
    const rig = await fixture.registerRig({ checks: [check] });
    const first = await fixture.startRunner('runner-a');
    const { convoyId, feature, beads } = await submitted(rig, 3);
    const pushLog = join(rig.origin.url, 'pushed-tips.log');
    writeFileSync(pushLog, '');
    writeFileSync(join(rig.origin.url, 'hooks', 'post-receive'), `#!/bin/sh\nwhile read old new ref; do echo "$ref $new" >> ${JSON.stringify(pushLog)}; done\n`, { mode: 0o755 });

    for (const bead of beads) await fixture.publish(mergeJob(rig, convoyId, bead));
    // Opening the gate for writing returns once a check is blocked reading it: the batch is started and checking.
    const writer = await open(gate, 'w');
    const [abandoned] = ofType(await fixture.events(convoyId), 'MergeBatchStarted');
    first.child.kill('SIGKILL');
    rmSync(hold);
    await fixture.startRunner('runner-b');

    const events = await eventually(
      'every bead merged and every batch ended',
      async () => {
        const all = await fixture.events(convoyId);
        return ofType(all, 'BeadMerged').length === 3 && ofType(all, 'MergeBatchEnded').length === ofType(all, 'MergeBatchStarted').length ? all : null;
      },
      { timeoutMs: 90_000 },
    );
    await writer.close();

    const ended = new Map(ofType(events, 'MergeBatchEnded').map((e) => [e.data.batchId, e.data]));
    expect(ended.get(abandoned.data.batchId)).toMatchObject({ outcome: 'ABANDONED', mergedBeadIds: [] });
    const merged = ofType(events, 'BeadMerged');
    expect(new Set(merged.map((e) => e.data.beadId))).toEqual(new Set(beads.map((b) => b.beadId)));
    expect(merged.every((e) => e.data.batchId !== abandoned.data.batchId)).toBe(true);
    expect(Number(rig.origin.git(['rev-list', '--merges', '--count', `${abandoned.data.baseCommit}..${feature}`], rig.origin.url))).toBe(3);
    const passed = new Set(ofType(events, 'MergeBatchChecked').filter((e) => e.data.outcome !== 'FAILED').map((e) => e.data.commit));
    const pushed = readFileSync(pushLog, 'utf8').split('\n').filter((line) => line.startsWith(`refs/heads/${feature} `));
    expect(pushed.length).toBeGreaterThan(0);
    for (const line of pushed) expect(passed).toContain(line.split(' ')[1]);
  }, 150_000);

  async function submitted(rig: TestRig, count: number) {
    const { convoyId, beadIds } = await fixture.sling(rig, Array.from({ length: count }, (_, i) => ({ title: `Bead ${i}` })), { title: 'Crash spec', parallel: true });
    const feature = await fixture.featureBranch(convoyId, rig.rigId);
    await fixture.publish({ kind: 'branch', townId: fixture.townId, convoyId, rigId: rig.rigId, branch: feature });
    await eventually('the feature branch on origin', async () => rig.origin.tip(feature));
    const beads: DispatchedBead[] = [];
    for (const [index, beadId] of beadIds.entries()) {
      const bead = await fixture.dispatch(convoyId, beadId, `polecat-${index}`);
      const head = rig.origin.commit(bead.branch, { [`bead-${index}.txt`]: `${index}\n` }, { from: feature });
      await fixture.command('SubmitBead', convoyId, { beadId, attempt: bead.attempt, branch: bead.branch, headCommit: head });
      beads.push(bead);
    }
    return { convoyId, feature, beads };
  }

  const mergeJob = (rig: TestRig, convoyId: string, bead: DispatchedBead) =>
    ({ kind: 'merge', townId: fixture.townId, convoyId, rigId: rig.rigId, beadId: bead.beadId, attempt: bead.attempt }) as const;
  const ofType = <T extends GastownEvent['type']>(events: GastownEvent[], type: T) => events.filter((e) => e.type === type) as unknown as EventOf<T>[];
});
