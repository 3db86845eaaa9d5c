import { Component, signal } from '@angular/core';
import { TestBed } from '@angular/core/testing';
import { TestbedHarnessEnvironment } from '@angular/cdk/testing/testbed';
import { provideRouter } from '@angular/router';
import { GatewayError } from '@gastown/gateway-client/client';
import { GatewayService } from '../gateway/gateway.service';
import { BeadDetailsHarness } from './bead-details.harness';
import { BeadDrawerComponent } from './bead-drawer.component';
import { beadDetail, beadEvent } from './bead.fixtures';
import type { BeadDetail } from './bead.model';

@Component({
  imports: [BeadDrawerComponent],
  template: `
    <button type="button" id="opener">open</button>
    @if (open()) {
      <gt-bead-drawer [beadId]="beadId()" (closed)="open.set(false)" />
    }
  `,
})
class Host {
  readonly open = signal(false);
  readonly beadId = signal('b-1');
}

/** Our own GatewayService: the drawer's store reads from it, the live feed stays silent. */
class FakeGateway {
  readonly beads = new Map<string, BeadDetail>([
    ['b-1', beadDetail({ status: 'FAILED', title: 'Add the login form' })],
    ['b-2', beadDetail({ id: 'b-2', title: 'Migrate the schema', rigId: 'r-2', rig: { id: 'r-2', name: 'api' } })],
  ]);
  readonly followed: string[] = [];

  async request(document: string, variables: Record<string, unknown>): Promise<unknown> {
    const bead = this.beads.get(variables['id'] as string);
    if (!bead) throw new GatewayError('NOT_FOUND', 'not found');
    if (document.includes('mutation')) throw new GatewayError('CONFLICT', 'the convoy was cancelled');
    return { bead: { ...bead, events: [beadEvent(4)] } };
  }

  live(_document: string, variables: () => Record<string, unknown>): void {
    this.followed.push(variables()['beadId'] as string);
  }
}

async function opened() {
  const gateway = new FakeGateway();
  TestBed.configureTestingModule({ providers: [provideRouter([]), { provide: GatewayService, useValue: gateway }] });
  const fixture = TestBed.createComponent(Host);
  document.body.appendChild(fixture.nativeElement);
  const page = fixture.nativeElement as HTMLElement;
  page.querySelector<HTMLButtonElement>('#opener')?.focus();
  fixture.componentInstance.open.set(true);
  await fixture.whenStable();
  const loader = TestbedHarnessEnvironment.loader(fixture);
  const aside = () => page.querySelector<HTMLElement>('aside[data-testid=bead-drawer]');
  return { fixture, gateway, page, loader, aside };
}

describe('BeadDrawerComponent', () => {
  afterEach(() => document.body.replaceChildren());

  it('when it opens, then it is a side panel named by the bead title, focus moves into it, and the bead is followed', async () => {
    const { page, aside, gateway } = await opened();

    const heading = page.querySelector(`#${aside()?.getAttribute('aria-labelledby')}`);
    expect(heading?.tagName).toBe('H2');
    expect(heading?.textContent?.trim()).toBe('Add the login form');
    expect(aside()?.contains(document.activeElement)).toBe(true);
    expect(gateway.followed).toEqual(['b-1']);
  });

  it('when Escape is pressed, then it closes and focus goes back to what opened it', async () => {
    const { fixture, aside, page } = await opened();
    document.dispatchEvent(new KeyboardEvent('keydown', { key: 'Escape', bubbles: true }));
    await fixture.whenStable();
    expect(aside()).toBeNull();
    expect(document.activeElement).toBe(page.querySelector('#opener'));
  });

  it('when the close button is pressed, then it closes', async () => {
    const { fixture, aside, page } = await opened();
    page.querySelector<HTMLButtonElement>('[data-testid=close-drawer]')?.click();
    await fixture.whenStable();
    expect(aside()).toBeNull();
  });

  it('when it is switched to another bead, then that bead is shown and followed and focus stays in the panel', async () => {
    const { fixture, page, aside, gateway, loader } = await opened();
    fixture.componentInstance.beadId.set('b-2');
    await fixture.whenStable();

    expect(page.querySelector('h2')?.textContent?.trim()).toBe('Migrate the schema');
    expect((await (await loader.getHarness(BeadDetailsHarness)).rig()).text).toBe('api');
    expect(gateway.followed).toEqual(['b-1', 'b-2']);
    expect(aside()?.contains(document.activeElement)).toBe(true);
  });

  it('given a failed bead, when the retry is refused, then the server reason is shown in the panel', async () => {
    const { fixture, loader } = await opened();
    const details = await loader.getHarness(BeadDetailsHarness);
    await details.retry();
    await fixture.whenStable();
    expect(await details.error()).toBe('the convoy was cancelled');
  });

  it('given an unknown bead, then the panel says so instead of showing details', async () => {
    const { fixture, page } = await opened();
    fixture.componentInstance.beadId.set('gone');
    await fixture.whenStable();
    expect(page.querySelector('[role=alert]')?.textContent).toContain('does not exist');
    expect(page.querySelector('gt-bead-details')).toBeNull();
  });
});
