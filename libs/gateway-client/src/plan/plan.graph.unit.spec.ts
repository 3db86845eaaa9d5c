import { planWaves } from './plan.graph';
import { PlanError } from './plan.parser';

const tasks = (...deps: number[][]) => deps.map((dependsOn, i) => ({ title: `T${i}`, dependsOn }));

describe('planWaves', () => {
  it('given a diamond, when planned, then it runs in three waves', () => {
    expect(planWaves({ tasks: tasks([], [0], [0], [1, 2]), parallel: false })).toEqual([[0], [1, 2], [3]]);
  });

  it('given a cycle, when planned, then the error names the tasks by index and title, as the convoy service does', () => {
    const plan = { tasks: tasks([], [3], [1], [2]), parallel: false };
    expect(() => planWaves(plan, 'plan.yaml')).toThrow(PlanError);
    expect(() => planWaves(plan, 'plan.yaml')).toThrow(
      'plan.yaml: tasks 1 → 3 → 2 → 1 form a cycle: "T1" depends on "T3", "T3" depends on "T2", "T2" depends on "T1"',
    );
  });

  it('given several tasks with no order and not parallel, when planned, then it is refused with the way out', () => {
    expect(() => planWaves({ tasks: tasks([], []), parallel: false })).toThrow(/2 tasks and no depends_on between them.*parallel: true/);
  });

  it('given independent tasks marked parallel, when planned, then they share one wave', () => {
    expect(planWaves({ tasks: tasks([], [], []), parallel: true })).toEqual([[0, 1, 2]]);
  });
});
