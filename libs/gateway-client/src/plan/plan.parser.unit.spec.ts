import fc from 'fast-check';
import { stringify } from 'yaml';
import { textProblem } from '@gastown/contracts/text';
import { parsePlan, PlanError, validatePlan } from './plan.parser';
import type { Plan } from './plan.schema';

/** The problems a PlanError lists, or a failure when the plan was accepted. */
function problemsOf(run: () => unknown): string[] {
  try {
    run();
  } catch (error) {
    if (error instanceof PlanError) return [...error.problems];
    throw error;
  }
  throw new Error('the plan was accepted');
}

const MINIMAL = 'title: Login page\nrig: web\ntasks:\n  - title: Schema\n';

describe('parsePlan', () => {
  it('given a minimal YAML plan, when parsed, then the defaults are filled in', () => {
    expect(parsePlan(MINIMAL)).toEqual({
      title: 'Login page',
      rig: 'web',
      merge_mode: 'REVIEW_THEN_LAND',
      staged: false,
      parallel: false,
      tasks: [{ title: 'Schema', depends_on: [] }],
    });
  });

  it('given the same plan in JSON, when parsed, then it is the same plan', () => {
    const json = JSON.stringify({ title: 'Login page', rig: 'web', tasks: [{ title: 'Schema' }] });
    expect(parsePlan(json)).toEqual(parsePlan(MINIMAL));
  });

  it('given dependencies by index, title and id, when parsed, then each keeps the form it was written in', () => {
    const plan = parsePlan(
      'title: t\nrig: web\ntasks:\n  - {title: A, id: a}\n  - {title: B, depends_on: [0]}\n  - {title: C, depends_on: [a, B]}\n',
    );
    expect(plan.tasks.map((t) => t.depends_on)).toEqual([[], [0], ['a', 'B']]);
  });

  it.each([
    ['review-and-merge', 'REVIEW_AND_MERGE'],
    ['review_then_land', 'REVIEW_THEN_LAND'],
    [' REVIEW_AND_MERGE ', 'REVIEW_AND_MERGE'],
  ])('given merge_mode %j, when parsed, then it is %s', (written, mode) => {
    expect(parsePlan(`${MINIMAL}merge_mode: "${written}"\n`).merge_mode).toBe(mode);
  });

  it('given an unknown field at the top and in a task, when parsed, then each is named with the fields that exist', () => {
    const problems = problemsOf(() => parsePlan('title: t\nrig: web\ncolour: red\ntasks:\n  - title: A\n    dependson: [1]\n', 'plan.yaml'));
    expect(problems).toEqual(
      expect.arrayContaining([
        'unknown field "colour" (known fields: title, rig, merge_mode, staged, parallel, tasks)',
        'tasks[0]: unknown field "dependson" (known fields: id, title, body, rig, depends_on)',
      ]),
    );
  });

  it('given a task without a title, when parsed, then the message points at tasks[1].title', () => {
    expect(problemsOf(() => parsePlan('title: t\nrig: web\ntasks:\n  - title: A\n  - body: no title\n'))).toEqual(['tasks[1].title is required']);
  });

  it('given a blank title, when parsed, then it must not be empty', () => {
    expect(problemsOf(() => parsePlan('title: "  "\nrig: web\ntasks:\n  - title: A\n'))).toEqual(['title must not be empty']);
  });

  it('given a NUL in a task title, a bidi override in the plan title and a bell in a body, when parsed, then each is named with its code point and position', () => {
    const plan = JSON.stringify({ title: 'Ship \u202E', rig: 'web', tasks: [{ title: 'Te\u0000st', body: 'line\n\tring \u0007' }] });
    expect(problemsOf(() => parsePlan(plan))).toEqual([
      'title contains a bidirectional control character U+202E at position 5',
      'tasks[0].title contains a control character U+0000 at position 2',
      'tasks[0].body contains a control character U+0007 at position 11',
    ]);
  });

  it('given a multi-line body with CRLF line ends and tabs, when parsed, then it is accepted as written', () => {
    const plan = JSON.stringify({ title: 'Docs', rig: 'web', tasks: [{ title: 'Readme', body: 'Steps:\r\n\t1. write\r\n' }] });
    expect(parsePlan(plan).tasks[0].body).toBe('Steps:\r\n\t1. write\r\n');
  });

  it('given a merge mode that does not exist, when parsed, then the message lists the two that do', () => {
    expect(problemsOf(() => parsePlan(`${MINIMAL}merge_mode: squash\n`))).toEqual(['merge_mode must be review_then_land or review_and_merge']);
  });

  it('given no rig, when parsed, then it says the rig name or id is required', () => {
    expect(problemsOf(() => parsePlan('title: t\ntasks:\n  - title: A\n'))).toEqual(['rig is required (the rig name or id)']);
  });

  it('given negative, fractional and empty dependencies, when parsed, then each slot is named', () => {
    const problems = problemsOf(() => parsePlan('title: t\nrig: web\ntasks:\n  - title: A\n    depends_on: [-1, 1.5, ""]\n'));
    expect(problems).toEqual([
      expect.stringMatching(/^tasks\[0\]\.depends_on\[0\] must be a task index/),
      expect.stringMatching(/^tasks\[0\]\.depends_on\[1\] must be a task index/),
      'tasks[0].depends_on[2] must not be empty (a task index, title or id)',
    ]);
  });

  it('given a YAML syntax error, when parsed, then the message says the line and column and nothing else is checked', () => {
    const error = (() => {
      try {
        parsePlan('title: t\nrig: [web\ntasks:\n  - title: A\n', 'plan.yaml');
      } catch (e) {
        return e as PlanError;
      }
      throw new Error('accepted');
    })();
    expect(error).toBeInstanceOf(PlanError);
    expect(error.message).toMatch(/^plan\.yaml: .*at line \d+, column \d+/);
    expect(error.problems).toHaveLength(1);
  });

  it('given the same key twice, when parsed, then it is refused with its line', () => {
    expect(problemsOf(() => parsePlan('title: a\ntitle: b\nrig: web\ntasks:\n  - title: A\n'))[0]).toMatch(/Map keys must be unique at line 2/);
  });

  it.each([
    ['an empty file', 'the plan is empty', ''],
    ['a list', 'a plan must be a mapping with title, rig and tasks', '- a\n- b\n'],
    ['no tasks', 'tasks must hold at least one task', 'title: t\nrig: web\ntasks: []\n'],
    ['tasks as a mapping', 'tasks must be a list of tasks', 'title: t\nrig: web\ntasks: {a: 1}\n'],
    ['a task that is text', 'tasks[0] must be a task: a mapping with title and optionally id, body, rig, depends_on', 'title: t\nrig: web\ntasks: [just text]\n'],
    ['staged as a word', 'staged must be true or false', `${MINIMAL}staged: "yes"\n`],
    ['depends_on as one number', 'tasks[0].depends_on must be a list of task indices, titles or ids', 'title: t\nrig: web\ntasks:\n  - {title: A, depends_on: 0}\n'],
  ])('given %s, when parsed, then it says %j', (_, problem, text) => {
    expect(problemsOf(() => parsePlan(text))).toEqual([problem]);
  });

  it('given several problems, when parsed, then the message names the source and lists each', () => {
    try {
      parsePlan('rig: web\ntasks:\n  - title: 5\n', 'plan.json');
      throw new Error('accepted');
    } catch (error) {
      expect((error as Error).message).toBe('plan.json: 2 problems:\n  - title is required\n  - tasks[0].title must be text');
    }
  });
});

describe('validatePlan', () => {
  it('given structured arguments (a tool call), when validated, then the same rules apply without any text', () => {
    expect(problemsOf(() => validatePlan({ title: 'x', rig: 'web', tasks: [{ title: 'A', depends_on: 'B' }] }))).toEqual([
      'tasks[0].depends_on must be a list of task indices, titles or ids',
    ]);
  });
});

/** Text that survives the schema's trimming unchanged and that the text rules accept (no line separator U+2028, no bidi override…). */
const text = fc
  .string({ unit: 'grapheme', minLength: 1, maxLength: 20 })
  .filter((s) => s.trim() === s && s.length > 0 && textProblem('', s, 'line', Infinity) === null);
const body = fc.string({ unit: 'grapheme', maxLength: 60 }).filter((s) => textProblem('', s, 'body', Infinity) === null);

const plan: fc.Arbitrary<Plan> = fc
  .record({
    title: text,
    rig: text,
    merge_mode: fc.constantFrom('REVIEW_THEN_LAND' as const, 'REVIEW_AND_MERGE' as const),
    staged: fc.boolean(),
    parallel: fc.boolean(),
    tasks: fc.array(
      fc.record(
        {
          id: text,
          title: text,
          body,
          rig: text,
          depends_on: fc.array(fc.oneof(fc.nat({ max: 20 }), text), { maxLength: 4 }),
        },
        { requiredKeys: ['title', 'depends_on'] },
      ),
      { minLength: 1, maxLength: 6 },
    ),
  });

describe('plan round trip', () => {
  it('property: any valid plan printed as JSON or as YAML parses back to the same plan', () => {
    fc.assert(
      fc.property(plan, (p) => {
        expect(parsePlan(JSON.stringify(p))).toEqual(p);
        expect(parsePlan(stringify(p))).toEqual(p);
      }),
    );
  });
});
