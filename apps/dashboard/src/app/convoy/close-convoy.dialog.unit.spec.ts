import { Component, signal } from '@angular/core';
import { TestBed } from '@angular/core/testing';
import { TestbedHarnessEnvironment } from '@angular/cdk/testing/testbed';
import type { MergeMode } from '../gateway/gateway.types';
import { CloseConvoyDialog, type ClosingBead, type ClosingBranch } from './close-convoy.dialog';
import { CloseConvoyDialogHarness } from './close-convoy.harness';

const bead = (title: string, status: ClosingBead['status'], assignee: string | null = null, mergeUnderWay = false): ClosingBead => ({ title, status, assignee, mergeUnderWay });

const MIXED: ClosingBead[] = [
  bead('Schema', 'CLOSED', 'Nux'),
  bead('Seed data', 'CLOSED', 'Nux'),
  bead('API', 'IN_PROGRESS', 'Slit'),
  bead('Docs', 'IN_PROGRESS', 'Toast'),
  bead('UI', 'IN_REVIEW', 'Nux'),
  bead('E2E', 'OPEN'),
  bead('Deploy', 'OPEN'),
  bead('Announce', 'OPEN'),
  bead('Lint', 'FAILED', 'Slit'),
  bead('Spike', 'CANCELLED'),
];

@Component({
  imports: [CloseConvoyDialog],
  template: `
    <button type="button" id="opener" (click)="open.set(true)">Close convoy</button>
    <gt-close-convoy-dialog [open]="open()" convoyTitle="Login page" [beads]="beads()" [mergeMode]="mergeMode()" [branches]="branches()"
      [busy]="busy()" [error]="error()" (confirmed)="reasons.push($event)" (cancelled)="cancels = cancels + 1; open.set(false)" />
  `,
})
class Host {
  readonly open = signal(false);
  readonly beads = signal<ClosingBead[]>(MIXED);
  readonly mergeMode = signal<MergeMode>('REVIEW_THEN_LAND');
  readonly branches = signal<ClosingBranch[]>([{ rigName: 'web', branch: 'convoy/login-page/ab51edf9/head' }]);
  readonly busy = signal(false);
  readonly error = signal<string | null>(null);
  readonly reasons: string[] = [];
  cancels = 0;
}

async function setup(configure: (host: Host) => void = () => undefined) {
  const fixture = TestBed.createComponent(Host);
  configure(fixture.componentInstance);
  await fixture.whenStable();
  const opener = (fixture.nativeElement as HTMLElement).querySelector<HTMLButtonElement>('#opener') as HTMLButtonElement;
  opener.focus();
  opener.click();
  await fixture.whenStable();
  const dialog = await TestbedHarnessEnvironment.loader(fixture).getHarness(CloseConvoyDialogHarness);
  return { fixture, host: fixture.componentInstance, dialog, opener };
}

describe('CloseConvoyDialog', () => {
  it('given a convoy at work, when the dialog opens, then it says which agents stop, what is dropped, cancelled and left unlanded', async () => {
    const { dialog } = await setup();

    expect(await dialog.title()).toBe('Close convoy “Login page”?');
    expect(await dialog.consequences()).toEqual([
      '2 agents will be stopped (beads “API” and “Docs” in progress, worked by Slit and Toast).',
      '1 bead in review (“UI”) will not be merged unless its merge is already being pushed; a merge already being pushed still lands: this page will name it, then show that bead merged.',
      '3 open beads and 1 failed bead will be cancelled.',
      '2 closed beads stay merged on feature branch convoy/login-page/ab51edf9/head and the branch will not land.',
    ]);
  });

  it('given a bead whose merge is already being pushed, then it says that merge still lands, and only the other review may still be stopped', async () => {
    const { dialog } = await setup((host) => host.beads.set([bead('UI', 'IN_REVIEW', 'Nux', true), bead('Docs', 'IN_REVIEW', 'Toast'), bead('Schema', 'CLOSED')]));

    expect((await dialog.consequences()).slice(1, 3)).toEqual([
      'The merge of “UI” is already being pushed and cannot be called back: it still lands unless the push fails.',
      '1 bead in review (“Docs”) will not be merged unless its merge is already being pushed; a merge already being pushed still lands: this page will name it, then show that bead merged.',
    ]);
  });

  it('given a convoy over two rigs with nothing running, then it names every feature branch that will not land', async () => {
    const { dialog } = await setup((host) => {
      host.beads.set([bead('Schema', 'CLOSED'), bead('API', 'OPEN')]);
      host.branches.set([
        { rigName: 'web', branch: 'convoy/a/web' },
        { rigName: 'api', branch: 'convoy/a/api' },
      ]);
    });

    expect(await dialog.consequences()).toEqual([
      'No agent is at work on it, so none will be stopped.',
      '1 open bead will be cancelled.',
      '1 closed bead stays merged on feature branches convoy/a/web (web) and convoy/a/api (api), and none of them will land.',
    ]);
  });

  it('given every bead closed (the convoy may be landing), then it says only a landing not yet being pushed is stopped', async () => {
    const { dialog } = await setup((host) => {
      host.beads.set([bead('Schema', 'CLOSED'), bead('API', 'CLOSED')]);
      host.branches.set([
        { rigName: 'web', branch: 'convoy/a/web' },
        { rigName: 'api', branch: 'convoy/a/api' },
      ]);
    });

    expect(await dialog.consequences()).toEqual([
      'No agent is at work on it, so none will be stopped.',
      '2 closed beads stay merged on feature branches convoy/a/web (web) and convoy/a/api (api). A rig that has not landed yet will not land ' +
        'unless its landing is already being pushed; a landing already being pushed still lands: this page will name it, then show that rig landed.',
    ]);
  });

  it('given two rigs sharing the feature branch name and nothing merged, then the branch is named once with its rigs', async () => {
    const { dialog } = await setup((host) => {
      host.beads.set([bead('API', 'OPEN')]);
      host.branches.set([
        { rigName: 'web', branch: 'convoy/a/head' },
        { rigName: 'api', branch: 'convoy/a/head' },
      ]);
    });

    expect((await dialog.consequences()).at(-1)).toBe('Feature branch convoy/a/head (web and api) will not land; nothing was merged on it yet.');
  });

  it('given a review-and-merge convoy, then merged beads are said to stay on the default branch', async () => {
    const { dialog } = await setup((host) => {
      host.mergeMode.set('REVIEW_AND_MERGE');
      host.branches.set([]);
      host.beads.set([bead('A', 'CLOSED'), bead('B', 'CLOSED'), bead('C', 'IN_PROGRESS', 'Nux')]);
    });

    expect(await dialog.consequences()).toEqual([
      '1 agent will be stopped (bead “C” in progress, worked by Nux).',
      '2 closed beads stay merged into the default branch.',
    ]);
  });

  it('when it opens, then the labelled reason has focus and confirming waits for a reason', async () => {
    const { dialog, host } = await setup();

    expect(await dialog.reasonHasFocus()).toBe(true);
    expect(await dialog.reasonLabel()).toBe("Reason (required; kept in the convoy's history)");
    expect(await dialog.canConfirm()).toBe(false);

    await dialog.typeReason('   ');
    expect(await dialog.canConfirm()).toBe(false);
    await dialog.typeReason('wrong plan ');
    await dialog.confirm();

    expect(host.reasons).toEqual(['wrong plan']);
  });

  it('when Escape is pressed, then it cancels and focus goes back to the button that opened it', async () => {
    const { dialog, host, opener, fixture } = await setup();

    await dialog.pressEscape();
    await fixture.whenStable();

    expect(host.cancels).toBe(1);
    expect(await dialog.isOpen()).toBe(false);
    expect(document.activeElement).toBe(opener);
  });

  it('when "Keep it" is pressed, then it cancels', async () => {
    const { dialog, host } = await setup();

    await dialog.keep();

    expect(host.cancels).toBe(1);
    expect(host.reasons).toEqual([]);
  });

  it('when Tab leaves the last control or Shift+Tab the first, then focus wraps inside the dialog', async () => {
    const { dialog } = await setup();
    await dialog.typeReason('stop');

    await dialog.tabFromConfirm();
    expect(await dialog.reasonHasFocus()).toBe(true);

    await dialog.shiftTabFromReason();
    expect(await dialog.confirmHasFocus()).toBe(true);
  });

  it('given the close in flight and then refused, then it says so and keeps the dialog open', async () => {
    const { dialog, host, fixture } = await setup();
    await dialog.typeReason('stop');

    host.busy.set(true);
    await fixture.whenStable();
    expect(await dialog.confirmLabel()).toBe('Closing…');
    expect(await dialog.canConfirm()).toBe(false);

    host.busy.set(false);
    host.error.set('Could not close the convoy: The convoy already landed.');
    await fixture.whenStable();
    expect(await dialog.error()).toBe('Could not close the convoy: The convoy already landed.');
    expect(await dialog.isOpen()).toBe(true);
  });
});
