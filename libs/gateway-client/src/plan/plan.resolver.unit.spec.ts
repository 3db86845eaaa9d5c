import fc from 'fast-check';
import { PlanError, validatePlan } from './plan.parser';
import { resolvePlan, type RigRef } from './plan.resolver';
import type { PlanInput } from './plan.schema';

const RIGS: RigRef[] = [
  { id: '11111111-1111-4111-8111-111111111111', name: 'web' },
  { id: '22222222-2222-4222-8222-222222222222', name: 'api' },
];
const [WEB, API] = RIGS.map((r) => r.id);

const resolve = (plan: PlanInput, rigs = RIGS) => resolvePlan(validatePlan(plan), rigs, 'plan.yaml');

function problemsOf(run: () => unknown): string[] {
  try {
    run();
  } catch (error) {
    if (error instanceof PlanError) return [...error.problems];
    throw error;
  }
  throw new Error('the plan was accepted');
}

describe('resolvePlan', () => {
  it('given rig names and dependencies by index, title and id, when resolved, then the gateway input has ids and indices', () => {
    const input = resolve({
      title: 'Login',
      rig: 'web',
      merge_mode: 'review_and_merge',
      staged: true,
      tasks: [
        { title: 'Schema', id: 'schema', body: 'users table' },
        { title: 'API', rig: 'api', depends_on: ['schema'] },
        { title: 'UI', depends_on: [0] },
        { title: 'E2E', depends_on: ['API', 'UI', 2] },
      ],
    });
    expect(input).toEqual({
      title: 'Login',
      defaultRigId: WEB,
      mergeMode: 'REVIEW_AND_MERGE',
      staged: true,
      parallel: false,
      tasks: [
        { title: 'Schema', body: 'users table', dependsOn: [] },
        { title: 'API', rigId: API, dependsOn: [0] },
        { title: 'UI', dependsOn: [0] },
        { title: 'E2E', dependsOn: [1, 2] },
      ],
    });
  });

  it('given a rig by id, when resolved, then it is accepted like its name', () => {
    expect(resolve({ title: 't', rig: API, tasks: [{ title: 'A' }] }).defaultRigId).toBe(API);
  });

  it('given an unknown rig, when resolved, then the message lists the rigs the town has', () => {
    expect(problemsOf(() => resolve({ title: 't', rig: 'wbe', tasks: [{ title: 'A' }] }))).toEqual([
      'rig: unknown rig "wbe" (rigs of this town: web, api)',
    ]);
  });

  it('given a town without rigs, when resolved, then it says none is registered', () => {
    expect(problemsOf(() => resolve({ title: 't', rig: 'web', tasks: [{ title: 'A' }] }, []))).toEqual([
      'rig: unknown rig "web" (rigs of this town: none registered)',
    ]);
  });

  it('given a dependency on an index past the end, when resolved, then it names the task and the range', () => {
    expect(problemsOf(() => resolve({ title: 't', rig: 'web', tasks: [{ title: 'A' }, { title: 'B', depends_on: [5] }] }))).toEqual([
      'tasks[1] "B" depends_on[0]: there is no task 5 (the plan has tasks 0 to 1)',
    ]);
  });

  it('given a dependency on a title nobody has, when resolved, then it names the missing title', () => {
    expect(problemsOf(() => resolve({ title: 't', rig: 'web', tasks: [{ title: 'A' }, { title: 'B', depends_on: ['Shema'] }] }))).toEqual([
      'tasks[1] "B" depends_on[0]: no task has the title or id "Shema"',
    ]);
  });

  it('given two tasks with the same title, when one is named as a dependency, then it is ambiguous and says which tasks', () => {
    expect(
      problemsOf(() => resolve({ title: 't', rig: 'web', tasks: [{ title: 'A' }, { title: 'A' }, { title: 'B', depends_on: ['A'] }] })),
    ).toEqual(['tasks[2] "B" depends_on[0]: "A" names tasks 0 and 1; use an index or an id']);
  });

  it('given a task that depends on itself, when resolved, then it is refused', () => {
    expect(problemsOf(() => resolve({ title: 't', rig: 'web', tasks: [{ title: 'A', depends_on: ['A'] }] }))).toEqual([
      'tasks[0] "A" depends_on[0]: a task cannot depend on itself',
    ]);
  });

  it('given an id used twice, when resolved, then it is refused', () => {
    expect(problemsOf(() => resolve({ title: 't', rig: 'web', tasks: [{ title: 'A', id: 'x' }, { title: 'B', id: 'x', depends_on: [0] }] }))).toEqual([
      'task id "x" is used by more than one task',
    ]);
  });

  it('given several problems, when resolved, then every one is reported at once, naming its task', () => {
    const problems = problemsOf(() =>
      resolve({ title: 't', rig: 'nope', tasks: [{ title: 'A', rig: 'gone' }, { title: 'B', depends_on: [9, 'Z'] }] }),
    );
    expect(problems).toEqual([
      'rig: unknown rig "nope" (rigs of this town: web, api)',
      'tasks[0] "A" rig: unknown rig "gone" (rigs of this town: web, api)',
      'tasks[1] "B" depends_on[0]: there is no task 9 (the plan has tasks 0 to 1)',
      'tasks[1] "B" depends_on[1]: no task has the title or id "Z"',
    ]);
  });

  it('property: dependencies written by title resolve to the same indices as written by index', () => {
    const plan = fc.integer({ min: 1, max: 12 }).chain((n) =>
      fc.array(fc.uniqueArray(fc.nat({ max: n - 1 }), { maxLength: 3 }), { minLength: n, maxLength: n }).map((deps) =>
        deps.map((ds, i) => ds.filter((d) => d < i)),
      ),
    );
    fc.assert(
      fc.property(plan, (deps) => {
        const byIndex = resolve({ title: 't', rig: 'web', parallel: true, tasks: deps.map((ds, i) => ({ title: `task ${i}`, depends_on: ds })) });
        const byTitle = resolve({
          title: 't',
          rig: 'web',
          parallel: true,
          tasks: deps.map((ds, i) => ({ title: `task ${i}`, depends_on: ds.map((d) => `task ${d}`) })),
        });
        expect(byTitle).toEqual(byIndex);
        expect(byIndex.tasks.map((t) => t.dependsOn)).toEqual(deps);
      }),
    );
  });
});
