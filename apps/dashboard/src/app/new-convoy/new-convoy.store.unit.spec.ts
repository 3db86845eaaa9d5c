import { TestBed } from '@angular/core/testing';
import { GatewayError } from '@gastown/gateway-client/client';
import type { SlingBatchInput } from '@gastown/gateway-client/plan';
import { GatewayService } from '../gateway/gateway.service';
import { NewConvoyStore, RIGS_QUERY, SLING_BATCH } from './new-convoy.store';

const RIGS = [
  { id: 'r-web', name: 'web', defaultBranch: 'main' },
  { id: 'r-api', name: 'api', defaultBranch: 'trunk' },
];

const INPUT: SlingBatchInput = {
  title: 'Login page',
  defaultRigId: 'r-web',
  mergeMode: 'REVIEW_THEN_LAND',
  staged: false,
  parallel: false,
  tasks: [
    { title: 'Schema', dependsOn: [] },
    { title: 'API', dependsOn: [0] },
  ],
};

const CYCLE = new GatewayError('BAD_USER_INPUT', 'tasks 0 → 1 → 0 form a cycle: "Schema" depends on "API", "API" depends on "Schema"', {
  cycle: [
    { index: 0, title: 'Schema' },
    { index: 1, title: 'API' },
    { index: 0, title: 'Schema' },
  ],
});

/** A gateway that answers the rigs query and hands each slingBatch call to `sling`. */
function setup(sling: (input: Record<string, unknown>) => Promise<unknown>) {
  const request = jest.fn(async (document: string, variables: Record<string, unknown> = {}) => {
    if (document === RIGS_QUERY) return { rigs: RIGS };
    if (document === SLING_BATCH) return sling(variables['input'] as Record<string, unknown>);
    throw new Error(`unexpected document ${document}`);
  });
  TestBed.configureTestingModule({ providers: [NewConvoyStore, { provide: GatewayService, useValue: { request } }] });
  const store = TestBed.inject(NewConvoyStore);
  const sent = () => request.mock.calls.filter(([document]) => document === SLING_BATCH).map(([, variables]) => variables?.['input'] as SlingBatchInput);
  return { store, request, sent };
}

describe('NewConvoyStore', () => {
  it('given the town has rigs, when loaded, then they are there to choose from with their default branch', async () => {
    const { store } = setup(async () => ({ slingBatch: { id: 'c-1' } }));
    expect(store.rigs()).toBeNull();
    await store.load();
    expect(store.rigs()).toEqual(RIGS);
    expect(store.loadError()).toBeNull();
  });

  it('given the gateway cannot be reached, when loading, then the reason is kept to show', async () => {
    TestBed.configureTestingModule({
      providers: [
        NewConvoyStore,
        { provide: GatewayService, useValue: { request: async () => Promise.reject(new GatewayError('UNREACHABLE', 'the gateway at /graphql did not answer: ECONNREFUSED')) } },
      ],
    });
    const store = TestBed.inject(NewConvoyStore);
    await store.load();
    expect(store.rigs()).toBeNull();
    expect(store.loadError()).toBe('the gateway at /graphql did not answer: ECONNREFUSED');
  });

  it('given a plan, when created, then it sends the plan with a command id and returns the new convoy id', async () => {
    const { store, sent } = setup(async () => ({ slingBatch: { id: 'c-42' } }));
    await expect(store.create(INPUT)).resolves.toBe('c-42');
    expect(sent()).toEqual([{ ...INPUT, commandId: expect.stringMatching(/^[0-9a-f-]{36}$/) }]);
    expect(store.serverError()).toBeNull();
    expect(store.busy()).toBe(false);
  });

  it('given a double click, when the second click comes while the first is on its way, then one request is sent and both get the same convoy', async () => {
    let answer: (value: unknown) => void = () => undefined;
    const { store, sent } = setup(() => new Promise((resolve) => (answer = resolve)));
    const first = store.create(INPUT);
    const second = store.create(INPUT);
    expect(store.busy()).toBe(true);
    answer({ slingBatch: { id: 'c-1' } });
    await expect(Promise.all([first, second])).resolves.toEqual(['c-1', 'c-1']);
    expect(sent()).toHaveLength(1);
    expect(store.busy()).toBe(false);
  });

  it('given a timeout, when the same draft is sent again, then it carries the same command id, so the gateway cannot make two convoys', async () => {
    const answers = [Promise.reject(new GatewayError('UNREACHABLE', 'the gateway at /graphql did not answer: TimeoutError')), Promise.resolve({ slingBatch: { id: 'c-7' } })];
    answers[0].catch(() => undefined);
    const { store, sent } = setup(() => answers.shift() ?? Promise.reject(new Error('one call too many')));

    await expect(store.create(INPUT)).resolves.toBeNull();
    expect(store.serverError()?.message).toBe('the gateway at /graphql did not answer: TimeoutError');
    await expect(store.create({ ...INPUT })).resolves.toBe('c-7');

    const [first, retry] = sent();
    expect(retry.commandId).toBe(first.commandId);
    expect(store.serverError()).toBeNull();
  });

  it('given a changed draft, when sent after a refusal, then it is a new command', async () => {
    const { store, sent } = setup(async (input) => {
      if ((input['tasks'] as unknown[]).length === 2) throw CYCLE;
      return { slingBatch: { id: 'c-9' } };
    });
    await store.create(INPUT);
    await store.create({ ...INPUT, tasks: [INPUT.tasks[0]] });
    const [first, second] = sent();
    expect(second.commandId).not.toBe(first.commandId);
  });

  it('given a plan with a cycle, when the gateway refuses it, then its message is kept verbatim with the loop, and no convoy id comes back', async () => {
    const { store } = setup(() => Promise.reject(CYCLE));
    await expect(store.create(INPUT)).resolves.toBeNull();
    expect(store.serverError()).toEqual({
      code: 'BAD_USER_INPUT',
      message: 'tasks 0 → 1 → 0 form a cycle: "Schema" depends on "API", "API" depends on "Schema"',
      details: {
        cycle: [
          { index: 0, title: 'Schema' },
          { index: 1, title: 'API' },
          { index: 0, title: 'Schema' },
        ],
      },
    });
    expect(store.busy()).toBe(false);
  });
});
