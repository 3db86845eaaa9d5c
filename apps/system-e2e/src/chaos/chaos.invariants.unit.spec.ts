import {
  beadsMergedTwice,
  cancelledChanges,
  diffReadModels,
  failedByFaults,
  runningAttempts,
  unexplainedHolds,
  unsettledConvoys,
  untestedPushes,
  violations,
  type BeadEvidence,
  type ChaosEvidence,
  type ConvoyEvidence,
} from './chaos.invariants';

const BEAD_A = 'aaaaaaaa-0000-4000-8000-000000000001';
const BEAD_B = 'bbbbbbbb-0000-4000-8000-000000000002';
const MAIN_0 = '0'.repeat(39) + '1';
const MERGE_A = 'a'.repeat(40);
const MERGE_B = 'b'.repeat(40);
const TREE_A = 'c'.repeat(40);
const TREE_B = 'd'.repeat(40);

function bead(id: string, title: string, overrides: Partial<BeadEvidence> = {}): BeadEvidence {
  return { id, title, status: 'CLOSED', lastReason: null, attempts: [{ number: 1, outcome: 'MERGED' }], ownBranches: [`bead/${title}/a1`], mergedEvents: 1, ...overrides };
}

/** A landed review-and-merge convoy whose two beads each arrived on main once. */
function landed(overrides: Partial<ConvoyEvidence> = {}): ConvoyEvidence {
  return {
    name: 'diamond',
    id: 'convoy-1',
    closed: false,
    status: 'LANDED',
    settled: true,
    held: false,
    heldReason: null,
    beads: [bead(BEAD_A, 'A'), bead(BEAD_B, 'B')],
    branches: [
      {
        name: 'main',
        mergeSubjects: ['Merge bead "B" (bbbbbbbb)', 'Merge bead "A" (aaaaaaaa)'],
        beadFileAdds: { 'beads/aaaaaaaa.md': 1, 'beads/bbbbbbbb.md': 1 },
        files: ['README.md', 'beads/aaaaaaaa.md', 'beads/bbbbbbbb.md'],
      },
      { name: 'bead/A/a1', mergeSubjects: [], beadFileAdds: { 'beads/aaaaaaaa.md': 1 }, files: ['README.md', 'beads/aaaaaaaa.md'] },
    ],
    targets: ['main'],
    targetPushes: [
      { branch: 'main', from: MAIN_0, to: MERGE_A, tree: TREE_A },
      { branch: 'main', from: MERGE_A, to: MERGE_B, tree: TREE_B },
    ],
    checkedCommits: [MERGE_A, MERGE_B],
    checkedLandingTrees: [],
    ...overrides,
  };
}

const evidence = (convoys: ConvoyEvidence[], rest: Partial<ChaosEvidence> = {}): ChaosEvidence => ({ convoys, settleBoundMs: 180_000, readModelDiff: [], holds: [], ...rest });

describe('the chaos invariants', () => {
  it('given a clean landed convoy, then nothing is violated', () => {
    expect(violations(evidence([landed()]))).toEqual([]);
  });

  it('given a convoy still ACTIVE, then it is named with its unfinished beads', () => {
    const stuck = landed({ status: 'ACTIVE', settled: false, beads: [bead(BEAD_A, 'A'), bead(BEAD_B, 'B', { status: 'IN_PROGRESS' })] });
    expect(unsettledConvoys(evidence([stuck]))).toEqual(['convoy "diamond" (convoy-1) is still ACTIVE 180 s after the last fault (beads: B IN_PROGRESS)']);
  });

  it('given a convoy FAILED although its work could succeed, then its failed beads and their reasons are named, while a closed convoy may end CANCELLED', () => {
    const failed = landed({ status: 'FAILED', beads: [bead(BEAD_A, 'A', { status: 'FAILED', lastReason: 'agent lost' }), bead(BEAD_B, 'B', { status: 'OPEN' })] });
    expect(failedByFaults(evidence([failed, landed({ id: 'convoy-2', status: 'CANCELLED', closed: true })]))).toEqual([
      `convoy "diamond" (convoy-1) ended FAILED (bead "A" (${BEAD_A}): agent lost)`,
    ]);
  });

  it('given a push whose tree no check passed on, then the commit and the branch are named, while a landing, a checked batch and a branch creation pass', () => {
    const feature = 'convoy/diamond/c0ffee00/head';
    const pushed = landed({
      targets: ['main', feature],
      targetPushes: [
        { branch: feature, from: '0'.repeat(40), to: MAIN_0, tree: TREE_A },
        { branch: feature, from: MAIN_0, to: MERGE_A, tree: TREE_A },
        { branch: feature, from: MERGE_A, to: MERGE_B, tree: 'f'.repeat(40) },
        { branch: 'main', from: MAIN_0, to: 'e'.repeat(40), tree: TREE_B },
      ],
      checkedCommits: [MERGE_A],
      checkedLandingTrees: [TREE_B],
    });
    expect(untestedPushes(evidence([pushed]))).toEqual([`convoy "diamond" (convoy-1): bbbbbbbbbbbb was pushed onto ${feature} though no check passed on its tree`]);
  });

  it('given a bead merged twice on main, then the bead and the branch are named', () => {
    const convoy = landed();
    const twice = landed({
      beads: [bead(BEAD_A, 'A', { mergedEvents: 2 }), convoy.beads[1] as BeadEvidence],
      branches: [{ ...(convoy.branches[0] as ConvoyEvidence['branches'][number]), mergeSubjects: ['Merge bead "A" (aaaaaaaa)', 'Merge bead "A" (aaaaaaaa)'] }],
    });
    expect(beadsMergedTwice(evidence([twice]))).toEqual([
      `convoy "diamond" (convoy-1): bead "A" (${BEAD_A}) has 2 BeadMerged events`,
      `convoy "diamond" (convoy-1): bead "A" (${BEAD_A}) has 2 merge commits on main`,
    ]);
  });

  it("given a cancelled bead whose file reached main, then it is reported, while its own branch may keep it", () => {
    const cancelled = landed({ status: 'CANCELLED', beads: [bead(BEAD_A, 'A', { status: 'CANCELLED' }), bead(BEAD_B, 'B')] });
    expect(cancelledChanges(evidence([cancelled]))).toEqual([
      `convoy "diamond" (convoy-1): cancelled bead "A" (${BEAD_A})'s beads/aaaaaaaa.md is on main`,
      `convoy "diamond" (convoy-1): cancelled bead "A" (${BEAD_A}) has a merge commit on main`,
    ]);
  });

  it('given an attempt left RUNNING, then the bead and attempt are named', () => {
    const running = landed({ beads: [bead(BEAD_A, 'A', { status: 'CANCELLED', attempts: [{ number: 2, outcome: 'RUNNING' }] })] });
    expect(runningAttempts(evidence([running]))).toEqual([`convoy "diamond" (convoy-1): bead "A" (${BEAD_A}) (CANCELLED) attempt 2 is still RUNNING`]);
  });

  it('given holds with and without reasons, then only the unexplained ones are violations', () => {
    const held = landed({ held: true, heldReason: null });
    expect(
      unexplainedHolds(evidence([held], { holds: [{ service: 'projector', subject: 's.1', reason: 'bad event' }, { service: 'dispatcher', subject: 's.2', reason: ' ' }] })),
    ).toEqual(['dispatcher holds s.2 without a reason', 'convoy "diamond" (convoy-1) reads held without a heldReason']);
  });

  it('given live and rebuilt tables, then missing rows and differing columns are named by key', () => {
    const live = { beads: [{ id: 'b1', status: 'CLOSED' }, { id: 'b2', status: 'OPEN' }] };
    const rebuilt = { beads: [{ id: 'b1', status: 'CANCELLED' }, { id: 'b3', status: 'OPEN' }] };
    expect(diffReadModels(live, rebuilt, { beads: ['id'] })).toEqual([
      'beads id=b1: status live "CLOSED" rebuilt "CANCELLED"',
      'beads id=b2: only live',
      'beads id=b3: only in the rebuild',
    ]);
  });
});
