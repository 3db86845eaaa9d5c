import { randomUUID } from 'node:crypto';
import { DEFAULT_RIG_CONFIG, type EventData, type EventType, type GastownEvent } from '@gastown/contracts';
import { foldConvoy, rigsOf, targetBranchOf } from './convoy.view';

const town = randomUUID();
const convoy = randomUUID();
const rig = randomUUID();
const [a, b] = [randomUUID(), randomUUID()];
const sha = (c: string) => c.repeat(40);
let clock = 0;

function ev<K extends EventType>(type: K, data: EventData<K>): GastownEvent {
  return {
    eventId: randomUUID(),
    type,
    schemaVersion: 1,
    townId: town,
    convoyId: convoy,
    commandId: randomUUID(),
    causationId: null,
    correlationId: 'c',
    actor: { kind: 'service', id: 'spec' },
    occurredAt: new Date(Date.UTC(2026, 10, 25, 9, 0, clock++)).toISOString(),
    data,
  } as GastownEvent;
}

const created = [
  ev('ConvoyCreated', {
    title: 'Login',
    slug: 'login',
    mergeMode: 'REVIEW_THEN_LAND',
    staged: false,
    parallel: false,
    defaultRigId: rig,
    maxAttempts: 3,
    maxLandingAttempts: 3,
    featureBranches: [{ rigId: rig, branch: 'convoy/login/abcd1234/head' }],
  }),
  ev('BeadCreated', { beadId: a, index: 0, title: 'Schema', body: 'add table', rigId: rig, dependsOn: [] }),
  ev('BeadCreated', { beadId: b, index: 1, title: 'API', body: 'add endpoint', rigId: rig, dependsOn: [a] }),
  ev('BeadsBecameReady', { beadIds: [a] }),
];
const dispatchedA = ev('BeadDispatched', {
  beadId: a,
  attempt: 1,
  agent: { id: 'p1', name: 'Nux' },
  branch: 'convoy/login/abcd1234/gt/nux/aaaa0000',
  baseBranch: 'convoy/login/abcd1234/head',
  previousReason: null,
});

describe('convoy view', () => {
  it('given a new convoy, then its first wave is ready and beads target the feature branch', () => {
    const view = foldConvoy(town, convoy, created);
    expect(view.status).toBe('ACTIVE');
    expect([...view.beads.values()].filter((x) => x.ready).map((x) => x.beadId)).toEqual([a]);
    expect(rigsOf(view)).toEqual([rig]);
    expect(targetBranchOf(view, view.beads.get(a)!, 'main')).toBe('convoy/login/abcd1234/head');
  });

  it('given a bead dispatched, submitted and merged, then it is CLOSED with its commit and its dependent becomes ready', () => {
    const view = foldConvoy(town, convoy, [
      ...created,
      dispatchedA,
      ev('BeadSubmitted', { beadId: a, attempt: 1, branch: 'convoy/login/abcd1234/gt/nux/aaaa0000', headCommit: sha('a'), agentResult: null }),
      ev('BeadMerged', { beadId: a, attempt: 1, mergeCommit: sha('b'), targetBranch: 'convoy/login/abcd1234/head', batchId: null }),
      ev('BeadsBecameReady', { beadIds: [b] }),
    ]);
    expect(view.beads.get(a)).toMatchObject({ status: 'CLOSED', mergeCommit: sha('b'), agent: null });
    expect(view.beads.get(b)).toMatchObject({ status: 'OPEN', ready: true });
  });

  it('given a bead whose merge push was claimed, when its merge is recorded, then no merge push of it is under way any longer', () => {
    const target = 'convoy/login/abcd1234/head';
    const view = foldConvoy(town, convoy, [
      ...created,
      dispatchedA,
      ev('BeadSubmitted', { beadId: a, attempt: 1, branch: 'convoy/login/abcd1234/gt/nux/aaaa0000', headCommit: sha('a'), agentResult: null }),
      ev('BeadMergeClaimed', { beadId: a, attempt: 1, mergeCommit: sha('b'), targetBranch: target }),
      ev('BeadMerged', { beadId: a, attempt: 1, mergeCommit: sha('b'), targetBranch: target, batchId: null }),
    ]);
    expect(view.beads.get(a)).toMatchObject({ status: 'CLOSED', mergeCommit: sha('b'), mergeClaim: null });
  });

  it('given two failed attempts, then the failures are counted for the back-off and the reason kept for the prompt', () => {
    const view = foldConvoy(town, convoy, [
      ...created,
      dispatchedA,
      ev('BeadAttemptFailed', { beadId: a, attempt: 1, reason: 'exit 1', agentResult: null }),
      { ...dispatchedA, eventId: randomUUID(), data: { ...(dispatchedA.data as object), attempt: 2 } } as GastownEvent,
      ev('BeadAgentLost', { beadId: a, attempt: 2, agentId: 'p1', reason: 'runner died' }),
    ]);
    expect(view.beads.get(a)).toMatchObject({ status: 'OPEN', attempt: 2, consecutiveFailures: 2, previousReason: 'runner died' });
    expect(view.beads.get(a)?.lastFailureAt).not.toBeNull();
  });

  it('given a cancelled convoy, then every unfinished bead reads CANCELLED and the reason is kept', () => {
    const view = foldConvoy(town, convoy, [
      ...created,
      ev('ConvoyCancelled', { reason: 'plan changed', stopAgents: [], dropReviews: [], dropLanding: false }),
      ev('BeadCancelled', { beadId: a, previousStatus: 'OPEN' }),
      ev('BeadCancelled', { beadId: b, previousStatus: 'OPEN' }),
    ]);
    expect(view.status).toBe('CANCELLED');
    expect(view.cancelReason).toBe('plan changed');
    expect([...view.beads.values()].map((x) => x.status)).toEqual(['CANCELLED', 'CANCELLED']);
  });

  it('given a landing that failed, then the convoy is back to READY_TO_LAND with the attempt remembered', () => {
    const view = foldConvoy(town, convoy, [
      ...created,
      ev('ConvoyReadyToLand', {}),
      ev('ConvoyLandingStarted', { attempt: 1 }),
      ev('ConvoyLandingFailed', { attempt: 1, reason: 'check failed', rigId: null }),
    ]);
    expect(view).toMatchObject({ status: 'READY_TO_LAND', landingAttempt: 1 });
    expect(view.lastLandingFailureAt).not.toBeNull();
  });

  it('given a town event, then the view ignores it', () => {
    const view = foldConvoy(town, convoy, [
      ev('RigRegistered', { rigId: rig, name: 'web', gitUrl: '/srv/web.git', defaultBranch: 'main', config: DEFAULT_RIG_CONFIG }),
    ]);
    expect(view.beads.size).toBe(0);
  });
});
