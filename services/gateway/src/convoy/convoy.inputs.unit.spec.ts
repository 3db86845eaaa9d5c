import fc from 'fast-check';
import { planTextProblem, reasonTextProblem, type TaskInput } from './convoy.inputs';

const task = (title: string, body?: string): TaskInput => ({ title, body, dependsOn: [] });

describe('convoy input text', () => {
  it('given a plan whose second task title holds a NUL, when checked, then the task, the field, U+0000 and the position are named', () => {
    expect(planTextProblem({ title: 'Plan', tasks: [task('ok'), task('Te\0st')] })).toEqual({
      argument: 'tasks[1].title',
      message: 'task 1 ("Te\\u0000st"): tasks[1].title contains a control character U+0000 at position 2',
    });
  });

  it('given added tasks, when a body holds a bell, then only the field is named (the convoy index is the convoy service’s to know)', () => {
    expect(planTextProblem({ tasks: [task('a', 'ring \u0007')] }, false)).toEqual({
      argument: 'tasks[0].body',
      message: 'tasks[0].body contains a control character U+0007 at position 5',
    });
  });

  it('given a convoy title with a right-to-left override or a Sling body with a NUL, when checked, then that field is named', () => {
    expect(planTextProblem({ title: 'a\u202Eb', tasks: [] })?.argument).toBe('title');
    expect(planTextProblem({ title: 'fine', body: 'x\0' })?.message).toBe('body contains a control character U+0000 at position 1');
  });

  it('given a close reason with a newline, when checked, then it is refused', () => {
    expect(reasonTextProblem('done\nSigned-off-by: x')?.message).toBe('reason contains a line break U+000A at position 4');
  });

  it('given any plan of visible titles and multi-line bodies, when checked, then nothing is refused', () => {
    const line = fc.string({ unit: fc.constantFrom(...'abc XYZ-é日🚀'), maxLength: 30 });
    const body = fc.string({ unit: fc.constantFrom(...'ab \n\t\r'), maxLength: 60 });
    fc.assert(fc.property(line, fc.array(fc.tuple(line, body), { maxLength: 5 }), (title, tasks) => {
      expect(planTextProblem({ title, tasks: tasks.map(([t, b]) => task(t, b)) })).toBeNull();
    }));
  });
});
