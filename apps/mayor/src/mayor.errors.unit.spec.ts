import fc from 'fast-check';
import { GatewayError, PlanError, resolvePlan, validatePlan } from '@gastown/gateway-client';
import { explainError, wantsRigList } from './mayor.errors';
import { id } from './mayor.fixtures';
import { UnknownRigError } from './rig/rig.lookup';

const gatewayUrl = 'http://127.0.0.1:4000/graphql';
const rigs = [
  { id: id(1), name: 'web' },
  { id: id(2), name: 'api' },
];
const explain = (error: unknown, tool = 'gt_sling_batch', known = rigs) => explainError(error, { tool, gatewayUrl, rigs: known });

describe('explaining a refused call to the model', () => {
  it('given a rate-limited call, when explained, then the model is told nothing changed, to call again with the same arguments and when', () => {
    const refusal = new GatewayError('RATE_LIMITED', 'rate limited: the town sends more than 20 mutations a second; retry in 2.5 s', {
      retryAfterMs: 2_500,
    });

    const text = explain(refusal, 'gt_convoy_start');

    expect(text).toContain('nothing was changed');
    expect(text).toContain('call gt_convoy_start again with the same arguments: retry in 2.5 s');
  });

  it('given a plan whose tasks form a cycle, when explained, then it names each task of the loop with index and title and the dependencies to remove', () => {
    const refusal = new GatewayError('BAD_USER_INPUT', 'tasks 0 → 2 → 0 form a cycle: "Schema" depends on "API", "API" depends on "Schema"', {
      cycle: [
        { index: 0, title: 'Schema' },
        { index: 2, title: 'API' },
        { index: 0, title: 'Schema' },
      ],
    });

    const text = explain(refusal);

    expect(text).toContain('cycle');
    expect(text).toContain('tasks 0 "Schema" → 2 "API" → 0 "Schema"');
    expect(text).toContain('remove 2 from the depends_on of task 0 "Schema"');
    expect(text).toContain('remove 0 from the depends_on of task 2 "API"');
    expect(text).toContain('call gt_sling_batch again');
    expect(text).toContain('Nothing was created');
  });

  it('given any cycle of distinct titles, when explained, then every title of the loop appears and the word cycle too', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.string({ minLength: 1, maxLength: 12 }).filter((t) => !t.includes('"')), { minLength: 2, maxLength: 8 }), (titles) => {
        const loop = [...titles, titles[0]].map((title) => ({ index: titles.indexOf(title), title }));
        const text = explain(new GatewayError('BAD_USER_INPUT', 'cycle', { cycle: loop }));
        expect(text).toContain('cycle');
        for (const [i, title] of titles.entries()) expect(text).toContain(`${i} "${title}"`);
      }),
    );
  });

  it('given adding a dependency would close a cycle, when explained, then it says not to add it and how to change the order instead', () => {
    const refusal = new GatewayError('BAD_USER_INPUT', 'tasks 1 → 0 → 1 would form a cycle', {
      cycle: [
        { index: 1, title: 'API' },
        { index: 0, title: 'Schema' },
        { index: 1, title: 'API' },
      ],
    });

    const text = explain(refusal, 'gt_bead_add_dependency');

    expect(text).toContain('would close a cycle');
    expect(text).toContain('"API" depends on "Schema"');
    expect(text).toContain('Do not add it');
    expect(text).toContain('gt_bead_remove_dependency');
  });

  it('given a flat batch refusal, when explained, then it offers depends_on or parallel: true', () => {
    const refusal = new GatewayError('BAD_USER_INPUT', '3 tasks and no dependsOn between them', { path: ['parallel'], taskCount: 3 });

    const text = explain(refusal);

    expect(text).toContain('3 tasks and not one depends_on');
    expect(text).toContain('parallel: true');
  });

  it('given the gateway lists several input errors, when explained, then each is a line in the tool\'s own field names', () => {
    const refusal = new GatewayError('BAD_USER_INPUT', 'two problems', {
      errors: [
        { path: ['tasks', 1, 'dependsOn', 0], value: 7, message: 'task 1 ("API"): dependsOn[0] = 7 is out of range (tasks are numbered 0 to 2)' },
        { path: ['tasks', 2, 'dependsOn', 0], value: 2, message: 'task 2 ("UI"): dependsOn[0] = 2 refers to the task itself' },
      ],
    });

    const text = explain(refusal);

    expect(text).toContain('- task 1 ("API"): depends_on[0] = 7 is out of range (tasks are numbered 0 to 2)');
    expect(text).toContain('- task 2 ("UI"): depends_on[0] = 2 refers to the task itself');
    expect(text).not.toContain('rigs of this town');
  });

  it('given the gateway refuses a rig id, when explained, then the town\'s rigs are listed by name and id', () => {
    const refusal = new GatewayError('BAD_USER_INPUT', 'x', {
      errors: [{ path: ['defaultRigId'], value: id(9), message: `defaultRigId "${id(9)}" is not a rig of this town` }],
    });

    expect(wantsRigList(refusal)).toBe(true);
    const text = explain(refusal);

    expect(text).toContain(`"web" (id ${id(1)})`);
    expect(text).toContain(`"api" (id ${id(2)})`);
  });

  it('given a plan naming a rig the town lacks and a dependency on a missing task, when resolved and explained, then both problems name their task', () => {
    const plan = validatePlan({
      title: 'Login',
      rig: 'web',
      tasks: [{ title: 'Schema' }, { title: 'API', rig: 'mobile', depends_on: ['Shema'] }],
    });
    let error: unknown;
    try {
      resolvePlan(plan, rigs);
    } catch (caught) {
      error = caught;
    }

    const text = explain(error);

    expect(error).toBeInstanceOf(PlanError);
    expect(text).toContain('nothing was created');
    expect(text).toContain('tasks[1] "API" rig: unknown rig "mobile" (rigs of this town: web, api)');
    expect(text).toContain('tasks[1] "API" depends_on[0]: no task has the title or id "Shema"');
  });

  it('given an unknown rig name in a tool argument, when explained, then the rigs are listed, or how to get one when there is none', () => {
    expect(explain(new UnknownRigError('mobile', rigs), 'gt_list_agents')).toBe(
      `There is no rig "mobile" in this town. The rigs of this town are: "web" (id ${id(1)}), "api" (id ${id(2)}). ` +
        'Call gt_list_agents again with one of these names.',
    );
    expect(explain(new UnknownRigError('web', []), 'gt_sling')).toContain('no rigs yet');
  });

  it('given a wrong token, when explained, then it says GT_TOKEN is wrong and how to fix it', () => {
    const text = explain(new GatewayError('UNAUTHENTICATED', 'the token is not valid'), 'gt_list_rigs');

    expect(text).toContain('GT_TOKEN is wrong');
    expect(text).toContain(gatewayUrl);
    expect(text).toContain('restart');
  });

  it('given no gateway, when explained, then it says the gateway is down at the URL, and asks to check before repeating a change', () => {
    const down = new GatewayError('UNREACHABLE', `the gateway at ${gatewayUrl} did not answer: connect ECONNREFUSED`);

    expect(explain(down, 'gt_list_rigs')).toContain(`gateway is down or unreachable at ${gatewayUrl}`);
    expect(explain(down, 'gt_list_rigs')).not.toContain('went through');
    expect(explain(down, 'gt_sling_batch')).toContain('check with gt_list_convoys whether it went through');
  });

  it('given an unknown id or a refusal in the current state, when explained, then it points at the tool that shows the truth', () => {
    expect(explain(new GatewayError('NOT_FOUND', `convoy ${id(7)} not found`), 'gt_convoy_status')).toContain('gt_list_convoys');
    const conflict = explain(new GatewayError('CONFLICT', 'bead "API" is IN_PROGRESS: RetryBead needs it FAILED'), 'gt_bead_retry');
    expect(conflict).toContain('bead "API" is IN_PROGRESS');
    expect(conflict).toContain('gt_convoy_status');
  });

  it('given a failure that is not the gateway\'s, when explained, then the tool and the message are named', () => {
    expect(explain(new Error('boom'), 'gt_list_rigs')).toBe('gt_list_rigs failed: boom');
  });
});
