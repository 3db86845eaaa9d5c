import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventually } from '@gastown/testing';
import { RunnerFixture, type TestRig } from '../testing/runner.fixture';

/**
 * Close means closed for landings: a landing under way when the convoy is closed is either
 * stopped before its push (and recorded as aborted) or, when its push was granted first, recorded
 * when it lands, and the close answers that it may. The gates are fifos the test opens for
 * writing: opening returns once the check, the runner's merge or origin's pre-receive hook is
 * blocked reading it, so no test waits on time.
 */
describe('the landing when a convoy is closed during it', () => {
  const RUNNER = 'runner-a';
  let fixture: RunnerFixture;
  /** Shown read-only to the sandboxed checks (GIT_RUNNER_SANDBOX_READ_ONLY). */
  const gates = mkdtempSync(join(tmpdir(), 'gt-land-close-gates-'));
  chmodSync(gates, 0o755);

  beforeAll(async () => {
    fixture = await RunnerFixture.start({ GIT_RUNNER_SANDBOX_READ_ONLY: gates }, { gateway: true });
    await fixture.startRunner(RUNNER);
  });

  afterAll(async () => {
    await fixture?.close();
    rmSync(gates, { recursive: true, force: true });
  });

  const gatePath = () => join(gates, randomUUID());
  const makeGate = (path: string) => execFileSync('mkfifo', ['-m', '0666', path]);

  /** Waits until a reader is blocked on the gate, then lets it through. */
  async function opened(path: string) {
    const writer = await open(path, 'w');
    return { release: async () => writer.close() };
  }

  /** A hook that waits on `gate` before it lets git go on. */
  const hook = (path: string, gate: string) => writeFileSync(path, `#!/bin/sh\ncat ${JSON.stringify(gate)} > /dev/null\n`, { mode: 0o755 });

  /** A one-bead review-then-land convoy whose bead (adding `file`) is merged into the feature branch, landing attempt 1 started. */
  async function landing(rig: TestRig, file: string) {
    const { convoyId, beadIds } = await fixture.sling(rig, [{ title: 'Late change' }], { title: 'Close spec' });
    const scope = { townId: fixture.townId, convoyId, rigId: rig.rigId };
    const feature = await fixture.featureBranch(convoyId, rig.rigId);
    await fixture.publish({ kind: 'branch', ...scope, branch: feature });
    await eventually('the feature branch on origin', async () => rig.origin.tip(feature));
    const bead = await fixture.dispatch(convoyId, beadIds[0]);
    const head = rig.origin.commit(bead.branch, { [file]: 'late\n' }, { from: feature });
    await fixture.command('SubmitBead', convoyId, { beadId: bead.beadId, attempt: 1, branch: bead.branch, headCommit: head });
    await fixture.publish({ kind: 'merge', ...scope, beadId: bead.beadId, attempt: 1 });
    await fixture.waitForEvent(convoyId, 'ConvoyReadyToLand');
    await fixture.command('StartLanding', convoyId, {});
    const land = (phase: 'prepare' | 'push') => fixture.publish({ kind: 'land', ...scope, attempt: 1, phase });
    return { convoyId, land, before: rig.origin.tip('main') };
  }

  async function preparedLanding(rig: TestRig, file: string) {
    const convoy = await landing(rig, file);
    await convoy.land('prepare');
    await fixture.waitForEvent(convoy.convoyId, 'ConvoyLandingPrepared');
    return convoy;
  }

  const typesOf = async (convoyId: string) => (await fixture.events(convoyId)).map((e) => e.type);
  const hasFile = (rig: TestRig, file: string) => rig.origin.git(['ls-tree', '--name-only', '-r', 'main'], rig.origin.url).split('\n').includes(file);

  it('given a landing whose checks are running, when the convoy is closed, then the landing is never prepared nor pushed and main is untouched', async () => {
    // The check waits only once the gate exists: the bead's own merge ran it before that.
    const checkGate = gatePath();
    const check = ['node', '-e', `const fs = require('fs'); if (fs.existsSync(${JSON.stringify(checkGate)})) fs.readFileSync(${JSON.stringify(checkGate)})`];
    const rig = await fixture.registerRig({ checks: [{ name: 'slow', command: check }] });
    const { convoyId, land, before } = await landing(rig, 'checked.txt');
    makeGate(checkGate);

    await land('prepare');
    const checking = await opened(checkGate);
    const closed = await fixture.closeConvoy(convoyId);
    await checking.release();
    await eventually('the prepare job to be acknowledged', async () => (await fixture.pendingJobs()) === 0);
    // A push job already on its way (a dispatcher that had not seen the close) finds the convoy closed.
    await land('push');
    await eventually('the push job to be acknowledged', async () => (await fixture.pendingJobs()) === 0);

    expect(closed).toMatchObject({ status: 'CANCELLED', landingsUnderWay: [] });
    expect(rig.origin.tip('main')).toBe(before);
    expect(hasFile(rig, 'checked.txt')).toBe(false);
    const types = await typesOf(convoyId);
    expect(types).not.toContain('RigLandingPrepared');
    expect(types).not.toContain('RigLandingClaimed');
    expect(types).not.toContain('RigLanded');
  });

  it('given a push that read the convoy still landing, when the convoy is closed before the push is claimed, then nothing is pushed and the history says the landing was aborted', async () => {
    const rig = await fixture.registerRig();
    const { convoyId, land, before } = await preparedLanding(rig, 'fenced.txt');
    // The push makes its merge again in the runner's clone; its post-merge hook holds it there, after the convoy was read.
    const mergeGate = gatePath();
    makeGate(mergeGate);
    hook(join(fixture.runnerRoot(RUNNER), 'rigs', fixture.townId, rig.rigId, 'clone', 'hooks', 'post-merge'), mergeGate);

    await land('push');
    const merging = await opened(mergeGate);
    const closed = await fixture.closeConvoy(convoyId);
    await merging.release();

    expect(closed).toMatchObject({ status: 'CANCELLED', landingsUnderWay: [] });
    const aborted = await fixture.waitForEvent(convoyId, 'RigLandingAborted');
    expect(aborted.data).toEqual({ rigId: rig.rigId, attempt: 1, reason: 'convoy "Close spec" was closed before this landing was pushed' });
    await eventually('the push job to be acknowledged', async () => (await fixture.pendingJobs()) === 0);
    expect(rig.origin.tip('main')).toBe(before);
    expect(hasFile(rig, 'fenced.txt')).toBe(false);
    const types = await typesOf(convoyId);
    expect(types).not.toContain('RigLandingClaimed');
    expect(types).not.toContain('RigLanded');
  });

  it('given a landing whose push was granted before the close, when git accepts it, then the landing is recorded after the close, which named it, and the rig reads landed', async () => {
    const rig = await fixture.registerRig();
    const { convoyId, land, before } = await preparedLanding(rig, 'granted.txt');
    const pushGate = gatePath();
    makeGate(pushGate);
    hook(join(rig.origin.url, 'hooks', 'pre-receive'), pushGate);

    await land('push');
    const pushing = await opened(pushGate);
    const closed = await fixture.closeConvoy(convoyId);
    await pushing.release();

    expect(closed).toMatchObject({ status: 'CANCELLED', mergesUnderWay: [], landingsUnderWay: [{ rigId: rig.rigId, status: 'PUSHING' }] });
    const landed = await fixture.waitForEvent(convoyId, 'RigLanded');
    expect(landed.data).toEqual({ rigId: rig.rigId, commit: rig.origin.tip('main'), targetBranch: 'main' });
    expect(rig.origin.git(['rev-list', '--parents', '-n', '1', landed.data.commit], rig.origin.url).split(' ')[1]).toBe(before);
    expect(hasFile(rig, 'granted.txt')).toBe(true);
    const types = await typesOf(convoyId);
    expect(types.filter((t) => ['RigLandingClaimed', 'ConvoyCancelled', 'RigLanded', 'RigLandingAborted', 'ConvoyLanded'].includes(t))).toEqual([
      'RigLandingClaimed',
      'ConvoyCancelled',
      'RigLanded',
    ]);
    const after = await eventually('the rig to read landed', async () => {
      const convoy = await fixture.convoy(convoyId);
      return convoy.landings[0]?.status === 'LANDED' ? convoy : null;
    });
    expect(after).toMatchObject({ status: 'CANCELLED', landingsUnderWay: [], landings: [{ rigId: rig.rigId, status: 'LANDED', commit: landed.data.commit }] });
  });
});
