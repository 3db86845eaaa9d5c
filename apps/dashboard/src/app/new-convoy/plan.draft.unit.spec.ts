import { parsePlan, resolvePlan, validatePlan, type RigRef } from '@gastown/gateway-client/plan';
import fc from 'fast-check';
import {
  draftToPlan,
  draftToYaml,
  emptyDraft,
  inputToDraft,
  previewOf,
  readDraft,
  readPlanText,
  textProblem,
  withDependency,
  withTaskAdded,
  withTaskRemoved,
  type PlanDraft,
  type TaskDraft,
} from './plan.draft';

const RIGS: RigRef[] = [
  { id: '11111111-1111-4111-8111-111111111111', name: 'web' },
  { id: '22222222-2222-4222-8222-222222222222', name: 'web-frontend' },
];
const [WEB, FRONTEND] = RIGS.map((r) => r.id);

const task = (title: string, dependsOn: number[] = [], rest: Partial<TaskDraft> = {}): TaskDraft => ({ title, body: '', rig: '', dependsOn, ...rest });

function draft(tasks: TaskDraft[], rest: Partial<PlanDraft> = {}): PlanDraft {
  return { ...emptyDraft('web'), title: 'Login page', tasks, ...rest };
}

/** The docs/cli.md plan, as the form would hold it. */
const LOGIN = draft([
  task('Schema', [], { body: 'Add the users table.' }),
  task('API', [0], { body: 'Add POST /login.' }),
  task('UI', [0], { rig: 'web-frontend' }),
  task('E2E tests', [1, 2]),
]);

const previewDraft = (d: PlanDraft) => previewOf(readDraft(d, RIGS), RIGS);
const previewText = (text: string) => previewOf(readPlanText(text, RIGS), RIGS);
const chips = (d: PlanDraft) => previewDraft(d).waves.map((w) => w.tasks.map((t) => `${t.index} ${t.title} @${t.rig}`));

describe('plan draft preview', () => {
  it('given the login plan in the form, when previewed, then it runs in three waves with each task on its rig', () => {
    const preview = previewDraft(LOGIN);
    expect(preview.error).toBeNull();
    expect(preview.taskCount).toBe(4);
    expect(chips(LOGIN)).toEqual([['0 Schema @web'], ['1 API @web', '2 UI @web-frontend'], ['3 E2E tests @web']]);
  });

  it('given a task made to wait for a later one that waits for it, when previewed, then the cycle is named as the convoy service names it and nothing is drawn', () => {
    const looped = withDependency(LOGIN, 1, 3, true);
    const preview = previewDraft(looped);
    expect(preview.waves).toEqual([]);
    expect(preview.taskCount).toBe(4);
    expect(preview.error).toBe('plan: tasks 1 → 3 → 1 form a cycle: "API" depends on "E2E tests", "E2E tests" depends on "API"');
  });

  it('given a cycle, when read, then the input to send still exists, so the server can refuse it itself', () => {
    const looped = withDependency(LOGIN, 0, 3, true);
    expect(readDraft(looped, RIGS).input?.tasks[0].dependsOn).toEqual([3]);
  });

  it('given a fresh form, when previewed, then the missing titles are named and the one task still shows in its wave', () => {
    const preview = previewDraft(emptyDraft('web'));
    expect(preview.error).toBe('plan: 2 problems:\n  - title must not be empty\n  - tasks[0].title must not be empty');
    expect(preview.waves.map((w) => w.tasks.map((t) => t.index))).toEqual([[0]]);
  });

  it('given two tasks with no dependency, when previewed, then it is refused as a flat batch unless marked parallel', () => {
    const flat = draft([task('A'), task('B')]);
    expect(previewDraft(flat).error).toMatch(/^plan: 2 tasks and no depends_on between them.*parallel: true/);
    expect(previewDraft({ ...flat, parallel: true })).toEqual({
      taskCount: 2,
      error: null,
      waves: [{ index: 0, tasks: [{ index: 0, title: 'A', rig: 'web' }, { index: 1, title: 'B', rig: 'web' }] }],
    });
  });

  it('given pasted YAML with a syntax error, when previewed, then nothing can be sent and the line is named', () => {
    const reading = readPlanText('title: t\nrig: [web\ntasks:\n  - title: A\n', RIGS);
    expect(reading.input).toBeNull();
    expect(previewText('title: t\nrig: [web\ntasks:\n  - title: A\n').error).toMatch(/^plan: .*line \d+, column \d+/);
  });

  it('given a pasted plan with a misspelt field and an unknown rig, when read, then the text problem names the field and the preview both', () => {
    const text = 'title: t\nrig: wbe\ntasks:\n  - title: A\n    dependson: [1]\n';
    expect(textProblem(text)).toBe('plan: tasks[0]: unknown field "dependson" (known fields: id, title, body, rig, depends_on)');
    expect(textProblem('title: t\nrig: wbe\ntasks:\n  - title: A\n')).toBeNull();
    expect(previewText('title: t\nrig: wbe\ntasks:\n  - title: A\n').error).toBe('plan: rig: unknown rig "wbe" (rigs of this town: web, web-frontend)');
  });

  it('given an empty paste, when previewed, then it says the plan is empty and counts no task', () => {
    expect(previewText('')).toEqual({ taskCount: 0, waves: [], error: 'plan: the plan is empty' });
  });
});

describe('plan draft conversions', () => {
  it('given the login form, when written as YAML, then it is the plan file format of gt sling-batch, leaving out what is empty', () => {
    expect(draftToYaml(LOGIN)).toBe(
      [
        'title: Login page',
        'rig: web',
        'merge_mode: review_then_land',
        'staged: false',
        'parallel: false',
        'tasks:',
        '  - title: Schema',
        '    body: Add the users table.',
        '  - title: API',
        '    body: Add POST /login.',
        '    depends_on: [0]',
        '  - title: UI',
        '    rig: web-frontend',
        '    depends_on: [0]',
        '  - title: E2E tests',
        '    depends_on: [1, 2]',
        '',
      ].join('\n'),
    );
  });

  it('given the docs example pasted with dependencies by id and title and a rig by id, when loaded into the form, then rigs are names and dependencies indices', () => {
    const text = [
      'title: Login page',
      `rig: ${WEB}`,
      'merge_mode: review-and-merge',
      'staged: true',
      'tasks:',
      '  - {title: Schema, id: schema, body: Add the users table.}',
      '  - {title: API, depends_on: [schema]}',
      '  - {title: UI, rig: web-frontend, depends_on: [0]}',
      '  - {title: E2E tests, depends_on: [API, UI]}',
    ].join('\n');
    const input = readPlanText(text, RIGS).input;
    expect(input && inputToDraft(input, RIGS)).toEqual({
      title: 'Login page',
      rig: 'web',
      mergeMode: 'REVIEW_AND_MERGE',
      staged: true,
      parallel: false,
      tasks: [task('Schema', [], { body: 'Add the users table.' }), task('API', [0]), task('UI', [0], { rig: 'web-frontend' }), task('E2E tests', [1, 2])],
    });
  });

  it('given a rig id the town does not have, when loaded into the form, then there is no draft', () => {
    const { input } = readDraft(draft([task('A', [], { rig: 'web-frontend' })]), RIGS);
    expect(inputToDraft(input, RIGS)).not.toBeNull();
    expect(inputToDraft({ ...input, defaultRigId: 'gone' }, RIGS)).toBeNull();
    expect(inputToDraft({ ...input, tasks: [{ title: 'A', rigId: 'gone', dependsOn: [] }] }, RIGS)).toBeNull();
  });

  it('given the form sends, then rig names become ids and dependencies stay indices', () => {
    expect(readDraft(LOGIN, RIGS).input).toEqual({
      title: 'Login page',
      defaultRigId: WEB,
      mergeMode: 'REVIEW_THEN_LAND',
      staged: false,
      parallel: false,
      tasks: [
        { title: 'Schema', body: 'Add the users table.', dependsOn: [] },
        { title: 'API', body: 'Add POST /login.', dependsOn: [0] },
        { title: 'UI', rigId: FRONTEND, dependsOn: [0] },
        { title: 'E2E tests', dependsOn: [1, 2] },
      ],
    });
  });

  it('given task 1 of four is removed, then the others keep waiting for the same tasks under their new numbers', () => {
    expect(withTaskRemoved(LOGIN, 1).tasks.map((t) => [t.title, t.dependsOn])).toEqual([
      ['Schema', []],
      ['UI', [0]],
      ['E2E tests', [1]],
    ]);
  });

  it('given a new task, then it depends on nothing and uses the default rig', () => {
    expect(withTaskAdded(LOGIN).tasks[4]).toEqual(task(''));
  });
});

/** Titles the plan schema keeps as they are (it trims), and that YAML prints back unchanged. */
const title = fc.string({ minLength: 1, maxLength: 12 }).filter((s) => s.trim() === s && s.length > 0);

/** Any form a person can make: any titles (blank too), any rigs of the town, any dependencies, cycles included. */
const anyDraft: fc.Arbitrary<PlanDraft> = fc.integer({ min: 1, max: 7 }).chain((n) =>
  fc.record({
    title: fc.string({ maxLength: 10 }),
    rig: fc.constantFrom('web', 'web-frontend'),
    mergeMode: fc.constantFrom('REVIEW_THEN_LAND' as const, 'REVIEW_AND_MERGE' as const),
    staged: fc.boolean(),
    parallel: fc.boolean(),
    tasks: fc.array(
      fc.record({
        title: fc.string({ maxLength: 10 }),
        body: fc.string({ maxLength: 20 }),
        rig: fc.constantFrom('', 'web', 'web-frontend'),
        dependsOn: fc.uniqueArray(fc.nat({ max: n - 1 }), { maxLength: 3 }),
      }),
      { minLength: n, maxLength: n },
    ),
  }),
);

/** A valid form whose dependencies form a DAG: edges go to earlier tasks of a random order of the tasks. */
const acyclicDraft: fc.Arbitrary<PlanDraft> = fc.integer({ min: 1, max: 8 }).chain((n) =>
  fc
    .record({
      order: fc.shuffledSubarray(
        Array.from({ length: n }, (_, i) => i),
        { minLength: n, maxLength: n },
      ),
      picks: fc.array(fc.uniqueArray(fc.nat({ max: n - 1 }), { maxLength: 3 }), { minLength: n, maxLength: n }),
      titles: fc.array(title, { minLength: n, maxLength: n }),
      bodies: fc.array(fc.string({ maxLength: 20 }), { minLength: n, maxLength: n }),
      rigs: fc.array(fc.constantFrom('', 'web', 'web-frontend'), { minLength: n, maxLength: n }),
      title,
      rig: fc.constantFrom('web', 'web-frontend'),
      mergeMode: fc.constantFrom('REVIEW_THEN_LAND' as const, 'REVIEW_AND_MERGE' as const),
      staged: fc.boolean(),
    })
    .map(({ order, picks, titles, bodies, rigs, ...rest }) => {
      const rank = new Map(order.map((task, position) => [task, position]));
      const tasks = titles.map((t, i) => ({
        title: t,
        body: bodies[i],
        rig: rigs[i],
        dependsOn: picks[i].filter((d) => (rank.get(d) ?? 0) < (rank.get(i) ?? 0)).sort((a, b) => a - b),
      }));
      return { ...rest, parallel: true, tasks };
    }),
);

/** A valid form with one loop: some edge of an acyclic form, turned around and added. */
const loopedDraft: fc.Arbitrary<PlanDraft> = acyclicDraft
  .filter((d) => d.tasks.some((t) => t.dependsOn.length > 0))
  .map((d) => {
    const from = d.tasks.findIndex((t) => t.dependsOn.length > 0);
    return withDependency(d, d.tasks[from].dependsOn[0], from, true);
  });

describe('plan draft properties', () => {
  it('property: any form, and any text, is previewed without throwing', () => {
    fc.assert(
      fc.property(anyDraft, (d) => {
        const preview = previewDraft(d);
        expect(preview.taskCount).toBe(d.tasks.length);
      }),
    );
    fc.assert(fc.property(fc.string(), (text) => void previewText(text)));
  });

  it('property: any acyclic form → every task appears in exactly one wave, after all its dependencies, and nothing is wrong', () => {
    fc.assert(
      fc.property(acyclicDraft, (d) => {
        const preview = previewDraft(d);
        expect(preview.error).toBeNull();
        const waveOf = new Map<number, number>();
        for (const wave of preview.waves) for (const t of wave.tasks) {
          expect(waveOf.has(t.index)).toBe(false);
          waveOf.set(t.index, wave.index);
        }
        expect(waveOf.size).toBe(d.tasks.length);
        d.tasks.forEach((t, i) => t.dependsOn.forEach((dep) => expect(waveOf.get(dep)).toBeLessThan(waveOf.get(i) ?? -1)));
      }),
    );
  });

  it('property: a form with a loop is never drawn, and the error names a cycle', () => {
    fc.assert(
      fc.property(loopedDraft, (d) => {
        const preview = previewDraft(d);
        expect(preview.waves).toEqual([]);
        expect(preview.error).toMatch(/form a cycle/);
      }),
    );
  });

  it('property: what the form sends is what the plan file checks resolve the same form to', () => {
    fc.assert(
      fc.property(acyclicDraft, (d) => {
        expect(readDraft(d, RIGS).input).toEqual(resolvePlan(validatePlan(draftToPlan(d)), RIGS));
      }),
    );
  });

  it('property: Form → Paste → Form gives the same form back, loops included', () => {
    fc.assert(
      fc.property(fc.oneof(acyclicDraft, loopedDraft), (d) => {
        const input = readPlanText(draftToYaml(d), RIGS).input;
        expect(input && inputToDraft(input, RIGS)).toEqual(d);
      }),
    );
  });

  it('property: removing a task keeps every other dependency, renumbered, and no dangling one', () => {
    fc.assert(
      fc.property(
        anyDraft.chain((d) => fc.tuple(fc.constant(d), fc.nat({ max: d.tasks.length - 1 }))),
        ([d, removed]) => {
          const after = withTaskRemoved(d, removed);
          const renumber = (i: number) => (i > removed ? i - 1 : i);
          const edges = (x: PlanDraft) => x.tasks.flatMap((t, i) => t.dependsOn.map((dep) => `${i}→${dep}`)).sort();
          const kept = d.tasks.flatMap((t, i) =>
            i === removed ? [] : t.dependsOn.filter((dep) => dep !== removed).map((dep) => `${renumber(i)}→${renumber(dep)}`),
          );
          expect(edges(after)).toEqual(kept.sort());
          expect(after.tasks.length).toBe(d.tasks.length - 1);
        },
      ),
    );
  });

  it('property: the YAML of any form is read back by the plan parser to the same plan', () => {
    fc.assert(fc.property(acyclicDraft, (d) => expect(parsePlan(draftToYaml(d))).toEqual(validatePlan(draftToPlan(d)))));
  });
});
