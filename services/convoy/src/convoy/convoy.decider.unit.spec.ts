import { ConvoyCommand, type NewEvent } from '@gastown/contracts';
import { envelope, type GivenEvent } from '../decider/decider.specification';
import { createDecideContext, decide, evolve, initialState, progressOf } from './convoy.decider';
import { FREE_INTERRUPTIONS } from './convoy.rules';
import {
  AGENT,
  CHAIN,
  CONVOY_ID,
  DIAMOND,
  FEATURE_BRANCH,
  RIG_API,
  RIG_ELSEWHERE,
  RIG_WEB,
  SLUG,
  TITLE,
  TOWN_ID,
  addDependency,
  addTasks,
  bead,
  branchOf,
  close,
  command,
  ctx,
  deliver,
  dispatch,
  fail,
  failLanding,
  heldBy,
  historyOf,
  interrupt,
  lose,
  markStarted,
  merge,
  ready,
  released,
  removeDependency,
  retry,
  retryLanding,
  rework,
  rigLanded,
  sha,
  slingBatch,
  spec,
  start,
  startLanding,
  submit,
  task,
  unready,
} from './convoy.decider.fixture';

const created = (overrides: Partial<Extract<NewEvent, { type: 'ConvoyCreated' }>['data']> = {}): NewEvent => ({
  type: 'ConvoyCreated',
  data: {
    title: TITLE,
    slug: SLUG,
    mergeMode: 'REVIEW_THEN_LAND',
    staged: false,
    parallel: false,
    defaultRigId: RIG_API,
    maxAttempts: 3,
    maxLandingAttempts: 3,
    featureBranches: [{ rigId: RIG_API, branch: FEATURE_BRANCH }],
    ...overrides,
  },
});
const beadCreated = (index: number, title: string, dependsOn: number[] = [], rigId = RIG_API, body = ''): NewEvent => ({
  type: 'BeadCreated',
  data: { beadId: bead(index), index, title, body, rigId, dependsOn: dependsOn.map(bead) },
});
const dispatched = (index: number, attempt = 1, previousReason: string | null = null, baseBranch = FEATURE_BRANCH): NewEvent => ({
  type: 'BeadDispatched',
  data: { beadId: bead(index), attempt, agent: AGENT, branch: branchOf(index), baseBranch, previousReason },
});
const beadMerged = (index: number, attempt = 1, mergeCommit = sha('b'), targetBranch = FEATURE_BRANCH): NewEvent => ({
  type: 'BeadMerged',
  data: { beadId: bead(index), attempt, mergeCommit, targetBranch, batchId: null },
});

/** A diamond convoy whose first bead is under review. */
const diamondWithAInReview = () => historyOf([slingBatch(DIAMOND), dispatch(0), submit(0)]);
/** A diamond convoy whose first bead has used up its attempts and failed. */
const diamondWithAFailed = () =>
  historyOf([slingBatch(DIAMOND), dispatch(0), fail(0, 1), dispatch(0), fail(0, 2), dispatch(0), fail(0, 3)]);
/** Every bead of the diamond merged: a REVIEW_THEN_LAND convoy waiting to land. */
const diamondReadyToLand = () => historyOf([slingBatch(DIAMOND), ...[0, 1, 2, 3].flatMap((i) => deliver(i))]);
/** Two rigs, both beads merged, landing attempt 1 under way. */
const twoRigsLanding = () =>
  historyOf([
    slingBatch([task('API', [], RIG_API), task('Web', [0], RIG_WEB)]),
    ...deliver(0),
    ...deliver(1),
    startLanding(),
  ]);

describe('convoy decider', () => {
  describe('SlingBatch', () => {
    it('given no convoy, when a diamond is slung, then the convoy and its beads are created and only A is ready', () => {
      const decision = spec()
        .given([])
        .when(slingBatch(DIAMOND))
        .then([
          created(),
          beadCreated(0, 'A'),
          beadCreated(1, 'B', [0]),
          beadCreated(2, 'C', [0]),
          beadCreated(3, 'D', [1, 2]),
          ready(0),
        ]);
      expect(decision.result).toEqual({ convoyId: CONVOY_ID, beadIds: [0, 1, 2, 3].map(bead) });
    });

    it('given convoy c0ffee00…, when slung, then bead 0 is the UUID v5 of "bead:0" in the convoy id namespace', () => {
      const decision = spec().given([]).when(slingBatch([task('A')])).then([created(), beadCreated(0, 'A'), ready(0)]);
      expect(decision.result['beadIds']).toEqual(['62b23034-ad84-5dcc-be80-0a5f2b8c10db']);
    });

    it('given the same SlingBatch twice, when repeated, then the bead ids are the same and nothing is written', () => {
      const first = slingBatch(DIAMOND, {}, 'sling-1');
      const decision = spec().given(historyOf([first])).when(first).thenNothing();
      expect(decision).toEqual({ events: [], duplicate: true, result: { convoyId: CONVOY_ID, beadIds: [0, 1, 2, 3].map(bead) } });
    });

    it('given a convoy, when another SlingBatch with a new command id targets it, then it is a conflict', () => {
      spec()
        .given(historyOf([slingBatch(DIAMOND)]))
        .when(slingBatch(CHAIN))
        .thenThrows('CONFLICT', `convoy ${CONVOY_ID} already exists ("Ship login")`);
    });

    it('given a raw command without mergeMode, staged or parallel, when parsed and slung, then it is an unstaged REVIEW_THEN_LAND convoy', () => {
      const parsed = ConvoyCommand.parse({
        type: 'SlingBatch',
        commandId: 'raw-1',
        townId: TOWN_ID,
        convoyId: CONVOY_ID,
        actor: { kind: 'user', id: 'mayor' },
        data: { title: TITLE, defaultRigId: RIG_API, tasks: [{ title: 'A' }] },
      });
      spec().given([]).when(parsed).then([created(), beadCreated(0, 'A'), ready(0)]);
    });

    it('given titles with spaces around them, when slung, then titles are stored trimmed and the body defaults to empty', () => {
      spec()
        .given([])
        .when(slingBatch([{ title: '  A  ', body: 'Do it well' }], { title: '  Ship login ' }))
        .then([created(), beadCreated(0, 'A', [], RIG_API, 'Do it well'), ready(0)]);
    });

    it('given a task title of blanks, when slung, then the task is named by number', () => {
      spec()
        .given([])
        .when(slingBatch([task('A'), task('B', [0]), task('C', [1]), task('   ', [2])]))
        .thenThrows('BAD_USER_INPUT', 'task 3: title must not be empty');
    });

    it('given a dependsOn past the last task, when slung, then the error names the task, the slot and the range', () => {
      const error = spec()
        .given([])
        .when(slingBatch([task('A'), task('B', [0]), task('Build API', [0, 7]), task('D', [2]), task('E', [3])]))
        .thenThrows('BAD_USER_INPUT', 'task 2 ("Build API"): dependsOn[1] = 7 is out of range (tasks are numbered 0 to 4)');
      expect(error.details).toEqual({
        errors: [
          {
            path: ['tasks', 2, 'dependsOn', 1],
            value: 7,
            message: 'task 2 ("Build API"): dependsOn[1] = 7 is out of range (tasks are numbered 0 to 4)',
          },
        ],
      });
    });

    it('given a negative dependsOn, when slung, then it is out of range', () => {
      spec()
        .given([])
        .when(slingBatch([task('A', [-1]), task('B', [0])]))
        .thenThrows('BAD_USER_INPUT', 'task 0 ("A"): dependsOn[0] = -1 is out of range (tasks are numbered 0 to 1)');
    });

    it('given a task depending on itself, when slung, then the error says so', () => {
      spec()
        .given([])
        .when(slingBatch([task('A'), task('B', [0]), task('Build API', [2])]))
        .thenThrows('BAD_USER_INPUT', 'task 2 ("Build API"): dependsOn[0] = 2 refers to the task itself');
    });

    it('given a task on a rig of another town, when slung, then the rig is unknown here', () => {
      spec()
        .given([])
        .when(slingBatch([task('A'), task('X', [0], RIG_ELSEWHERE)]))
        .thenThrows('BAD_USER_INPUT', `task 1 ("X"): rigId "${RIG_ELSEWHERE}" is not a rig of this town`);
    });

    it('given an unknown default rig and an empty title, when slung, then both are reported', () => {
      spec()
        .given([])
        .when(slingBatch([task('A')], { title: ' ', defaultRigId: RIG_ELSEWHERE }))
        .thenThrows('BAD_USER_INPUT', `title must not be empty; defaultRigId "${RIG_ELSEWHERE}" is not a rig of this town`);
    });

    it('given several broken tasks, when slung, then every problem is reported at once', () => {
      const error = spec()
        .given([])
        .when(slingBatch([task(''), task('B', [5, 1]), task('C', [0], RIG_ELSEWHERE)]))
        .thenThrows(
          'BAD_USER_INPUT',
          'task 0: title must not be empty; ' +
            'task 1 ("B"): dependsOn[0] = 5 is out of range (tasks are numbered 0 to 2); ' +
            'task 1 ("B"): dependsOn[1] = 1 refers to the task itself; ' +
            `task 2 ("C"): rigId "${RIG_ELSEWHERE}" is not a rig of this town`,
        );
      expect((error.details?.['errors'] as { path: unknown[] }[]).map((e) => e.path)).toEqual([
        ['tasks', 0, 'title'],
        ['tasks', 1, 'dependsOn', 0],
        ['tasks', 1, 'dependsOn', 1],
        ['tasks', 2, 'rigId'],
      ]);
    });

    it('given 25 untitled tasks, when slung, then the message names 20 and counts the rest, and details keep all', () => {
      const error = spec()
        .given([])
        .when(slingBatch(Array.from({ length: 25 }, () => task('')), { parallel: true }))
        .thenThrows('BAD_USER_INPUT', /^task 0: title must not be empty; .*task 19: title must not be empty; and 5 more$/);
      expect(error.message.split('; ')).toHaveLength(21);
      expect(error.details?.['errors']).toHaveLength(25);
    });

    it('given repeated dependsOn indices, when slung, then they collapse into one dependency', () => {
      spec()
        .given([])
        .when(slingBatch([task('A'), task('B', [0, 0, 0])]))
        .then([created(), beadCreated(0, 'A'), beadCreated(1, 'B', [0]), ready(0)]);
    });

    it('given no tasks, when slung, then a convoy needs at least one', () => {
      spec().given([]).when(slingBatch([])).thenThrows('BAD_USER_INPUT', 'tasks: a convoy needs at least one task');
    });

    it('given a town limit of 3 tasks, when 4 are slung, then the limit is named', () => {
      spec(createDecideContext({ ...ctx, maxTasks: 3 }))
        .given([])
        .when(slingBatch([task('A'), task('B'), task('C'), task('D')], { parallel: true }))
        .thenThrows('BAD_USER_INPUT', 'tasks: 4 tasks exceed the limit of 3 per convoy');
    });

    it('given a limit of 3 dependencies per convoy, when a diamond (4 dependencies) is slung, then the count and the limit are named', () => {
      const error = spec(createDecideContext({ ...ctx, maxEdges: 3 }))
        .given([])
        .when(slingBatch(DIAMOND))
        .thenThrows('BAD_USER_INPUT', 'tasks: 4 dependencies (dependsOn entries) exceed the limit of 3 per convoy');
      expect(error.details?.['errors']).toEqual([{ path: ['tasks'], value: 4, message: 'tasks: 4 dependencies (dependsOn entries) exceed the limit of 3 per convoy' }]);
    });

    it('given a limit of 1 dependency per convoy, when a task repeats one dependency, then it counts once and the convoy is created', () => {
      spec(createDecideContext({ ...ctx, maxEdges: 1 }))
        .given([])
        .when(slingBatch([task('A'), task('B', [0, 0, 0])]))
        .then([created(), beadCreated(0, 'A'), beadCreated(1, 'B', [0]), ready(0)]);
    });

    it('given tasks that depend on later tasks, when slung, then the forward dependencies are kept', () => {
      spec()
        .given([])
        .when(slingBatch([task('Deploy', [1]), task('Build')]))
        .then([created(), beadCreated(0, 'Deploy', [1]), beadCreated(1, 'Build'), ready(1)]);
    });
  });

  describe('cycles', () => {
    it('given tasks 1 → 3 → 2 → 1, when slung, then the cycle is named by index and title and nothing is written', () => {
      const error = spec()
        .given([])
        .when(slingBatch([task('Root'), task('A', [0, 3]), task('B', [1]), task('C', [2])]))
        .thenThrows(
          'BAD_USER_INPUT',
          'tasks 1 → 3 → 2 → 1 form a cycle: "A" depends on "C", "C" depends on "B", "B" depends on "A"',
        );
      expect(error.details).toEqual({
        cycle: [
          { index: 1, title: 'A' },
          { index: 3, title: 'C' },
          { index: 2, title: 'B' },
          { index: 1, title: 'A' },
        ],
      });
    });

    it('given two tasks waiting for each other, when slung, then the loop is reported', () => {
      spec()
        .given([])
        .when(slingBatch([task('A', [1]), task('B', [0])]))
        .thenThrows('BAD_USER_INPUT', 'tasks 0 → 1 → 0 form a cycle: "A" depends on "B", "B" depends on "A"');
    });
  });

  describe('flat batches', () => {
    it('given two tasks without any dependsOn, when slung, then the user is told to order them or declare them parallel', () => {
      spec()
        .given([])
        .when(slingBatch([task('A'), task('B')]))
        .thenThrows(
          'BAD_USER_INPUT',
          '2 tasks and no dependsOn between them: flat batches of coupled work cause merge conflicts; ' +
            'add dependsOn to order the tasks, or set parallel: true if they are truly independent',
        );
    });

    it('given two independent tasks marked parallel, when slung, then both are ready at once', () => {
      spec()
        .given([])
        .when(slingBatch([task('A'), task('B')], { parallel: true }))
        .then([created({ parallel: true }), beadCreated(0, 'A'), beadCreated(1, 'B'), ready(0, 1)]);
    });
  });

  describe('branches', () => {
    it('given tasks on two rigs, when slung for REVIEW_THEN_LAND, then each rig gets the same feature branch', () => {
      spec()
        .given([])
        .when(slingBatch([task('API', [], RIG_WEB), task('Web', [0], RIG_API)], { defaultRigId: RIG_API }))
        .then([
          created({
            featureBranches: [
              { rigId: RIG_WEB, branch: 'convoy/ship-login/c0ffee00/head' },
              { rigId: RIG_API, branch: 'convoy/ship-login/c0ffee00/head' },
            ],
          }),
          beadCreated(0, 'API', [], RIG_WEB),
          beadCreated(1, 'Web', [0], RIG_API),
          ready(0),
        ]);
    });

    it('given a REVIEW_THEN_LAND convoy, when a bead is dispatched, then it works on its own branch off the feature branch', () => {
      const decision = spec()
        .given(historyOf([slingBatch(DIAMOND)]))
        .when(dispatch(0))
        .then([dispatched(0)]);
      expect(decision.result).toEqual({
        convoyId: CONVOY_ID,
        beadId: bead(0),
        attempt: 1,
        branch: `convoy/ship-login/c0ffee00/gt/ace/${bead(0).slice(0, 8)}`,
        baseBranch: 'convoy/ship-login/c0ffee00/head',
      });
    });

    it('given a REVIEW_AND_MERGE convoy on the web rig, when a bead is dispatched, then it branches off the rig default branch', () => {
      spec()
        .given(historyOf([slingBatch([task('A')], { mergeMode: 'REVIEW_AND_MERGE', defaultRigId: RIG_WEB })]))
        .when(dispatch(0))
        .then([dispatched(0, 1, null, 'trunk')]);
    });

    it('given a REVIEW_AND_MERGE plan, when slung, then there are no feature branches', () => {
      spec()
        .given([])
        .when(slingBatch([task('A')], { mergeMode: 'REVIEW_AND_MERGE' }))
        .then([created({ mergeMode: 'REVIEW_AND_MERGE', featureBranches: [] }), beadCreated(0, 'A'), ready(0)]);
    });

    it('given a title of emoji, slashes and dots, when slung, then the slug and branch stay valid', () => {
      spec()
        .given([])
        .when(slingBatch([task('A')], { title: '🚀 Ünïcode/../.lock Fix' }))
        .then([
          created({
            title: '🚀 Ünïcode/../.lock Fix',
            slug: 'n-code-lock-fix',
            featureBranches: [{ rigId: RIG_API, branch: 'convoy/n-code-lock-fix/c0ffee00/head' }],
          }),
          beadCreated(0, 'A'),
          ready(0),
        ]);
    });
  });

  describe('staged convoys', () => {
    it('given a staged plan, when slung, then nothing is ready yet', () => {
      spec()
        .given([])
        .when(slingBatch(CHAIN, { staged: true }))
        .then([created({ staged: true }), beadCreated(0, 'A'), beadCreated(1, 'B', [0]), beadCreated(2, 'C', [1])]);
    });

    it('given a staged convoy, when started, then the first wave becomes ready', () => {
      const decision = spec()
        .given(historyOf([slingBatch(DIAMOND, { staged: true })]))
        .when(start())
        .then([{ type: 'ConvoyStarted', data: {} }, ready(0)]);
      expect(decision.result).toEqual({ convoyId: CONVOY_ID, convoyStatus: 'ACTIVE' });
    });

    it('given an active convoy, when started again, then it is a conflict', () => {
      spec()
        .given(historyOf([slingBatch(DIAMOND)]))
        .when(start())
        .thenThrows('CONFLICT', 'StartConvoy needs convoy "Ship login" STAGED (it is ACTIVE)');
    });

    it('given a staged convoy, when a bead is dispatched, then it is not ready because the convoy is staged', () => {
      spec()
        .given(historyOf([slingBatch(DIAMOND, { staged: true })]))
        .when(dispatch(0))
        .thenThrows('CONFLICT', 'bead "A" is not ready: convoy "Ship login" is STAGED');
    });

    it('given a staged chain of 3, when tasks are added that depend on old and new beads, then indices continue', () => {
      const decision = spec()
        .given(historyOf([slingBatch(CHAIN, { staged: true })]))
        .when(addTasks([task('Docs', [2, 4]), task('Review', [0])]))
        .then([beadCreated(3, 'Docs', [2, 4]), beadCreated(4, 'Review', [0])]);
      expect(decision.result).toEqual({ convoyId: CONVOY_ID, beadIds: [bead(3), bead(4)] });
    });

    it('given a staged chain of 3 (2 dependencies) and a limit of 3, when tasks bringing 2 more are added, then the counts and the limit are named', () => {
      spec(createDecideContext({ ...ctx, maxEdges: 3 }))
        .given(historyOf([slingBatch(CHAIN, { staged: true })]))
        .when(addTasks([task('Docs', [1, 2])]))
        .thenThrows('BAD_USER_INPUT', 'tasks: adding 2 dependencies to the 2 planned exceeds the limit of 3 per convoy');
    });

    it('given a staged chain of 3, when an added task points past the end, then the range covers the whole convoy', () => {
      spec()
        .given(historyOf([slingBatch(CHAIN, { staged: true })]))
        .when(addTasks([task('Docs', [9]), task('', [3])]))
        .thenThrows(
          'BAD_USER_INPUT',
          'task 3 ("Docs"): dependsOn[0] = 9 is out of range (tasks are numbered 0 to 4); task 4: title must not be empty',
        );
    });

    it('given a staged convoy, when added tasks loop among themselves, then the cycle is rejected', () => {
      spec()
        .given(historyOf([slingBatch(CHAIN, { staged: true })]))
        .when(addTasks([task('X', [4]), task('Y', [3])]))
        .thenThrows('BAD_USER_INPUT', 'tasks 3 → 4 → 3 form a cycle: "X" depends on "Y", "Y" depends on "X"');
    });

    it('given a staged REVIEW_THEN_LAND convoy on the api rig, when a task for the web rig is added, then it is refused', () => {
      spec()
        .given(historyOf([slingBatch(CHAIN, { staged: true })]))
        .when(addTasks([task('Web', [2], RIG_WEB)]))
        .thenThrows(
          'BAD_USER_INPUT',
          `task 3 ("Web"): rigId "${RIG_WEB}" is not one of the rigs this convoy was created with (a REVIEW_THEN_LAND convoy lands on those rigs only)`,
        );
    });

    it('given an active convoy, when tasks are added, then it is a conflict', () => {
      spec()
        .given(historyOf([slingBatch(CHAIN)]))
        .when(addTasks([task('Late', [2])]))
        .thenThrows('CONFLICT', 'tasks can only be added while convoy "Ship login" is STAGED (it is ACTIVE)');
    });

    it('given a staged single task that is not parallel, when an unordered task is added, then the flat batch is refused', () => {
      spec()
        .given(historyOf([slingBatch([task('A')], { staged: true })]))
        .when(addTasks([task('B')]))
        .thenThrows('BAD_USER_INPUT', /^2 tasks and no dependsOn between them/);
    });

    it('given a staged convoy, when a dependency is added, then no readiness is announced', () => {
      spec()
        .given(historyOf([slingBatch(DIAMOND, { staged: true })]))
        .when(addDependency(2, 1))
        .then([{ type: 'DependencyAdded', data: { beadId: bead(2), dependsOnBeadId: bead(1) } }]);
    });
  });

  describe('bead life cycle', () => {
    it('given a ready bead, when it is dispatched, then attempt 1 starts without a previous reason', () => {
      spec().given(historyOf([slingBatch(DIAMOND)])).when(dispatch(0)).then([dispatched(0)]);
    });

    it('given B waits for A, when B is dispatched, then the refusal names the open blocker', () => {
      spec()
        .given(historyOf([slingBatch(DIAMOND), dispatch(0)]))
        .when(dispatch(3))
        .thenThrows('CONFLICT', 'bead "D" is not ready: its blockers "B" (OPEN), "C" (OPEN) are not closed');
    });

    it('given a bead in progress, when it is dispatched again, then the transition is refused', () => {
      spec()
        .given(historyOf([slingBatch(DIAMOND), dispatch(0)]))
        .when(dispatch(0))
        .thenThrows('CONFLICT', 'bead "A" is IN_PROGRESS: DispatchBead needs it OPEN');
    });

    it('given a dispatched bead, when its agent reports it started, then the start is recorded once', () => {
      const history = historyOf([slingBatch(DIAMOND), dispatch(0)]);
      spec().given(history).when(markStarted(0)).then([{ type: 'BeadStarted', data: { beadId: bead(0), attempt: 1 } }]);
      spec()
        .given([...history, { type: 'BeadStarted', data: { beadId: bead(0), attempt: 1 } }])
        .when(markStarted(0))
        .thenNothing();
    });

    it('given a bead on attempt 1, when a start for attempt 2 arrives, then it is refused as not the current attempt', () => {
      spec()
        .given(historyOf([slingBatch(DIAMOND), dispatch(0)]))
        .when(markStarted(0, 2))
        .thenThrows('CONFLICT', 'MarkBeadStarted for bead "A" names attempt 2, but it is on attempt 1: a stale report is ignored');
    });

    it('given a bead in progress, when it is submitted, then it goes to review with its head commit', () => {
      spec()
        .given(historyOf([slingBatch(DIAMOND), dispatch(0)]))
        .when(submit(0, 1, 'A'.repeat(40)))
        .then([{ type: 'BeadSubmitted', data: { beadId: bead(0), attempt: 1, branch: branchOf(0), headCommit: sha('a'), agentResult: null } }]);
    });

    it('given a bead in progress, when submitted with how its agent ended, then BeadSubmitted v2 carries the result with credentials and town tokens removed', () => {
      const agentResult = {
        exitCode: 0,
        signal: null,
        timedOut: false,
        durationMs: 4200,
        outputTail: `pushed to https://bot:hunter2@git.example.com/web.git\nwith gt_${'A'.repeat(43)}\n`,
      };
      spec()
        .given(historyOf([slingBatch(DIAMOND), dispatch(0)]))
        .when(command('SubmitBead', { beadId: bead(0), attempt: 1, branch: branchOf(0), headCommit: sha('a'), agentResult }))
        .then([
          {
            type: 'BeadSubmitted',
            data: {
              beadId: bead(0),
              attempt: 1,
              branch: branchOf(0),
              headCommit: sha('a'),
              agentResult: { ...agentResult, outputTail: 'pushed to https://***@git.example.com/web.git\nwith gt_***\n' },
            },
          },
        ]);
    });

    it('given a bead in progress, when submitted with a short commit id, then headCommit is named', () => {
      spec()
        .given(historyOf([slingBatch(DIAMOND), dispatch(0)]))
        .when(submit(0, 1, 'abc123'))
        .thenThrows('BAD_USER_INPUT', 'headCommit "abc123" is not a full commit id (40 hex characters)');
    });

    it('given a bead in progress, when submitted on another branch, then the dispatched branch is required', () => {
      spec()
        .given(historyOf([slingBatch(DIAMOND), dispatch(0)]))
        .when(submit(0, 1, sha('a'), 'main'))
        .thenThrows('BAD_USER_INPUT', `branch "main" is not the branch bead "A" was dispatched on ("${branchOf(0)}")`);
    });

    it('given a bead still OPEN, when it is submitted, then it is refused as never dispatched', () => {
      spec()
        .given(historyOf([slingBatch(DIAMOND)]))
        .when(submit(0))
        .thenThrows('CONFLICT', 'SubmitBead for bead "A" names attempt 1, but it has not been dispatched yet: a stale report is ignored');
    });

    it('given a diamond convoy, when A is merged, then B and C become ready', () => {
      const decision = spec()
        .given(diamondWithAInReview())
        .when(merge(0))
        .then([beadMerged(0), ready(1, 2)]);
      expect(decision.result).toEqual({ convoyId: CONVOY_ID, beadId: bead(0), beadStatus: 'CLOSED', convoyStatus: 'ACTIVE' });
    });

    it('given a bead in review, when the merge names a malformed commit, then mergeCommit is named', () => {
      spec()
        .given(diamondWithAInReview())
        .when(merge(0, 1, 'z'.repeat(40)))
        .thenThrows('BAD_USER_INPUT', `mergeCommit "${'z'.repeat(40)}" is not a full commit id (40 hex characters)`);
    });

    it('given a bead in review, when rework is requested, then it is open and ready again', () => {
      spec()
        .given(diamondWithAInReview())
        .when(rework(0, 1, 'please add tests'))
        .then([{ type: 'BeadReworkRequested', data: { beadId: bead(0), attempt: 1, reason: 'please add tests' } }, ready(0)]);
    });

    it('given a reworked bead, when it is dispatched again, then attempt 2 carries the rework reason', () => {
      spec()
        .given(historyOf([slingBatch(DIAMOND), dispatch(0), submit(0), rework(0, 1, 'please add tests')]))
        .when(dispatch(0))
        .then([dispatched(0, 2, 'please add tests')]);
    });

    it('given a bead reviewed on its last allowed attempt, when it is sent back again, then it is FAILED instead of looping', () => {
      const history = [slingBatch(CHAIN), dispatch(0), submit(0), rework(0, 1), dispatch(0), submit(0, 2), rework(0, 2), dispatch(0), submit(0, 3)];
      spec()
        .given(historyOf(history))
        .when(rework(0, 3, 'check "test" failed'))
        .then([
          { type: 'BeadReworkRequested', data: { beadId: bead(0), attempt: 3, reason: 'check "test" failed' } },
          { type: 'BeadFailed', data: { beadId: bead(0), attempt: 3, reason: 'review sent it back on its last allowed attempt: check "test" failed', agentResult: null } },
          heldBy(0, 'held by failed bead "A"', 1, 2),
          { type: 'ConvoyFailed', data: { reason: 'bead "A" failed and nothing else can progress', failedBeadIds: [bead(0)] } },
        ]);
    });

    it('given a bead in progress, when rework is requested, then the transition is refused', () => {
      spec()
        .given(historyOf([slingBatch(DIAMOND), dispatch(0)]))
        .when(rework(0))
        .thenThrows('CONFLICT', 'bead "A" is IN_PROGRESS: RequestRework needs it IN_REVIEW');
    });

    it('given a reworked bead on attempt 2, when the old attempt is submitted late, then the stale report is refused', () => {
      spec()
        .given(historyOf([slingBatch(DIAMOND), dispatch(0), submit(0), rework(0), dispatch(0)]))
        .when(submit(0, 1))
        .thenThrows('CONFLICT', 'SubmitBead for bead "A" names attempt 1, but it is on attempt 2: a stale report is ignored');
    });

    it('given attempt 1 of 3, when it fails, then the bead is open and ready for another attempt', () => {
      spec()
        .given(historyOf([slingBatch(DIAMOND), dispatch(0)]))
        .when(fail(0, 1, 'compiler crashed'))
        .then([{ type: 'BeadAttemptFailed', data: { beadId: bead(0), attempt: 1, reason: 'compiler crashed', agentResult: null } }, ready(0)]);
    });

    it('given attempt 1 of 3, when its agent exits non-zero, then BeadAttemptFailed v2 records the exit code and the end of its output', () => {
      const agentResult = { exitCode: 1, signal: null, timedOut: false, durationMs: 812, outputTail: 'npm test\n1 failing\n' };
      spec()
        .given(historyOf([slingBatch(DIAMOND), dispatch(0)]))
        .when(command('FailBeadAttempt', { beadId: bead(0), attempt: 1, reason: 'agent exited with code 1', unrecoverable: false, agentResult }))
        .then([{ type: 'BeadAttemptFailed', data: { beadId: bead(0), attempt: 1, reason: 'agent exited with code 1', agentResult } }, ready(0)]);
    });

    it('given the last allowed attempt, when its agent times out, then BeadFailed v2 keeps how that last agent ended', () => {
      const agentResult = { exitCode: null, signal: 'SIGTERM', timedOut: true, durationMs: 1500, outputTail: 'still thinking\n' };
      spec(createDecideContext({ ...ctx, maxAttempts: 1 }))
        .given(historyOf([slingBatch([task('A')]), dispatch(0)], createDecideContext({ ...ctx, maxAttempts: 1 })))
        .when(command('FailBeadAttempt', { beadId: bead(0), attempt: 1, reason: 'agent timed out after 1.5s', unrecoverable: false, agentResult }))
        .then([
          { type: 'BeadFailed', data: { beadId: bead(0), attempt: 1, reason: 'agent timed out after 1.5s', agentResult } },
          { type: 'ConvoyFailed', data: { reason: 'bead "A" failed and nothing else can progress', failedBeadIds: [bead(0)] } },
        ]);
    });

    it('given attempt 3 of 3, when it fails, then the bead fails, its dependents are held and the convoy fails', () => {
      const reason = 'held by failed bead "A"';
      spec()
        .given(historyOf([slingBatch(DIAMOND), dispatch(0), fail(0, 1), dispatch(0), fail(0, 2), dispatch(0)]))
        .when(fail(0, 3, 'out of ideas'))
        .then([
          { type: 'BeadFailed', data: { beadId: bead(0), attempt: 3, reason: 'out of ideas', agentResult: null } },
          heldBy(0, reason, 1, 2, 3),
          {
            type: 'ConvoyFailed',
            data: { reason: 'bead "A" failed and nothing else can progress', failedBeadIds: [bead(0)] },
          },
        ]);
    });

    it('given attempt 1, when the failure is unrecoverable, then the bead fails at once', () => {
      spec()
        .given(historyOf([slingBatch([task('A'), task('B')], { parallel: true }), dispatch(0)]))
        .when(fail(0, 1, 'repository is archived', true))
        .then([{ type: 'BeadFailed', data: { beadId: bead(0), attempt: 1, reason: 'repository is archived', agentResult: null } }]);
    });

    it('given an agent at work, when it is lost, then the attempt counts and the bead is ready again', () => {
      spec()
        .given(historyOf([slingBatch(DIAMOND), dispatch(0)]))
        .when(lose(0, 1))
        .then([
          { type: 'BeadAgentLost', data: { beadId: bead(0), attempt: 1, agentId: AGENT.id, reason: 'heartbeat lost' } },
          ready(0),
        ]);
    });

    it('given the last allowed attempt, when its agent is lost, then the bead fails', () => {
      spec(createDecideContext({ ...ctx, maxAttempts: 1 }))
        .given(historyOf([slingBatch([task('A')]), dispatch(0)], createDecideContext({ ...ctx, maxAttempts: 1 })))
        .when(lose(0, 1))
        .then([
          { type: 'BeadAgentLost', data: { beadId: bead(0), attempt: 1, agentId: AGENT.id, reason: 'heartbeat lost' } },
          { type: 'BeadFailed', data: { beadId: bead(0), attempt: 1, reason: 'heartbeat lost', agentResult: null } },
          { type: 'ConvoyFailed', data: { reason: 'bead "A" failed and nothing else can progress', failedBeadIds: [bead(0)] } },
        ]);
    });

    describe('interrupted attempts', () => {
      const one = createDecideContext({ ...ctx, maxAttempts: 1 });

      it('given an agent at work, when its draining runner interrupts it, then the bead is ready again and keeps its last reason', () => {
        spec()
          .given(historyOf([slingBatch(DIAMOND), dispatch(0), fail(0, 1, 'tests failed'), dispatch(0)]))
          .when(interrupt(0, 2))
          .then([
            { type: 'BeadAttemptInterrupted', data: { beadId: bead(0), attempt: 2, agentId: AGENT.id, reason: 'runner gr-1 shut down' } },
            ready(0),
          ]);
        // Not the agent's failure: the next agent hears of the last real one.
        spec()
          .given(historyOf([slingBatch(DIAMOND), dispatch(0), fail(0, 1, 'tests failed'), dispatch(0), interrupt(0, 2)]))
          .when(dispatch(0))
          .then([dispatched(0, 3, 'tests failed')]);
      });

      it('given the last allowed attempt, when it is interrupted, then the bead is not failed: the attempt is not charged', () => {
        spec(one)
          .given(historyOf([slingBatch([task('A')]), dispatch(0)], one))
          .when(interrupt(0, 1))
          .then([
            { type: 'BeadAttemptInterrupted', data: { beadId: bead(0), attempt: 1, agentId: AGENT.id, reason: 'runner gr-1 shut down' } },
            ready(0),
          ]);
      });

      it('given two interrupted attempts and a budget of one, when the third attempt fails, then that failure spends the budget', () => {
        spec(one)
          .given(historyOf([slingBatch([task('A')]), dispatch(0), interrupt(0, 1), dispatch(0), interrupt(0, 2), dispatch(0)], one))
          .when(fail(0, 3, 'tests failed'))
          .then([
            { type: 'BeadFailed', data: { beadId: bead(0), attempt: 3, reason: 'tests failed', agentResult: null } },
            { type: 'ConvoyFailed', data: { reason: 'bead "A" failed and nothing else can progress', failedBeadIds: [bead(0)] } },
          ]);
      });

      it('given a bead interrupted as often as interruptions are free, when its last allowed attempt is interrupted again, then it fails saying so', () => {
        const interruptions = Array.from({ length: FREE_INTERRUPTIONS }, (_, i) => [dispatch(0), interrupt(0, i + 1)]).flat();
        spec(one)
          .given(historyOf([slingBatch([task('A')]), ...interruptions, dispatch(0)], one))
          .when(interrupt(0, FREE_INTERRUPTIONS + 1))
          .then([
            { type: 'BeadAttemptInterrupted', data: { beadId: bead(0), attempt: FREE_INTERRUPTIONS + 1, agentId: AGENT.id, reason: 'runner gr-1 shut down' } },
            {
              type: 'BeadFailed',
              data: {
                beadId: bead(0),
                attempt: FREE_INTERRUPTIONS + 1,
                reason: `interrupted ${FREE_INTERRUPTIONS + 1} times (past ${FREE_INTERRUPTIONS}, an interruption counts against the bead's attempts): runner gr-1 shut down`,
                agentResult: null,
              },
            },
            { type: 'ConvoyFailed', data: { reason: 'bead "A" failed and nothing else can progress', failedBeadIds: [bead(0)] } },
          ]);
      });

      it('given a bead interrupted one time fewer than interruptions are free, when it is interrupted again, then that interruption is still free', () => {
        const interruptions = Array.from({ length: FREE_INTERRUPTIONS - 1 }, (_, i) => [dispatch(0), interrupt(0, i + 1)]).flat();
        spec(one)
          .given(historyOf([slingBatch([task('A')]), ...interruptions, dispatch(0)], one))
          .when(interrupt(0, FREE_INTERRUPTIONS))
          .then([
            { type: 'BeadAttemptInterrupted', data: { beadId: bead(0), attempt: FREE_INTERRUPTIONS, agentId: AGENT.id, reason: 'runner gr-1 shut down' } },
            ready(0),
          ]);
      });

      it('given a retried bead whose earlier budget had interruptions, when its next attempt is lost, then the new budget counts it', () => {
        spec(one)
          .given(historyOf([slingBatch([task('A')]), dispatch(0), interrupt(0, 1), dispatch(0), fail(0, 2), retry(0), dispatch(0)], one))
          .when(lose(0, 3))
          .then([
            { type: 'BeadAgentLost', data: { beadId: bead(0), attempt: 3, agentId: AGENT.id, reason: 'heartbeat lost' } },
            { type: 'BeadFailed', data: { beadId: bead(0), attempt: 3, reason: 'heartbeat lost', agentResult: null } },
            { type: 'ConvoyFailed', data: { reason: 'bead "A" failed and nothing else can progress', failedBeadIds: [bead(0)] } },
          ]);
      });

      it('given an agent at work, when anyone but a git-runner says it was interrupted, then it is refused', () => {
        spec()
          .given(historyOf([slingBatch(DIAMOND), dispatch(0)]))
          .when({ ...interrupt(0, 1), actor: { kind: 'agent', id: 'git-runner:gr-1' } })
          .thenThrows('BAD_USER_INPUT', 'only a git-runner may interrupt an attempt; agent "git-runner:gr-1" may not');
        spec()
          .given(historyOf([slingBatch(DIAMOND), dispatch(0)]))
          .when({ ...interrupt(0, 1), actor: { kind: 'user', id: 'mayor' } })
          .thenThrows('BAD_USER_INPUT', /only a git-runner/);
      });

      it('given a submitted attempt, when an interruption of it arrives late, then it is refused as stale', () => {
        spec()
          .given(historyOf([slingBatch(DIAMOND), dispatch(0), submit(0)]))
          .when(interrupt(0, 1))
          .thenThrows('CONFLICT', 'bead "A" is IN_REVIEW: InterruptBeadAttempt needs it IN_PROGRESS');
      });

      it('given an interruption recorded, when the runner sends it again, then nothing more is written', () => {
        const repeated = interrupt(0, 1);
        spec().given(historyOf([slingBatch(DIAMOND), dispatch(0), repeated])).when(repeated).thenNothing();
      });
    });

    it('given an agent at work, when another agent is reported lost, then it is refused', () => {
      spec()
        .given(historyOf([slingBatch(DIAMOND), dispatch(0)]))
        .when(lose(0, 1, 'agent-9'))
        .thenThrows('CONFLICT', 'agent "agent-9" is not working on bead "A" (agent "agent-7" is)');
    });

    it('given a failed bead in a failed convoy, when retried, then it is ready, its dependents released and the convoy active', () => {
      const decision = spec()
        .given(diamondWithAFailed())
        .when(retry(0))
        .then([
          { type: 'BeadRetried', data: { beadId: bead(0) } },
          ready(0),
          released(1, 2, 3),
          { type: 'ConvoyReactivated', data: { status: 'ACTIVE' } },
        ]);
      expect(decision.result).toEqual({ convoyId: CONVOY_ID, beadId: bead(0), beadStatus: 'OPEN', convoyStatus: 'ACTIVE' });
    });

    it('given a retried bead, when its next attempt fails, then the budget restarted and it is only an attempt failure', () => {
      const retried = historyOf([
        slingBatch(DIAMOND),
        ...[1, 2, 3].flatMap((a) => [dispatch(0), fail(0, a)]),
        retry(0),
        dispatch(0),
      ]);
      spec()
        .given(retried)
        .when(fail(0, 4, 'flaky network'))
        .then([{ type: 'BeadAttemptFailed', data: { beadId: bead(0), attempt: 4, reason: 'flaky network', agentResult: null } }, ready(0)]);
    });

    it('given a retried bead, when dispatched, then the new attempt is told why the last one failed', () => {
      spec()
        .given(historyOf([slingBatch(DIAMOND), ...[1, 2, 3].flatMap((a) => [dispatch(0), fail(0, a, `boom ${a}`)]), retry(0)]))
        .when(dispatch(0))
        .then([dispatched(0, 4, 'boom 3')]);
    });

    it('given an open bead, when it is retried, then the transition is refused', () => {
      spec()
        .given(historyOf([slingBatch(DIAMOND)]))
        .when(retry(0))
        .thenThrows('CONFLICT', 'bead "A" is OPEN: RetryBead needs it FAILED');
    });

    it('given a convoy, when a command names a bead of another convoy, then the bead is not found', () => {
      const stranger = '44444444-4444-4444-8444-444444444444';
      spec()
        .given(historyOf([slingBatch(DIAMOND)]))
        .when(command('DispatchBead', { beadId: stranger, agent: AGENT }))
        .thenThrows('NOT_FOUND', `bead ${stranger} is not part of convoy "Ship login"`);
    });

    it('given no convoy, when a bead is dispatched, then the convoy is not found', () => {
      spec().given([]).when(dispatch(0)).thenThrows('NOT_FOUND', `convoy ${CONVOY_ID} does not exist`);
    });

    it('given a dispatch, when the same command id comes again, then the same branch is answered and nothing is written', () => {
      const first = dispatch(0, AGENT, 'dispatch-once');
      const history = historyOf([slingBatch(DIAMOND), first]);
      const decision = spec().given(history).when(first).thenNothing();
      expect(decision).toEqual({
        events: [],
        duplicate: true,
        result: { convoyId: CONVOY_ID, beadId: bead(0), attempt: 1, branch: branchOf(0), baseBranch: FEATURE_BRANCH },
      });
    });
  });

  describe('readiness and holds', () => {
    it('given a diamond that failed at A, when D is dispatched, then the refusal says the convoy has failed', () => {
      spec()
        .given(diamondWithAFailed())
        .when(dispatch(3))
        .thenThrows('CONFLICT', 'bead "D" is not ready: convoy "Ship login" is FAILED');
    });

    it('given A failed while B runs elsewhere, when C is dispatched, then the hold is named', () => {
      const plan = [task('A'), task('B'), task('C', [0]), task('D', [1])];
      spec()
        .given(historyOf([slingBatch(plan), dispatch(1), dispatch(0), fail(0, 1, 'x', true)]))
        .when(dispatch(2))
        .thenThrows('CONFLICT', 'bead "C" is not ready: held by failed bead "A"');
    });

    it('given two failed beads upstream, when held, then the reason names both', () => {
      const plan = [task('A'), task('B'), task('C', [0, 1]), task('Busy')];
      spec()
        .given(historyOf([slingBatch(plan), dispatch(3), dispatch(0), fail(0, 1, 'x', true), dispatch(1)]))
        .when(fail(1, 1, 'y', true))
        .then([
          { type: 'BeadFailed', data: { beadId: bead(1), attempt: 1, reason: 'y', agentResult: null } },
          {
            type: 'BeadsHeld',
            data: { beads: [{ beadId: bead(2), reason: 'held by failed beads "A", "B"', heldBy: [bead(0), bead(1)] }] },
          },
        ]);
    });

    it('given an active convoy, when a ready bead gains an unfinished dependency, then it becomes unready', () => {
      spec()
        .given(historyOf([slingBatch([task('A'), task('B')], { parallel: true })]))
        .when(addDependency(1, 0))
        .then([{ type: 'DependencyAdded', data: { beadId: bead(1), dependsOnBeadId: bead(0) } }, unready(1)]);
    });

    it('given A failed and B merged, when progress is read, then the held beads count as blocked', () => {
      const plan = [task('A'), task('B'), task('C', [0]), task('D', [2])];
      const history = historyOf([slingBatch(plan), dispatch(0), fail(0, 1, 'x', true), ...deliver(1)]);
      const state = envelope(history, slingBatch(plan)).reduce(evolve, initialState());
      expect(state.status).toBe('FAILED');
      expect(progressOf(state)).toEqual({
        total: 4,
        open: 0,
        inProgress: 0,
        inReview: 0,
        closed: 1,
        failed: 1,
        cancelled: 0,
        blocked: 2,
      });
    });
  });

  describe('convoy status', () => {
    it('given three merged beads of a diamond, when D is merged, then the convoy is ready to land', () => {
      spec()
        .given(historyOf([slingBatch(DIAMOND), ...[0, 1, 2].flatMap((i) => deliver(i)), dispatch(3), submit(3)]))
        .when(merge(3))
        .then([beadMerged(3), { type: 'ConvoyReadyToLand', data: {} }]);
    });

    it('given a convoy ready to land, when landing starts, then attempt 1 is under way', () => {
      const decision = spec()
        .given(diamondReadyToLand())
        .when(startLanding())
        .then([{ type: 'ConvoyLandingStarted', data: { attempt: 1 } }]);
      expect(decision.result).toEqual({ convoyId: CONVOY_ID, convoyStatus: 'LANDING', landingAttempt: 1 });
    });

    it('given an active convoy, when landing starts, then it is refused until every bead is merged', () => {
      spec()
        .given(historyOf([slingBatch(DIAMOND)]))
        .when(startLanding())
        .thenThrows('CONFLICT', 'StartLanding needs convoy "Ship login" READY_TO_LAND (it is ACTIVE)');
    });

    it('given a landing on two rigs, when the first rig lands, then only that rig is recorded', () => {
      spec()
        .given(twoRigsLanding())
        .when(rigLanded(RIG_API, 1, sha('c')))
        .then([{ type: 'RigLanded', data: { rigId: RIG_API, commit: sha('c'), targetBranch: 'main' } }]);
    });

    it('given one of two rigs landed, when the second lands, then the convoy is landed with both commits', () => {
      spec()
        .given([...twoRigsLanding(), { type: 'RigLanded', data: { rigId: RIG_API, commit: sha('c'), targetBranch: 'main' } }])
        .when(rigLanded(RIG_WEB, 1, sha('d')))
        .then([
          { type: 'RigLanded', data: { rigId: RIG_WEB, commit: sha('d'), targetBranch: 'trunk' } },
          {
            type: 'ConvoyLanded',
            data: {
              landings: [
                { rigId: RIG_API, commit: sha('c') },
                { rigId: RIG_WEB, commit: sha('d') },
              ],
            },
          },
        ]);
    });

    it('given a landing, when a rig lands for an older attempt, then it is refused', () => {
      spec()
        .given(twoRigsLanding())
        .when(rigLanded(RIG_API, 2))
        .thenThrows('CONFLICT', 'RecordRigLanded names landing attempt 2 of convoy "Ship login", but attempt 1 is under way');
    });

    it('given a landing, when a rig outside the convoy lands, then the rig is not found', () => {
      spec()
        .given(historyOf([...diamondReadyToLandCommands(), startLanding()]))
        .when(rigLanded(RIG_WEB))
        .thenThrows('NOT_FOUND', `rig ${RIG_WEB} is not one of the rigs convoy "Ship login" lands on`);
    });

    it('given a landing, when it fails below the limit, then the convoy is ready to land again', () => {
      spec()
        .given(twoRigsLanding())
        .when(failLanding(1, 'main moved on'))
        .then([{ type: 'ConvoyLandingFailed', data: { attempt: 1, reason: 'main moved on', rigId: null } }]);
      spec()
        .given(historyOf([...twoRigsLandingCommands(), failLanding(1)]))
        .when(startLanding())
        .then([{ type: 'ConvoyLandingStarted', data: { attempt: 2 } }]);
    });

    it('given the last allowed landing attempt, when it fails, then the convoy fails', () => {
      spec()
        .given(historyOf([...twoRigsLandingCommands(), failLanding(1), startLanding(), failLanding(2), startLanding()]))
        .when(failLanding(3, 'conflicts in schema.sql'))
        .then([
          { type: 'ConvoyLandingFailed', data: { attempt: 3, reason: 'conflicts in schema.sql', rigId: null } },
          { type: 'ConvoyFailed', data: { reason: 'landing failed on attempt 3 of 3: conflicts in schema.sql', failedBeadIds: [] } },
        ]);
    });

    it('given a convoy whose landing failed for good, when the landing is retried, then it is ready to land with a fresh budget', () => {
      const exhausted = [...twoRigsLandingCommands(), failLanding(1), startLanding(), failLanding(2), startLanding(), failLanding(3)];
      spec()
        .given(historyOf(exhausted))
        .when(retryLanding())
        .then([{ type: 'ConvoyReactivated', data: { status: 'READY_TO_LAND' } }]);
      spec()
        .given(historyOf([...exhausted, retryLanding(), startLanding(), failLanding(4), startLanding(), failLanding(5), startLanding()]))
        .when(failLanding(6))
        .then([
          { type: 'ConvoyLandingFailed', data: { attempt: 6, reason: 'main moved on', rigId: null } },
          { type: 'ConvoyFailed', data: { reason: 'landing failed on attempt 3 of 3: main moved on', failedBeadIds: [] } },
        ]);
    });

    it('given a convoy failed by a bead, when the landing is retried, then it is refused', () => {
      spec()
        .given(diamondWithAFailed())
        .when(retryLanding())
        .thenThrows(
          'CONFLICT',
          'retryLanding needs a convoy whose landing FAILED; convoy "Ship login" failed because beads "A", "B", "C", "D" are not CLOSED (retryBead them instead)',
        );
    });

    describe('two-phase landing on several rigs', () => {
      const prepare = (rigId: string, attempt = 1, targetTip = sha('e'), tree = sha('f')) =>
        command('RecordRigLandingPrepared', { rigId, attempt, targetTip, tree });
      const failOn = (rigId: string, attempt: number, reason: string) => command('FailLanding', { attempt, reason, rigId });
      const prepared = (rigId: string, attempt = 1): GivenEvent =>
        ({ type: 'RigLandingPrepared', data: { rigId, attempt, targetTip: sha('e'), tree: sha('f') } }) as GivenEvent;

      it('given a landing on two rigs, when the first rig is prepared, then nothing may be pushed yet', () => {
        spec()
          .given(twoRigsLanding())
          .when(prepare(RIG_API))
          .then([{ type: 'RigLandingPrepared', data: { rigId: RIG_API, attempt: 1, targetTip: sha('e'), tree: sha('f') } }]);
      });

      it('given one rig prepared, when the second is prepared, then the landing is prepared and the pushes may start', () => {
        spec()
          .given([...twoRigsLanding(), prepared(RIG_API)])
          .when(prepare(RIG_WEB))
          .then([
            { type: 'RigLandingPrepared', data: { rigId: RIG_WEB, attempt: 1, targetTip: sha('e'), tree: sha('f') } },
            { type: 'ConvoyLandingPrepared', data: { attempt: 1 } },
          ]);
      });

      it('given a rig already prepared, when its preparation is reported again, then the first one stands', () => {
        spec()
          .given([...twoRigsLanding(), prepared(RIG_API)])
          .when(prepare(RIG_API, 1, sha('9'), sha('8')))
          .then([]);
      });

      it('given a landing, when a rig outside the convoy is prepared, then the rig is not found', () => {
        spec()
          .given(historyOf([...diamondReadyToLandCommands(), startLanding()]))
          .when(prepare(RIG_WEB))
          .thenThrows('NOT_FOUND', `rig ${RIG_WEB} is not one of the rigs convoy "Ship login" lands on`);
      });

      it('given a landing, when one rig fails, then the failure names the rig', () => {
        spec()
          .given(twoRigsLanding())
          .when(failOn(RIG_WEB, 1, 'web: landing on trunk conflicts in: shared.txt'))
          .then([{ type: 'ConvoyLandingFailed', data: { attempt: 1, reason: 'web: landing on trunk conflicts in: shared.txt', rigId: RIG_WEB } }]);
      });

      it('given the first rig landed and the second failed, when the next attempt is prepared, then only the second rig is waited for', () => {
        const history = historyOf([...twoRigsLandingCommands(), prepare(RIG_API), prepare(RIG_WEB), rigLanded(RIG_API), failOn(RIG_WEB, 1, 'trunk moved'), startLanding()]);
        spec()
          .given(history)
          .when(prepare(RIG_WEB, 2))
          .then([
            { type: 'RigLandingPrepared', data: { rigId: RIG_WEB, attempt: 2, targetTip: sha('e'), tree: sha('f') } },
            { type: 'ConvoyLandingPrepared', data: { attempt: 2 } },
          ]);
        spec()
          .given([...history, prepared(RIG_WEB, 2), { type: 'ConvoyLandingPrepared', data: { attempt: 2 } } as GivenEvent])
          .when(rigLanded(RIG_WEB, 2, sha('d')))
          .then([
            { type: 'RigLanded', data: { rigId: RIG_WEB, commit: sha('d'), targetBranch: 'trunk' } },
            { type: 'ConvoyLanded', data: { landings: [{ rigId: RIG_API, commit: sha('c') }, { rigId: RIG_WEB, commit: sha('d') }] } },
          ]);
      });

      it('given a half-landed convoy on its last attempt, when the second rig fails, then the convoy fails saying which rig landed', () => {
        const landedOnApi = [...twoRigsLandingCommands(), rigLanded(RIG_API), failOn(RIG_WEB, 1, 'a'), startLanding(), failOn(RIG_WEB, 2, 'b'), startLanding()];
        spec()
          .given(historyOf(landedOnApi))
          .when(failOn(RIG_WEB, 3, 'web: trunk moved before the push'))
          .then([
            { type: 'ConvoyLandingFailed', data: { attempt: 3, reason: 'web: trunk moved before the push', rigId: RIG_WEB } },
            {
              type: 'ConvoyFailed',
              data: {
                reason: 'landing failed on attempt 3 of 3: web: trunk moved before the push (landed on "api"; retryLanding lands the rest)',
                failedBeadIds: [],
              },
            },
          ]);
      });

      it('given a half-landed convoy that failed, when the landing is retried and started, then the landed rig stays landed', () => {
        const failed = [...twoRigsLandingCommands(), rigLanded(RIG_API), failOn(RIG_WEB, 1, 'a'), startLanding(), failOn(RIG_WEB, 2, 'b'), startLanding(), failOn(RIG_WEB, 3, 'c')];
        spec()
          .given(historyOf(failed))
          .when(retryLanding())
          .then([{ type: 'ConvoyReactivated', data: { status: 'READY_TO_LAND' } }]);
        spec()
          .given(historyOf([...failed, retryLanding(), startLanding()]))
          .when(rigLanded(RIG_API, 4, sha('1')))
          .thenThrows('CONFLICT', /rig "api" already landed attempt 4 at/);
      });
    });

    it('given a convoy that is landing, when the landing is retried, then it is refused as under way', () => {
      spec()
        .given(twoRigsLanding())
        .when(retryLanding())
        .thenThrows('CONFLICT', 'retryLanding needs a convoy whose landing FAILED; convoy "Ship login": it is LANDING: its landing is under way');
    });

    it('given a REVIEW_AND_MERGE convoy, when the landing is retried, then it is refused as having no landing', () => {
      spec()
        .given(historyOf([slingBatch([task('A')], { mergeMode: 'REVIEW_AND_MERGE' })]))
        .when(retryLanding())
        .thenThrows('BAD_USER_INPUT', 'convoy "Ship login" is REVIEW_AND_MERGE: its beads merge straight to the default branch, there is no landing to retry');
    });

    it('given a REVIEW_AND_MERGE convoy on two rigs, when the last bead merges, then the convoy lands with the last merge per rig', () => {
      const plan = [task('API 1', [], RIG_API), task('Web', [0], RIG_WEB), task('API 2', [1], RIG_API)];
      const mode = { mergeMode: 'REVIEW_AND_MERGE' as const };
      spec()
        .given(historyOf([slingBatch(plan, mode), ...deliver(0, sha('1')), ...deliver(1, sha('2')), dispatch(2), submit(2)]))
        .when(merge(2, 1, sha('3')))
        .then([
          beadMerged(2, 1, sha('3'), 'main'),
          {
            type: 'ConvoyLanded',
            data: {
              landings: [
                { rigId: RIG_API, commit: sha('3') },
                { rigId: RIG_WEB, commit: sha('2') },
              ],
            },
          },
        ]);
    });

    it('given a landed convoy, when a bead is retried, then the convoy accepts nothing more', () => {
      spec()
        .given(historyOf([slingBatch([task('A')], { mergeMode: 'REVIEW_AND_MERGE' }), ...deliver(0)]))
        .when(retry(0))
        .thenThrows('CONFLICT', 'convoy "Ship login" is LANDED: it accepts no RetryBead');
    });
  });

  describe('CloseConvoy', () => {
    it('given beads open, running, in review, merged and failed, when closed, then agents stop, reviews drop and the rest is cancelled', () => {
      const plan = [task('Merged'), task('Running'), task('Reviewed'), task('Ready'), task('Waiting', [1]), task('Broken')];
      const history = historyOf([
        slingBatch(plan, { parallel: true }),
        ...deliver(0),
        dispatch(1),
        dispatch(2),
        submit(2),
        dispatch(5),
        fail(5, 1, 'x', true),
      ]);
      const decision = spec()
        .given(history)
        .when(close('priorities changed'))
        .then([
          {
            type: 'ConvoyCancelled',
            data: {
              reason: 'priorities changed',
              stopAgents: [{ beadId: bead(1), agentId: AGENT.id, attempt: 1 }],
              dropReviews: [bead(2)],
              dropLanding: false,
            },
          },
          { type: 'BeadCancelled', data: { beadId: bead(1), previousStatus: 'IN_PROGRESS' } },
          { type: 'BeadCancelled', data: { beadId: bead(2), previousStatus: 'IN_REVIEW' } },
          { type: 'BeadCancelled', data: { beadId: bead(3), previousStatus: 'OPEN' } },
          { type: 'BeadCancelled', data: { beadId: bead(4), previousStatus: 'OPEN' } },
          { type: 'BeadCancelled', data: { beadId: bead(5), previousStatus: 'FAILED' } },
          unready(3),
        ]);
      expect(decision.result).toEqual({ convoyId: CONVOY_ID, convoyStatus: 'CANCELLED', mergesUnderWay: [], landingsUnderWay: [] });
    });

    it('given a landing under way, when closed, then the landing is dropped', () => {
      spec()
        .given(twoRigsLanding())
        .when(close())
        .then([
          { type: 'ConvoyCancelled', data: { reason: 'no longer needed', stopAgents: [], dropReviews: [], dropLanding: true } },
        ]);
    });

    it('given a failed convoy with held beads, when closed, then the held beads are cancelled and released', () => {
      spec()
        .given(diamondWithAFailed())
        .when(close())
        .then([
          { type: 'ConvoyCancelled', data: { reason: 'no longer needed', stopAgents: [], dropReviews: [], dropLanding: false } },
          ...[0, 1, 2, 3].map(
            (i): NewEvent => ({ type: 'BeadCancelled', data: { beadId: bead(i), previousStatus: i === 0 ? 'FAILED' : 'OPEN' } }),
          ),
          released(1, 2, 3),
        ]);
    });

    it('given a cancelled convoy, when closed again, then nothing is written and the answer is the same', () => {
      const decision = spec().given(historyOf([slingBatch(DIAMOND), close()])).when(close('again')).thenNothing();
      expect(decision).toEqual({ events: [], duplicate: false, result: { convoyId: CONVOY_ID, convoyStatus: 'CANCELLED', mergesUnderWay: [], landingsUnderWay: [] } });
    });

    it('given a landed convoy, when closed, then it is a conflict', () => {
      spec()
        .given(historyOf([slingBatch([task('A')], { mergeMode: 'REVIEW_AND_MERGE' }), ...deliver(0)]))
        .when(close())
        .thenThrows('CONFLICT', 'convoy "Ship login" is LANDED: it accepts no CloseConvoy');
    });

    it('given a convoy, when closed without a reason, then the reason is required', () => {
      spec().given(historyOf([slingBatch(DIAMOND)])).when(close('  ')).thenThrows('BAD_USER_INPUT', 'reason must not be empty');
    });

    it('given a cancelled convoy, when a bead is dispatched, then it is a conflict', () => {
      spec()
        .given(historyOf([slingBatch(DIAMOND), close()]))
        .when(dispatch(0))
        .thenThrows('CONFLICT', 'convoy "Ship login" is CANCELLED: it accepts no DispatchBead');
    });
  });

  describe('dependency edits', () => {
    it('given a convoy, when a dependency names a bead of another convoy, then that id is not found', () => {
      const stranger = '55555555-5555-4555-8555-555555555555';
      spec()
        .given(historyOf([slingBatch(DIAMOND)]))
        .when(command('AddDependency', { beadId: bead(3), dependsOnBeadId: stranger }))
        .thenThrows('NOT_FOUND', `bead ${stranger} is not part of convoy "Ship login"`);
    });

    it('given a bead, when it is made to depend on itself, then the edge is refused', () => {
      spec()
        .given(historyOf([slingBatch(DIAMOND)]))
        .when(addDependency(1, 1))
        .thenThrows('BAD_USER_INPUT', 'bead "B" cannot depend on itself');
    });

    it('given a bead that has started, when it gains a dependency, then it is a conflict', () => {
      spec()
        .given(historyOf([slingBatch([task('A'), task('B')], { parallel: true }), dispatch(1)]))
        .when(addDependency(1, 0))
        .thenThrows(
          'CONFLICT',
          'bead "B" has already started (it is IN_PROGRESS, attempt 1): only a bead that has not started can change its dependencies',
        );
    });

    it('given a reworked bead, when it gains a dependency, then it has started and it is a conflict', () => {
      spec()
        .given(historyOf([slingBatch([task('A'), task('B')], { parallel: true }), dispatch(1), submit(1), rework(1)]))
        .when(addDependency(1, 0))
        .thenThrows('CONFLICT', /^bead "B" has already started \(it is OPEN, attempt 1\)/);
    });

    it('given a chain A → B → C, when A is made to depend on C, then the cycle is named with titles', () => {
      const error = spec()
        .given(historyOf([slingBatch(CHAIN)]))
        .when(addDependency(0, 2))
        .thenThrows(
          'BAD_USER_INPUT',
          'tasks 0 → 2 → 1 → 0 would form a cycle: "A" depends on "C", "C" depends on "B", "B" depends on "A"',
        );
      expect(error.details?.['cycle']).toEqual([
        { index: 0, title: 'A' },
        { index: 2, title: 'C' },
        { index: 1, title: 'B' },
        { index: 0, title: 'A' },
      ]);
    });

    it('given a diamond (4 dependencies) and a limit of 4, when one more dependency is added, then it is a conflict naming the count and the limit', () => {
      const error = spec(createDecideContext({ ...ctx, maxEdges: 4 }))
        .given(historyOf([slingBatch(DIAMOND)]))
        .when(addDependency(3, 0))
        .thenThrows('CONFLICT', 'convoy "Ship login" already has 4 dependencies (limit 4): remove one before adding another');
      expect(error.details).toEqual({ count: 4, limit: 4 });
    });

    it('given a diamond at its limit of 4 dependencies, when one is removed, then another can be added', () => {
      spec(createDecideContext({ ...ctx, maxEdges: 4 }))
        .given(historyOf([slingBatch(DIAMOND), removeDependency(3, 2)]))
        .when(addDependency(3, 0))
        .then([{ type: 'DependencyAdded', data: { beadId: bead(3), dependsOnBeadId: bead(0) } }]);
    });

    it('given an existing edge, when it is added again, then nothing is written', () => {
      spec().given(historyOf([slingBatch(CHAIN)])).when(addDependency(1, 0)).thenNothing();
    });

    it('given no edge, when it is removed, then nothing is written', () => {
      spec().given(historyOf([slingBatch(CHAIN)])).when(removeDependency(2, 0)).thenNothing();
    });

    it('given B waits only for A, when that dependency is removed, then B becomes ready', () => {
      spec()
        .given(historyOf([slingBatch(CHAIN)]))
        .when(removeDependency(1, 0))
        .then([{ type: 'DependencyRemoved', data: { beadId: bead(1), dependsOnBeadId: bead(0) } }, ready(1)]);
    });

    it('given a convoy ready to land, when a dependency is edited, then it is a conflict', () => {
      spec()
        .given(diamondReadyToLand())
        .when(removeDependency(1, 0))
        .thenThrows('CONFLICT', 'dependencies can only change while convoy "Ship login" is STAGED or ACTIVE (it is READY_TO_LAND)');
    });
  });

  describe('Sling', () => {
    const sling = (data: Partial<Extract<ConvoyCommand, { type: 'Sling' }>['data']> = {}) =>
      command('Sling', { title: 'Fix typo', rigId: RIG_API, mergeMode: 'REVIEW_THEN_LAND', staged: false, ...data });

    it('given no convoy, when one bead is slung, then the events equal a SlingBatch of that one task', () => {
      const one = sling({ body: 'in README' });
      const batch = slingBatch([{ title: 'Fix typo', body: 'in README' }], { title: 'Fix typo' });
      const expected = decide(batch, initialState(), ctx).events;
      const decision = spec().given([]).when(one).then(expected);
      expect(expected[0]).toMatchObject({ type: 'ConvoyCreated', data: { slug: 'fix-typo', parallel: false } });
      expect(decision.result).toEqual({ convoyId: CONVOY_ID, beadIds: [bead(0)] });
    });

    it('given no convoy, when a staged REVIEW_AND_MERGE bead is slung, then it waits for StartConvoy', () => {
      spec()
        .given([])
        .when(sling({ staged: true, mergeMode: 'REVIEW_AND_MERGE' }))
        .then([
          created({ title: 'Fix typo', slug: 'fix-typo', staged: true, mergeMode: 'REVIEW_AND_MERGE', featureBranches: [] }),
          beadCreated(0, 'Fix typo'),
        ]);
    });

    it('given no convoy, when slung with a blank title on a foreign rig, then both fields are named', () => {
      spec()
        .given([])
        .when(sling({ title: '', rigId: RIG_ELSEWHERE }))
        .thenThrows('BAD_USER_INPUT', `title must not be empty; rigId "${RIG_ELSEWHERE}" is not a rig of this town`);
    });
  });

  describe('hostile text', () => {
    it('given a NUL in a task title, when slung, then the task is named with the code point and position and nothing is written', () => {
      spec()
        .given([])
        .when(slingBatch([task('Build'), task('Ship'), task('Te\0st', [1])], { parallel: true }))
        .thenThrows('BAD_USER_INPUT', 'task 2 ("Te\\u0000st"): tasks[2].title contains a control character U+0000 at position 2');
    });

    it.each([
      ['a newline (a forged commit trailer)', 'Fix\nSigned-off-by: Mallory <m@evil>', 'a line break U+000A at position 3'],
      ['a right-to-left override', 'abc\u202Etxt.exe', 'a bidirectional control character U+202E at position 3'],
      ['a zero-width space', 'ad\u200Bmin', 'an invisible format character U+200B at position 2'],
      ['a lone surrogate', 'x\uD800', 'a lone surrogate U+D800 at position 1'],
    ])('given %s in a task title, when slung, then it is refused naming the task', (_, title, what) => {
      spec()
        .given([])
        .when(slingBatch([task(title)]))
        .thenThrows('BAD_USER_INPUT', new RegExp(`^task 0 \\(.*\\): tasks\\[0\\]\\.title contains ${what.replace(/[()+]/g, '\\$&')}$`));
    });

    it('given a body with a bell character among newlines and tabs, when slung, then only the bell is named', () => {
      spec()
        .given([])
        .when(slingBatch([{ title: 'Doc', body: 'Steps:\n\t1. ring \u0007' }]))
        .thenThrows('BAD_USER_INPUT', 'task 0 ("Doc"): tasks[0].body contains a control character U+0007 at position 16');
    });

    it('given a title of 201 characters and a body over 16 KiB, when slung, then both limits are named', () => {
      spec()
        .given([])
        .when(slingBatch([{ title: 't'.repeat(201), body: 'b'.repeat(16 * 1024 + 1) }]))
        .thenThrows('BAD_USER_INPUT', /tasks\[0\]\.title must be at most 200 characters \(it has 201\).*tasks\[0\]\.body must be at most 16384 characters \(it has 16385\)/);
    });

    it('given a convoy title with a newline, when slung, then the title is refused', () => {
      spec()
        .given([])
        .when(slingBatch([task('A')], { title: 'Ship\nit' }))
        .thenThrows('BAD_USER_INPUT', 'title contains a line break U+000A at position 4');
    });

    it('given a Sling with a NUL in its body, when slung, then the body is named', () => {
      spec()
        .given([])
        .when(command('Sling', { title: 'Fix', body: 'a\0', rigId: RIG_API, mergeMode: 'REVIEW_THEN_LAND', staged: false }))
        .thenThrows('BAD_USER_INPUT', 'body contains a control character U+0000 at position 1');
    });

    it('given a staged convoy, when tasks with a zero-width joiner in a title are added, then the task is named by its convoy index', () => {
      spec()
        .given(historyOf([slingBatch([task('A')], { staged: true })]))
        .when(addTasks([task('B', [0]), task('C\u200D', [1])]))
        .thenThrows('BAD_USER_INPUT', 'task 2 ("C\u200D"): tasks[1].title contains an invisible format character U+200D at position 1');
    });

    it('given a plan larger than the byte limit, when slung, then the size and the limit are named', () => {
      const tasks = Array.from({ length: 20 }, (_, i) => ({ title: `t${i}`, body: 'x'.repeat(1000) }));
      spec(createDecideContext({ ...ctx, maxPlanBytes: 10_000 }))
        .given([])
        .when(slingBatch(tasks, { parallel: true }))
        .thenThrows('BAD_USER_INPUT', /^the plan encodes to 20\d{3} bytes, over the limit of 10000 bytes per decision/);
    });

    it('given a plan just under the limit whose events weigh more, when slung, then the decided size is refused', () => {
      const tasks = Array.from({ length: 40 }, (_, i) => task(`t${i}`, i === 0 ? [] : [i - 1]));
      const size = JSON.stringify(slingBatch(tasks).data).length;
      spec(createDecideContext({ ...ctx, maxPlanBytes: size + 10 }))
        .given([])
        .when(slingBatch(tasks))
        .thenThrows('BAD_USER_INPUT', /^the convoy it creates encodes to \d+ bytes, over the limit of \d+ bytes/);
    });

    it('given a close reason with a NUL, when closed, then it is refused and the convoy stays open', () => {
      spec()
        .given(historyOf([slingBatch([task('A')])]))
        .when(close('done\0'))
        .thenThrows('BAD_USER_INPUT', 'reason contains a control character U+0000 at position 4');
    });

    it('given an agent failure whose reason holds a NUL, when reported, then it is recorded with U+FFFD instead', () => {
      const state = initialState();
      for (const c of [slingBatch([task('A')]), dispatch(0)]) envelope(decide(c, state, ctx).events, c).forEach((e) => evolve(state, e));
      expect(decide(fail(0, 1, 'exit 1: \0 in output', true), state, ctx).events[0]).toMatchObject({ type: 'BeadFailed', data: { reason: 'exit 1: \uFFFD in output' } });
    });

    it('given a stored BeadCreated whose index skips ahead (2^31), when folded, then evolve names the gap at once instead of looping over a sparse bead order', () => {
      const state = initialState();
      const c = slingBatch([task('A')]);
      const [convoyCreated] = envelope([created()], c);
      evolve(state, convoyCreated);
      const [corrupt] = envelope([beadCreated(2 ** 31, 'far away')], c);
      expect(() => evolve(state, corrupt)).toThrow(`evolve: bead ${bead(2 ** 31)} has index 2147483648 where the convoy's next index is 0`);
      expect(state.beadOrder).toHaveLength(0);
    });
  });

  describe('scale', () => {
    it('given a chain of 10,000 tasks, when slung and worked, then every decision stays fast', () => {
      const n = 10_000;
      const chain = Array.from({ length: n }, (_, i) => task(`step ${i}`, i === 0 ? [] : [i - 1]));
      const state = initialState();
      const run = (c: ConvoyCommand) => {
        const started = performance.now();
        const { events } = decide(c, state, ctx);
        envelope(events, c).forEach((e) => evolve(state, e));
        return performance.now() - started;
      };
      run(slingBatch(chain));
      const timings = [0, 1, 2].flatMap((i) => deliver(i).map(run));
      expect(progressOf(state)).toMatchObject({ total: n, closed: 3, open: n - 3 });
      expect(state.ready).toEqual(new Set([bead(3)]));
      // Linear work per decision is a few milliseconds here; quadratic work would be seconds.
      expect(Math.max(...timings)).toBeLessThan(500);
    });
  });
});

function diamondReadyToLandCommands() {
  return [slingBatch(DIAMOND), ...[0, 1, 2, 3].flatMap((i) => deliver(i))];
}

function twoRigsLandingCommands() {
  return [slingBatch([task('API', [], RIG_API), task('Web', [0], RIG_WEB)]), ...deliver(0), ...deliver(1), startLanding()];
}
