import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { SystemHarness } from '@gastown/system-testing';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { seriousViolations } from './axe.check';
import { launchChromium } from './chromium.launcher';

const WORKSPACE = resolve(__dirname, '../../..');
const DASHBOARD_DIR = join(WORKSPACE, 'dist', 'apps', 'dashboard', 'browser');
/** Screenshots for a person to look at after a run. */
const SHOTS = join(WORKSPACE, 'test-output', 'dashboard');
const LIVE_MS = 120_000;

describe('the dashboard against the whole running system', () => {
  let system: SystemHarness;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let origin: string;
  let rigId: string;
  const pageErrors: string[] = [];

  const shoot = (name: string) => page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
  const dependsOn = (task: number, on: number, checked = true) =>
    page.getByTestId('depends-on').nth(task).getByLabel(`#${on} ${TASKS[on]}`).setChecked(checked);

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    browser = await launchChromium();
    // Two attempts per bead, so a bead that fails twice is FAILED and waits for a person.
    system = await SystemHarness.start({ env: { DASHBOARD_DIR, CONVOY_MAX_ATTEMPTS: '2' } });
    origin = new URL(system.url).origin;
    rigId = await system.registerRig('web', system.origin().bare);
    context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
    page = await context.newPage();
    page.on('pageerror', (error) => pageErrors.push(error.message));
    page.on('console', (message) => {
      if (message.type() === 'error') pageErrors.push(message.text());
    });
  });

  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await system?.close();
  });

  it('given a wrong token, when a person signs in, then the screen says the token opens no town and nothing else is shown', async () => {
    await page.goto(`${origin}/`);
    await page.waitForURL(`${origin}/sign-in`);
    expect(await seriousViolations(page)).toEqual([]);

    await page.getByLabel('Town token').fill('gt_this-is-not-a-token');
    await page.getByRole('button', { name: 'Sign in' }).click();

    await expectText(page.getByTestId('sign-in-error'), 'This token does not open any town');
    expect(page.url()).toBe(`${origin}/sign-in`);
    // The browser reports the refused request itself; nothing else may go wrong from here on.
    pageErrors.length = 0;
  });

  it('given the town token, when a person signs in, then the overview shows the town, its rig and no convoy yet', async () => {
    await page.getByLabel('Town token').fill(system.token);
    await page.getByRole('button', { name: 'Sign in' }).click();

    await page.waitForURL(`${origin}/`);
    await page.getByTestId('rigs').getByRole('link', { name: 'web' }).waitFor();
    expect(await page.getByTestId('convoy-card').count()).toBe(0);
    expect(await seriousViolations(page)).toEqual([]);
  });

  it('given a convoy created elsewhere, when the overview is open, then its card appears live and follows it to LANDED with the landing commit', async () => {
    const created = await system.slingBatch({ title: 'Live from the API', defaultRigId: rigId, tasks: [{ title: 'one' }, { title: 'two', dependsOn: [0] }] });
    const card = page.locator(`[data-testid=convoy-card][data-convoy-id="${created.id}"]`);

    await card.waitFor();
    await page.locator(`[data-testid=convoy-card][data-convoy-id="${created.id}"][data-status=LANDED]`).waitFor({ timeout: LIVE_MS });
    const landed = await system.convoy(created.id);
    expect(await card.getByTestId('landed-commit').locator('code').getAttribute('title')).toBe(landed.landedCommit);
    expect(pageErrors).toEqual([]);
  });

  it('given the form, when a person plans a diamond, then the waves preview live; a cycle is refused by the server with its own words and nothing is created', async () => {
    await page.getByTestId('new-convoy').click();
    await page.waitForURL(`${origin}/convoys/new`);
    await page.getByTestId('convoy-title').fill('Login page');
    await page.getByTestId('default-rig').selectOption('web');
    for (const [i, title] of TASKS.entries()) {
      if (i > 0) await page.getByTestId('add-task').click();
      await page.getByTestId('task-title').nth(i).fill(title);
    }
    await dependsOn(1, 0);
    await dependsOn(2, 0);
    await dependsOn(3, 1);
    await dependsOn(3, 2);

    await page.getByTestId('preview-wave').nth(2).waitFor();
    expect(await page.getByTestId('preview-wave').count()).toBe(3);
    expect(await page.getByTestId('preview-wave').nth(1).getByTestId('preview-task').allTextContents()).toEqual([
      expect.stringContaining('API'),
      expect.stringContaining('UI'),
    ]);
    expect(await seriousViolations(page)).toEqual([]);

    await dependsOn(0, 3);
    await expectText(page.getByTestId('preview-error'), 'cycle');
    await page.getByTestId('create-convoy').click();
    await expectText(page.getByTestId('server-error'), 'form a cycle');
    expect(page.url()).toBe(`${origin}/convoys/new`);
    const { convoys } = await system.gql<{ convoys: { totalCount: number } }>('{ convoys { totalCount } }');
    expect(convoys.totalCount).toBe(1);
    await dependsOn(0, 3, false);
    await page.getByTestId('preview-error').getByText('cycle').waitFor({ state: 'detached' });
  });

  it('when the convoy is created, then its timeline shows the waves and edges and follows every bead live to LANDED without a reload', async () => {
    let loads = 0;
    page.on('load', () => loads++);
    await page.getByTestId('create-convoy').click();
    await page.waitForURL(/\/convoys\/[0-9a-f-]{36}$/);
    await page.getByTestId('bead-chip').nth(3).waitFor();
    // Every state a chip shows is recorded from here on, to prove the page moved with the work.
    await page.evaluate(() => {
      const seen = new Set<string>();
      const record = () => document.querySelectorAll('[data-testid=bead-chip]').forEach((chip) => seen.add(chip.getAttribute('data-status') ?? ''));
      record();
      new MutationObserver(record).observe(document.body, { subtree: true, childList: true, attributes: true });
      (window as unknown as { seenStates: Set<string> }).seenStates = seen;
    });
    expect(await page.getByTestId('edge').count()).toBe(4);

    await page.locator('[data-testid=convoy-status][data-status=LANDED]').waitFor({ timeout: LIVE_MS });

    const seen = await page.evaluate(() => [...(window as unknown as { seenStates: Set<string> }).seenStates]);
    expect(seen).toContain('CLOSED');
    expect(seen.filter((state) => state !== 'CLOSED').length).toBeGreaterThan(0);
    expect(await page.locator('[data-testid=bead-chip][data-status=CLOSED]').count()).toBe(4);
    expect(loads).toBe(0);
    await page.getByTestId('landed-commit').waitFor();
    expect(await seriousViolations(page)).toEqual([]);
    await shoot('timeline');
  });

  it('when a person opens a bead, then the drawer shows its state, attempts with output and history, and its blockers lead to their own drawers', async () => {
    await page.getByTestId('bead-chip').filter({ hasText: 'E2E tests' }).click();
    const drawer = page.getByTestId('bead-drawer');
    await drawer.waitFor();
    await page.waitForURL(/\?bead=/);

    expect(await drawer.getByTestId('bead-status').getAttribute('data-status')).toBe('CLOSED');
    expect(await drawer.getByTestId('bead-attempt').count()).toBeGreaterThanOrEqual(1);
    expect(await drawer.getByTestId('bead-event').count()).toBeGreaterThanOrEqual(4);
    const beadId = new URL(page.url()).searchParams.get('bead') ?? '';
    expect(await drawer.getByTestId('bead-branch').textContent()).toMatch(new RegExp(`^convoy/login-page/.+/${beadId.slice(0, 8)}$`));
    expect(await drawer.getByTestId('blocked-by').getByRole('link').allTextContents()).toEqual([
      expect.stringContaining('API'),
      expect.stringContaining('UI'),
    ]);
    expect(await seriousViolations(page)).toEqual([]);
    await shoot('drawer');

    await drawer.getByTestId('blocked-by').getByRole('link').filter({ hasText: 'API' }).click();
    await page.getByRole('heading', { name: 'API', level: 2 }).waitFor();
    await page.keyboard.press('Escape');
    await drawer.waitFor({ state: 'detached' });
    expect(page.url()).not.toContain('bead=');
  });

  it('given a staged convoy whose agent hangs, when a person starts it and then closes it, then the dialog says what stops and everything ends CANCELLED live', async () => {
    const staged = await system.slingBatch({
      title: 'Hanging work',
      defaultRigId: rigId,
      staged: true,
      tasks: [{ title: 'Hang', body: 'demo:hang' }, { title: 'After', dependsOn: [0] }],
    });
    await page.getByRole('link', { name: 'Overview', exact: true }).click();
    await page.locator(`[data-testid=convoy-card][data-convoy-id="${staged.id}"]`).getByRole('link', { name: 'Hanging work' }).click();
    await page.locator('[data-testid=convoy-status][data-status=STAGED]').waitFor();

    await page.getByTestId('start-convoy').click();
    await page.locator('[data-testid=bead-chip][data-status=IN_PROGRESS]').filter({ hasText: 'Hang' }).waitFor({ timeout: LIVE_MS });
    await page.getByTestId('close-convoy').click();
    const dialog = page.getByTestId('close-convoy-dialog');
    await dialog.waitFor();
    const consequences = await dialog.getByTestId('close-consequences').textContent();
    expect(consequences).toContain('1 agent will be stopped');
    expect(consequences).toContain('1 open bead will be cancelled');
    expect(await seriousViolations(page)).toEqual([]);
    await dialog.getByTestId('close-reason').fill('Not needed after all');
    await dialog.getByTestId('confirm-close').click();

    await page.locator('[data-testid=convoy-status][data-status=CANCELLED]').waitFor({ timeout: LIVE_MS });
    await page.locator('[data-testid=bead-chip][data-status=CANCELLED]').nth(1).waitFor({ timeout: LIVE_MS });
    expect(await page.getByTestId('cancel-reason').textContent()).toContain('Not needed after all');
  });

  it('then the overview shows the landed and the closed convoy as recent, and the rig view lists the rig’s convoys, agents and merge queue', async () => {
    await page.getByRole('link', { name: 'Overview', exact: true }).click();
    await page.locator('[data-testid=recent-convoys] [data-testid=convoy-card]').nth(2).waitFor();
    expect(await page.locator('[data-testid=recent-convoys] [data-testid=convoy-card]').count()).toBe(3);
    expect(await seriousViolations(page)).toEqual([]);
    await shoot('overview');

    await page.getByTestId('rigs').getByRole('link', { name: 'web' }).click();
    await page.getByRole('heading', { name: 'web', level: 1 }).waitFor();
    await page.getByTestId('rig-convoys').getByText('Login page').waitFor();
    await page.getByTestId('rig-agents').waitFor();
    await page.getByTestId('merge-queue').waitFor();
    expect(await seriousViolations(page)).toEqual([]);
    await shoot('rig');
  });

  it('given a phone in dark mode, then the overview fits the width and passes the same accessibility check', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await page.getByRole('link', { name: 'Overview', exact: true }).click();
    await page.getByTestId('convoy-card').first().waitFor();
    await page.getByRole('button', { name: 'Switch to dark theme' }).click();
    // The theme is applied by an effect after the click is handled, not within it.
    await page.locator('html[data-theme=dark]').waitFor({ state: 'attached' });

    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    expect(await seriousViolations(page)).toEqual([]);
    await shoot('overview-phone-dark');
    await page.setViewportSize({ width: 1400, height: 900 });
  });

  it('given a bead whose agent failed every attempt, then its dependent is marked blocked with why; when a person retries it from the drawer, then both close and the convoy lands', async () => {
    const convoy = await system.slingBatch({
      title: 'Flaky work',
      defaultRigId: rigId,
      tasks: [{ title: 'Flaky', body: 'demo:fail-until 3' }, { title: 'Downstream', dependsOn: [0] }],
    });
    await page.goto(`${origin}/convoys/${convoy.id}`);
    const flaky = page.locator('[data-testid=bead-chip][data-status=FAILED]').filter({ hasText: 'Flaky' });
    await flaky.waitFor({ timeout: LIVE_MS });
    const downstream = page.locator('[data-testid=bead-chip][data-blocked=true]').filter({ hasText: 'Downstream' });
    await downstream.waitFor({ timeout: LIVE_MS });
    expect(await downstream.textContent()).toContain('blocked');

    await flaky.click();
    const drawer = page.getByTestId('bead-drawer');
    await drawer.getByTestId('retry-bead').waitFor();
    expect(await drawer.getByTestId('bead-attempt').count()).toBe(2);
    expect(await drawer.getByTestId('attempt-output').first().textContent()).toContain('demo');
    expect(await seriousViolations(page)).toEqual([]);
    await drawer.getByTestId('retry-bead').click();

    await drawer.locator('[data-testid=bead-status][data-status=CLOSED]').waitFor({ timeout: LIVE_MS });
    expect(await drawer.getByTestId('bead-attempt').count()).toBe(3);
    await page.locator('[data-testid=convoy-status][data-status=LANDED]').waitFor({ timeout: LIVE_MS });
    expect(await page.locator('[data-testid=bead-chip][data-status=CLOSED]').count()).toBe(2);
  });

  it('given the gateway dies, then the page says the connection is lost; when it is back, then changes arrive again by themselves', async () => {
    await page.getByRole('link', { name: 'Overview', exact: true }).click();
    await page.getByTestId('convoy-card').first().waitFor();
    const banner = page.getByTestId('connection');
    await system.kill('gateway-1');
    await banner.getByText('Connection to the gateway lost').waitFor({ timeout: LIVE_MS });

    await system.startProcess('gateway');
    await banner.getByText('Connection to the gateway lost').waitFor({ state: 'detached', timeout: LIVE_MS });
    const after = await system.slingBatch({ title: 'After the restart', defaultRigId: rigId, staged: true, tasks: [{ title: 'one' }] });
    await page.locator(`[data-testid=convoy-card][data-convoy-id="${after.id}"]`).waitFor({ timeout: LIVE_MS });
    expect(pageErrors.filter((e) => !/WebSocket|ERR_CONNECTION_REFUSED/.test(e))).toEqual([]);
  });
});

const TASKS = ['Schema', 'API', 'UI', 'E2E tests'];

async function expectText(locator: ReturnType<Page['locator']>, text: string): Promise<void> {
  await locator.getByText(text, { exact: false }).first().waitFor();
  expect(await locator.textContent()).toContain(text);
}
