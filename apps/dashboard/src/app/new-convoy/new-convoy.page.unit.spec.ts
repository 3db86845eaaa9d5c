import { TestKey } from '@angular/cdk/testing';
import { TestbedHarnessEnvironment } from '@angular/cdk/testing/testbed';
import { Component } from '@angular/core';
import { TestBed } from '@angular/core/testing';
import { Router, provideRouter } from '@angular/router';
import { GatewayError } from '@gastown/gateway-client/client';
import type { SlingBatchInput } from '@gastown/gateway-client/plan';
import { GatewayService } from '../gateway/gateway.service';
import { NewConvoyPageHarness } from './new-convoy.harness';
import { NewConvoyPage } from './new-convoy.page';
import { RIGS_QUERY, SLING_BATCH, type RigOption } from './new-convoy.store';

const RIGS: RigOption[] = [
  { id: 'r-web', name: 'web', defaultBranch: 'main' },
  { id: 'r-fe', name: 'web-frontend', defaultBranch: 'main' },
];

/** What the convoy service says of a two-task loop, as the gateway passes it on. */
const CYCLE_REFUSAL = 'tasks 0 → 1 → 0 form a cycle: "Schema" depends on "API", "API" depends on "Schema"';

@Component({ template: '' })
class ConvoyStub {}

interface Gateway {
  rigs?: () => Promise<{ rigs: RigOption[] }>;
  sling?: (input: SlingBatchInput) => Promise<{ slingBatch: { id: string } }>;
}

async function setup(gateway: Gateway = {}) {
  const rigs = gateway.rigs ?? (async () => ({ rigs: RIGS }));
  const sling = gateway.sling ?? (async () => ({ slingBatch: { id: 'c-1' } }));
  const request = jest.fn(async (document: string, variables: Record<string, unknown> = {}) => {
    if (document === RIGS_QUERY) return rigs();
    if (document === SLING_BATCH) return sling(variables['input'] as SlingBatchInput);
    throw new Error(`unexpected document ${document}`);
  });
  TestBed.configureTestingModule({
    providers: [provideRouter([{ path: 'convoys/:convoyId', component: ConvoyStub }]), { provide: GatewayService, useValue: { request } }],
  });
  const fixture = TestBed.createComponent(NewConvoyPage);
  await fixture.whenStable();
  const page = await TestbedHarnessEnvironment.harnessForFixture(fixture, NewConvoyPageHarness);
  const sent = () => request.mock.calls.filter(([document]) => document === SLING_BATCH).map(([, v]) => v?.['input'] as SlingBatchInput);
  return { page, sent, router: TestBed.inject(Router), fixture };
}

/** Fills the form with tasks by title; `deps[i]` are the tasks task i waits for. */
async function fill(page: NewConvoyPageHarness, title: string, tasks: string[], deps: number[][] = []) {
  const form = await page.form();
  await form.setTitle(title);
  for (const [i, name] of tasks.entries()) {
    if (i > 0) await form.addTask();
    await (await form.task(i)).setTitle(name);
  }
  for (const [i, on] of deps.entries()) for (const d of on) await (await form.task(i)).toggleDependency(d);
}

describe('NewConvoyPage', () => {
  it('when the person types a plan in the form, then the preview draws its waves as they go', async () => {
    const { page } = await setup();
    expect(await page.title()).toBe('New convoy');
    expect(await page.mode()).toBe('form');

    await fill(page, 'Login page', ['Schema', 'API', 'UI'], [[], [0], [0]]);
    const preview = await page.preview();
    expect(await preview.summary()).toBe('3 tasks in 2 waves');
    expect(await preview.waveTasks()).toEqual([['#0 Schema (web)'], ['#1 API (web)', '#2 UI (web)']]);
    expect(await preview.error()).toBe('');
  });

  it('given a plan with a cycle, when "Create convoy" is pressed, then it is still sent, and the server\'s refusal is shown word for word with nothing created', async () => {
    const { page, sent, router } = await setup({ sling: () => Promise.reject(new GatewayError('BAD_USER_INPUT', CYCLE_REFUSAL, { cycle: [] })) });
    await fill(page, 'Login page', ['Schema', 'API'], [[1], [0]]);
    expect(await (await page.preview()).error()).toBe('plan: tasks 0 → 1 → 0 form a cycle: "Schema" depends on "API", "API" depends on "Schema"');

    await page.create();

    expect(sent()).toEqual([expect.objectContaining({ title: 'Login page', tasks: [expect.objectContaining({ dependsOn: [1] }), expect.objectContaining({ dependsOn: [0] })] })]);
    expect(await page.serverErrorRole()).toBe('alert');
    expect(await page.serverError()).toContain(CYCLE_REFUSAL);
    expect(await page.serverError()).toContain('nothing was created');
    expect(router.url).toBe('/');
    expect(await (await page.form()).title()).toBe('Login page');
  });

  it('given a valid plan, when created, then the rigs are sent by id and the page goes to the new convoy', async () => {
    const { page, sent, router } = await setup({ sling: async () => ({ slingBatch: { id: 'c-77' } }) });
    await fill(page, 'Login page', ['Schema', 'UI'], [[], [0]]);
    await (await (await page.form()).task(1)).setRig('web-frontend');

    await page.create();

    expect(sent()).toEqual([
      {
        title: 'Login page',
        defaultRigId: 'r-web',
        mergeMode: 'REVIEW_THEN_LAND',
        staged: false,
        parallel: false,
        tasks: [
          { title: 'Schema', dependsOn: [] },
          { title: 'UI', rigId: 'r-fe', dependsOn: [0] },
        ],
        commandId: expect.any(String),
      },
    ]);
    expect(router.url).toBe('/convoys/c-77');
  });

  it('given a timeout, when the same plan is created again, then the retry carries the same command id and it says so', async () => {
    let calls = 0;
    const { page, sent, router } = await setup({
      sling: async () => {
        if (++calls === 1) throw new GatewayError('UNREACHABLE', 'the gateway at /graphql did not answer: TimeoutError');
        return { slingBatch: { id: 'c-2' } };
      },
    });
    await fill(page, 'One thing', ['Do it']);

    await page.create();
    expect(await page.serverError()).toMatch(/did not answer: TimeoutError.*never makes two convoys/s);
    await page.create();

    expect(sent()[1].commandId).toBe(sent()[0].commandId);
    expect(router.url).toBe('/convoys/c-2');
  });

  it('when switching from the form to "Paste a plan", then the text is the form\'s plan as YAML, and editing it updates the preview', async () => {
    const { page } = await setup();
    await fill(page, 'Login page', ['Schema', 'API'], [[], [0]]);

    await page.switchTo('paste');

    expect(await page.mode()).toBe('paste');
    expect(await page.isPanelShown('paste')).toBe(true);
    expect(await page.isPanelShown('form')).toBe(false);
    const paste = await page.paste();
    expect(await paste.text()).toBe(
      'title: Login page\nrig: web\nmerge_mode: review_then_land\nstaged: false\nparallel: false\ntasks:\n  - title: Schema\n  - title: API\n    depends_on: [0]\n',
    );
    await paste.paste(`${await paste.text()}  - title: UI\n    depends_on: [API]\n`);
    expect(await (await page.preview()).waveTasks()).toEqual([['#0 Schema (web)'], ['#1 API (web)'], ['#2 UI (web)']]);
  });

  it('when a valid plan is pasted and the person goes to the form, then the form holds that plan', async () => {
    const { page } = await setup();
    await page.switchTo('paste');
    await (await page.paste()).paste('title: Pasted\nrig: web-frontend\nmerge_mode: review-and-merge\ntasks:\n  - {title: A, id: a}\n  - {title: B, depends_on: [a]}\n');

    await page.switchTo('form');

    const form = await page.form();
    expect(await form.title()).toBe('Pasted');
    expect(await form.defaultRig()).toBe('web-frontend');
    expect(await form.mergeMode()).toBe('REVIEW_AND_MERGE');
    expect(await Promise.all((await form.tasks()).map((t) => t.title()))).toEqual(['A', 'B']);
    expect(await (await form.task(1)).dependencies()).toEqual([{ label: '#0 A', checked: true }]);
    expect(await page.notice()).toBeNull();
  });

  it('when a broken plan is pasted and the person goes to the form, then the form stays as it was, says why, and the text is still there on the way back', async () => {
    const { page } = await setup();
    await fill(page, 'Kept', ['Task']);
    await page.switchTo('paste');
    const broken = 'title: t\nrig: wbe\ntasks:\n  - title: A\n';
    await (await page.paste()).paste(broken);

    await page.switchTo('form');

    expect(await (await page.form()).title()).toBe('Kept');
    expect(await page.notice()).toContain('unknown rig "wbe"');
    await page.switchTo('paste');
    expect(await (await page.paste()).text()).toBe(broken);
  });

  it('given a pasted text that cannot be read, when "Create convoy" is pressed, then nothing is sent and it says what to fix', async () => {
    const { page, sent } = await setup();
    await page.switchTo('paste');
    await (await page.paste()).paste('title: [unclosed\n');

    await page.create();

    expect(sent()).toEqual([]);
    expect(await page.unsent()).toMatch(/^Nothing was sent/);
    expect(await (await page.paste()).problem()).toMatch(/^plan: /);
  });

  it('given the keyboard on the tabs, then the arrows and Home/End move between them, and only the selected one is in the tab order', async () => {
    const { page } = await setup();
    expect(await page.tabIndexes()).toEqual({ form: 0, paste: -1 });

    await page.pressOnTab('form', TestKey.RIGHT_ARROW);
    expect(await page.mode()).toBe('paste');
    expect(await page.isTabFocused('paste')).toBe(true);
    expect(await page.tabIndexes()).toEqual({ form: -1, paste: 0 });

    await page.pressOnTab('paste', TestKey.RIGHT_ARROW);
    expect(await page.mode()).toBe('form');
    await page.pressOnTab('form', TestKey.END);
    expect(await page.mode()).toBe('paste');
    await page.pressOnTab('paste', TestKey.HOME);
    expect(await page.mode()).toBe('form');
    expect(await page.isTabFocused('form')).toBe(true);
  });

  it('given the rigs are on their way, then it says so, and the form comes with them', async () => {
    let answer: (value: { rigs: RigOption[] }) => void = () => undefined;
    const request = async () => new Promise((resolve) => (answer = resolve));
    TestBed.configureTestingModule({ providers: [provideRouter([]), { provide: GatewayService, useValue: { request } }] });
    const fixture = TestBed.createComponent(NewConvoyPage);
    // The page is not stable while the rigs load, so this one look is taken without waiting for it.
    fixture.detectChanges();
    expect((fixture.nativeElement as HTMLElement).querySelector('[role=status]')?.textContent?.trim()).toBe("Loading the town's rigs…");

    answer({ rigs: RIGS });
    const page = await TestbedHarnessEnvironment.harnessForFixture(fixture, NewConvoyPageHarness);
    expect(await page.hasForm()).not.toBeNull();
    expect(await page.statusText()).toBeNull();
  });

  it('given a town without rigs, then it says how to add one instead of the form', async () => {
    const { page } = await setup({ rigs: async () => ({ rigs: [] }) });
    expect(await page.noRigsText()).toContain('npx gt rig add web --url');
    expect(await page.hasForm()).toBeNull();
  });

  it('given the rigs cannot be loaded, then it says why and trying again loads them', async () => {
    let fail = true;
    const { page } = await setup({
      rigs: async () => {
        if (fail) throw new GatewayError('UNAVAILABLE', 'the read models are not ready');
        return { rigs: RIGS };
      },
    });
    expect(await page.hasForm()).toBeNull();
    fail = false;
    expect(await page.loadError()).toContain("The town's rigs could not be loaded: the read models are not ready");
    await page.retryLoad();
    expect(await page.loadError()).toBeNull();
    expect(await page.hasForm()).not.toBeNull();
  });
});
