import { PlanError } from '@gastown/gateway-client';
import { z } from 'zod';
import { id } from '../mayor.fixtures';
import { UnknownRigError } from '../rig/rig.lookup';
import { SlingArguments, SlingBatchArguments, toSlingBatchInput, toSlingInput } from './sling.arguments';

const rigs = [
  { id: id(1), name: 'web' },
  { id: id(2), name: 'api' },
];

/** What the SDK hands a tool: the model's JSON arguments parsed by the input schema. */
const batch = (args: unknown) => SlingBatchArguments.parse(args);

describe('gt_sling_batch arguments', () => {
  it('given a plan as a model writes it, when mapped, then rig names become ids, indices stay and the defaults are filled in', () => {
    const input = toSlingBatchInput(
      batch({
        title: 'Login page',
        rig: 'web',
        tasks: [
          { title: 'Schema', body: 'Add the users table.' },
          { title: 'API', rig: 'api', depends_on: [0] },
          { title: 'UI', depends_on: [0, 1, 1] },
        ],
      }),
      rigs,
    );

    expect(input).toEqual({
      title: 'Login page',
      defaultRigId: id(1),
      mergeMode: 'REVIEW_THEN_LAND',
      staged: false,
      parallel: false,
      tasks: [
        { title: 'Schema', body: 'Add the users table.', dependsOn: [] },
        { title: 'API', rigId: id(2), dependsOn: [0] },
        { title: 'UI', dependsOn: [0, 1] },
      ],
    });
  });

  it('given dependencies by title or task id and the options set, when mapped, then they become indices and the options pass through', () => {
    const input = toSlingBatchInput(
      batch({
        title: 'Fixes',
        rig: id(2),
        merge_mode: 'REVIEW_AND_MERGE',
        staged: true,
        parallel: true,
        tasks: [{ id: 'typo', title: 'Fix the typo' }, { title: 'Bump lodash', depends_on: ['typo'] }, { title: 'Docs', depends_on: ['Bump lodash'] }],
      }),
      rigs,
    );

    expect(input).toMatchObject({ defaultRigId: id(2), mergeMode: 'REVIEW_AND_MERGE', staged: true, parallel: true });
    expect(input.tasks.map((t) => t.dependsOn)).toEqual([[], [0], [1]]);
  });

  it('given an unknown rig and an index past the end, when mapped, then one PlanError names both tasks and lists the rigs', () => {
    const map = () =>
      toSlingBatchInput(
        batch({ title: 'Login', rig: 'mobile', tasks: [{ title: 'Schema' }, { title: 'API', depends_on: [5] }] }),
        rigs,
      );

    expect(map).toThrow(PlanError);
    expect(map).toThrow('rig: unknown rig "mobile" (rigs of this town: web, api)');
    expect(map).toThrow('tasks[1] "API" depends_on[0]: there is no task 5 (the plan has tasks 0 to 1)');
  });

  it('given arguments the schema refuses, when parsed, then the field is named', () => {
    const parsed = SlingBatchArguments.safeParse({ title: 'x', rig: 'web', merge_mode: 'later', tasks: [{ title: 'a', extra: 1 }] });

    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues.map((i) => i.path.join('.'))).toEqual(expect.arrayContaining(['merge_mode', 'tasks.0']));
  });

  it('given the input schema a client sees, then merge_mode lists its values and every field has a description', () => {
    interface Field {
      description?: string;
      enum?: string[];
      items?: { properties?: Record<string, Field> };
    }
    const schema = z.toJSONSchema(SlingBatchArguments, { io: 'input' }) as { properties: Record<string, Field> };
    const taskFields = schema.properties['tasks'].items?.properties ?? {};
    const undescribed = [...Object.entries(schema.properties), ...Object.entries(taskFields)].filter(([, f]) => !f.description);

    expect(schema.properties['merge_mode'].enum).toEqual(['REVIEW_THEN_LAND', 'REVIEW_AND_MERGE']);
    expect(Object.keys(taskFields)).toEqual(['id', 'title', 'body', 'rig', 'depends_on']);
    expect(undescribed.map(([name]) => name)).toEqual([]);
  });
});

describe('gt_sling arguments', () => {
  const one = (args: unknown) => z.object(SlingArguments).parse(args);

  it('given one task on a rig by name, when mapped, then the rig id is used and the defaults are filled in', () => {
    expect(toSlingInput(one({ title: 'Fix the typo', body: 'In README.md', rig: 'api' }), rigs)).toEqual({
      title: 'Fix the typo',
      body: 'In README.md',
      rigId: id(2),
      mergeMode: 'REVIEW_THEN_LAND',
      staged: false,
    });
  });

  it('given a rig the town lacks, when mapped, then an UnknownRigError carries the town\'s rigs', () => {
    expect(() => toSlingInput(one({ title: 'Fix', rig: 'mobile' }), rigs)).toThrow(UnknownRigError);
  });
});
