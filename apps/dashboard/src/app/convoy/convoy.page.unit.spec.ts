import type { DestroyRef } from '@angular/core';
import { TestBed } from '@angular/core/testing';
import { TestbedHarnessEnvironment } from '@angular/cdk/testing/testbed';
import { Router, provideRouter } from '@angular/router';
import { GatewayError } from '@gastown/gateway-client/client';
import { GatewayService, type LiveSink } from '../gateway/gateway.service';
import { TimelineHarness } from '../timeline/timeline.harness';
import { CloseConvoyDialogHarness } from './close-convoy.harness';
import { ConvoyUnderWayHarness } from './convoy-under-way.harness';
import { convoyBead, convoyDetail } from './convoy.fixtures';
import { ConvoyPage } from './convoy.page';
import type { ConvoyChange, ConvoyDetail } from './convoy.store';

type Change = { convoyChanged: ConvoyChange };

/** Our GatewayService: the convoy read answers from `convoy`, mutations from `mutate`, live changes are pushed by the test. */
class FakeGateway {
  convoy: () => Promise<ConvoyDetail> = () => Promise.resolve(convoyDetail());
  mutate: (name: string, variables: Record<string, unknown>) => Promise<ConvoyDetail> = () => Promise.reject(new Error('unexpected'));
  readonly sent: { name: string; variables: Record<string, unknown> }[] = [];
  readonly sinks: LiveSink<Change>[] = [];

  async request<T>(document: string, variables: Record<string, unknown> = {}): Promise<T> {
    const mutation = /(startConvoy|closeConvoy|retryLanding)\(/.exec(document)?.[1];
    if (mutation) {
      this.sent.push({ name: mutation, variables });
      return { [mutation]: await this.mutate(mutation, variables) } as T;
    }
    if (document.includes('convoy(id:')) return { convoy: await this.convoy() } as T;
    if (document.includes('bead(id:')) {
      const beads = new Map((await this.convoy()).beads.map((b) => [b.id, b]));
      return Object.fromEntries(Object.entries(variables).map(([alias, id]) => [alias, beads.get(String(id))])) as T;
    }
    return new Promise<T>(() => undefined);
  }

  live<T>(_document: string, _variables: () => Record<string, unknown>, sink: LiveSink<T>, _destroyRef: DestroyRef): void {
    this.sinks.push(sink as LiveSink<Change>);
  }

  push(convoy: ConvoyDetail): void {
    for (const sink of this.sinks) sink.next({ convoyChanged: { sequence: convoy.sequence, events: [], convoy } });
  }
}

/** The login diamond with UI's merge push granted, UI as `ui` says (IN_REVIEW while pushed, CLOSED once merged). */
function pushing(ui: 'IN_REVIEW' | 'CLOSED') {
  return convoyDetail().beads.map((b) => (b.id === 'b-ui' ? { ...b, status: ui, mergeUnderWay: ui === 'IN_REVIEW' } : b));
}

async function setup(configure: (gateway: FakeGateway) => void = () => undefined, bead?: string) {
  const gateway = new FakeGateway();
  configure(gateway);
  TestBed.configureTestingModule({ providers: [provideRouter([]), { provide: GatewayService, useValue: gateway }] });
  const navigate = jest.spyOn(TestBed.inject(Router), 'navigate').mockResolvedValue(true);
  const fixture = TestBed.createComponent(ConvoyPage);
  fixture.componentRef.setInput('convoyId', 'convoy-1');
  if (bead) fixture.componentRef.setInput('bead', bead);
  await fixture.whenStable();
  const element = fixture.nativeElement as HTMLElement;
  const loader = TestbedHarnessEnvironment.loader(fixture);
  return {
    gateway,
    fixture,
    navigate,
    timeline: () => loader.getHarness(TimelineHarness),
    dialog: () => loader.getHarness(CloseConvoyDialogHarness),
    underWay: () => loader.getHarness(ConvoyUnderWayHarness),
    text: (selector: string) => element.querySelector(selector)?.textContent?.replace(/\s+/g, ' ').trim() ?? null,
    click: async (selector: string) => {
      (element.querySelector(selector) as HTMLElement).click();
      await fixture.whenStable();
    },
  };
}

describe('ConvoyPage', () => {
  it('given an active convoy, then its title, state, branch, progress and bead graph show, with a way to close it but not to start it', async () => {
    const { text, timeline } = await setup();

    expect(text('h1')).toBe('Login page');
    expect(text('[data-testid=convoy-status]')).toBe('active');
    expect(text('[data-testid=feature-branch]')).toBe('convoy/login-page/ab51edf9/head');
    expect(text('gt-copy-button')).toBe('Copy');
    expect(text('gt-progress-bar')).toContain('1 closed');
    expect(text('[data-testid=start-convoy]')).toBeNull();
    expect(text('[data-testid=close-convoy]')).toBe('Close convoy');
    expect((await (await timeline()).chips()).map((c) => c.id)).toEqual(['b-schema', 'b-api', 'b-ui', 'b-e2e']);
  });

  it('given a staged convoy, when it is started, then startConvoy is sent and the page follows it going active', async () => {
    const { gateway, text, click, fixture } = await setup((g) => {
      g.convoy = () => Promise.resolve(convoyDetail({ status: 'STAGED', staged: true }));
      g.mutate = () => Promise.resolve(convoyDetail({ sequence: 11, status: 'ACTIVE' }));
    });

    await click('[data-testid=start-convoy]');
    await fixture.whenStable();

    expect(gateway.sent).toEqual([{ name: 'startConvoy', variables: { id: 'convoy-1', commandId: expect.any(String) } }]);
    expect(text('[data-testid=convoy-status]')).toBe('active');
    expect(text('[data-testid=start-convoy]')).toBeNull();
  });

  it('given a staged convoy that someone else starts, then the start button goes live', async () => {
    const { gateway, text, fixture } = await setup((g) => (g.convoy = () => Promise.resolve(convoyDetail({ status: 'STAGED', staged: true }))));
    expect(text('[data-testid=start-convoy]')).toBe('Start convoy');

    gateway.push(convoyDetail({ sequence: 12, status: 'ACTIVE' }));
    await fixture.whenStable();

    expect(text('[data-testid=start-convoy]')).toBeNull();
  });

  it('when the convoy is closed through the dialog, then closeConvoy carries the reason and the page shows it closed', async () => {
    const { gateway, text, click, dialog, fixture } = await setup((g) => {
      g.mutate = (_name, variables) =>
        Promise.resolve(convoyDetail({ sequence: 13, status: 'CANCELLED', cancelReason: String(variables['reason']) }));
    });

    await click('[data-testid=close-convoy]');
    const close = await dialog();
    expect(await close.consequences()).toContain('1 agent will be stopped (bead “API” in progress, worked by Slit).');
    await close.typeReason('Wrong plan');
    await close.confirm();
    await fixture.whenStable();

    expect(gateway.sent).toEqual([{ name: 'closeConvoy', variables: expect.objectContaining({ id: 'convoy-1', reason: 'Wrong plan' }) }]);
    expect(await close.isOpen()).toBe(false);
    expect(text('[data-testid=convoy-status]')).toBe('cancelled');
    expect(text('[data-testid=cancel-reason]')).toBe('Closed: Wrong plan');
    expect(text('[data-testid=close-convoy]')).toBeNull();
    expect(document.activeElement?.tagName).toBe('H1');
  });

  it('given a bead whose merge push was granted, when the convoy is closed, then the page names that merge as still landing until the merge is recorded', async () => {
    const { text, click, dialog, fixture, gateway, underWay } = await setup((g) => {
      g.convoy = () => Promise.resolve(convoyDetail({ beads: pushing('IN_REVIEW') }));
      g.mutate = () =>
        Promise.resolve(
          convoyDetail({ sequence: 13, status: 'CANCELLED', cancelReason: 'Wrong plan', mergesUnderWay: [{ id: 'b-ui', title: 'UI', status: 'IN_REVIEW' }], beads: pushing('IN_REVIEW') }),
        );
    });

    await click('[data-testid=close-convoy]');
    const close = await dialog();
    expect(await close.consequences()).toContain('The merge of “UI” is already being pushed and cannot be called back: it still lands unless the push fails.');
    await close.typeReason('Wrong plan');
    await close.confirm();
    await fixture.whenStable();

    expect(text('[data-testid=convoy-status]')).toBe('cancelled');
    expect(await (await underWay()).mergeLines()).toEqual(['Merge of “UI”: still lands']);

    gateway.push(convoyDetail({ sequence: 14, status: 'CANCELLED', cancelReason: 'Wrong plan', mergesUnderWay: [], beads: pushing('CLOSED') }));
    await fixture.whenStable();
    expect(text('gt-convoy-under-way')).toBeNull();
  });

  it('given a closed convoy whose landing on a rig is still being pushed, then the page names that rig as still landing and the rig says so', async () => {
    const rigs = [
      { id: 'rig-web', name: 'web' },
      { id: 'rig-api', name: 'api' },
    ];
    const pushingWeb = { rigId: 'rig-web', status: 'PUSHING' as const, commit: null, reason: null };
    const { text, underWay } = await setup(
      (g) => (g.convoy = () => Promise.resolve(convoyDetail({ status: 'CANCELLED', cancelReason: 'Wrong plan', rigs, landings: [pushingWeb], landingsUnderWay: [pushingWeb] }))),
    );

    expect(await (await underWay()).landingLines()).toEqual(['Landing on web: still lands']);
    expect(text('[data-testid=rig-landing-pushing]')).toBe('landing being pushed');
  });

  it('given a closed convoy with nothing under way, then the page says nothing of pushes', async () => {
    const { text } = await setup((g) => (g.convoy = () => Promise.resolve(convoyDetail({ status: 'CANCELLED', cancelReason: 'Wrong plan' }))));

    expect(text('[data-testid=cancel-reason]')).toBe('Closed: Wrong plan');
    expect(text('gt-convoy-under-way')).toBeNull();
  });

  it('when closing is refused, then the dialog stays open and says why', async () => {
    const { click, dialog } = await setup((g) => (g.mutate = () => Promise.reject(new GatewayError('CONFLICT', 'The convoy is landing.'))));

    await click('[data-testid=close-convoy]');
    const close = await dialog();
    await close.typeReason('stop');
    await close.confirm();

    expect(await close.isOpen()).toBe(true);
    expect(await close.error()).toBe('Could not close the convoy: The convoy is landing.');
  });

  it('given a landed convoy, then the landing commit shows and it can no longer be closed', async () => {
    const { text } = await setup(
      (g) => (g.convoy = () => Promise.resolve(convoyDetail({ status: 'LANDED', landedCommit: 'fff1a1de515f6cda4a568b379b43cfd4b3da2bdc', landedAt: '2025-01-01T10:06:00Z' }))),
    );

    expect(text('[data-testid=landed-commit] code')).toBe('fff1a1de515f');
    expect(text('[data-testid=close-convoy]')).toBeNull();
  });

  it('given a held convoy, then the held banner says why, and it can still be closed', async () => {
    const { text } = await setup(
      (g) =>
        (g.convoy = () =>
          Promise.resolve(convoyDetail({ held: true, heldReason: 'rejected by the read-model schema (SQLSTATE 23505)', heldSince: '2025-01-01T10:04:00Z' }))),
    );

    expect(text('[data-testid=held] [data-testid=held-reason]')).toBe('rejected by the read-model schema (SQLSTATE 23505)');
    expect(text('[data-testid=close-convoy]')).toBe('Close convoy');
  });

  it('given a convoy that is not held, then no held banner shows', async () => {
    const { text } = await setup();

    expect(text('[data-testid=held]')).toBeNull();
  });

  it('given a convoy over two rigs, then each rig shows its feature branch and landing, and chips name their rig', async () => {
    const { text, timeline } = await setup(
      (g) =>
        (g.convoy = () =>
          Promise.resolve(
            convoyDetail({
              rigs: [
                { id: 'rig-web', name: 'web' },
                { id: 'rig-api', name: 'api' },
              ],
              featureBranches: [
                { rigId: 'rig-web', branch: 'convoy/x/web' },
                { rigId: 'rig-api', branch: 'convoy/x/api' },
              ],
              landings: [
                { rigId: 'rig-web', status: 'PENDING', commit: null, reason: null },
                { rigId: 'rig-api', status: 'LANDED', commit: 'abcdef1234567890', reason: null },
              ],
              beads: [convoyBead('b-schema', 'Schema', { rigId: 'rig-api' })],
              dependencyEdges: [],
            }),
          )),
    );

    expect(text('[data-testid=convoy-rigs] li:nth-child(1) a')).toBe('web');
    expect(text('[data-testid=convoy-rigs] li:nth-child(1)')).toMatch(/convoy\/x\/web Copy not landed$/);
    expect(text('[data-testid=convoy-rigs] li:nth-child(2) a')).toBe('api');
    expect(text('[data-testid=convoy-rigs] li:nth-child(2)')).toMatch(/convoy\/x\/api Copy landed abcdef123456 Copy$/);
    expect((await (await timeline()).chip('b-schema')).name).toBe('Bead “Schema”, open, rig api');
  });

  it('given a convoy whose landing failed half-way, when landed again, then retryLanding is sent, each rig says how it stands, and the page follows it landing', async () => {
    const rigs = [
      { id: 'rig-web', name: 'web' },
      { id: 'rig-api', name: 'api' },
    ];
    const merged = [convoyBead('b-schema', 'Schema', { rigId: 'rig-api', status: 'CLOSED' }), convoyBead('b-ui', 'UI', { rigId: 'rig-web', status: 'CLOSED' })];
    const progress = { total: 2, open: 0, blocked: 0, inProgress: 0, inReview: 0, closed: 2, failed: 0, cancelled: 0 };
    const { gateway, text, click, fixture } = await setup((g) => {
      g.convoy = () =>
        Promise.resolve(
          convoyDetail({
            status: 'FAILED',
            rigs,
            beads: merged,
            dependencyEdges: [],
            progress,
            failureReason: 'landing failed on web: merge conflict in shared.txt',
            landings: [
              { rigId: 'rig-web', status: 'FAILED', commit: null, reason: 'merge conflict in shared.txt' },
              { rigId: 'rig-api', status: 'LANDED', commit: 'abcdef1234567890', reason: null },
            ],
          }),
        );
      g.mutate = () => Promise.resolve(convoyDetail({ sequence: 30, status: 'LANDING', rigs, beads: merged, dependencyEdges: [], progress, failureReason: null }));
    });
    expect(text('[data-testid=rig-landing-failed]')).toBe('landing failed: merge conflict in shared.txt');
    expect(text('[data-testid=convoy-rigs] li:nth-child(2)')).toMatch(/landed abcdef123456 Copy$/);

    await click('[data-testid=land-again]');
    await fixture.whenStable();

    expect(gateway.sent).toEqual([{ name: 'retryLanding', variables: { id: 'convoy-1', commandId: expect.any(String) } }]);
    expect(text('[data-testid=convoy-status]')).toBe('landing');
    expect(text('[data-testid=land-again]')).toBeNull();
  });

  it('given a convoy that failed on a bead, then it offers no landing retry (a bead must be retried first)', async () => {
    const { text } = await setup((g) => (g.convoy = () => Promise.resolve(convoyDetail({ status: 'FAILED' }))));
    expect(text('[data-testid=land-again]')).toBeNull();
  });

  it('when landing again is refused, then the page says why', async () => {
    const progress = { total: 1, open: 0, blocked: 0, inProgress: 0, inReview: 0, closed: 1, failed: 0, cancelled: 0 };
    const { text, click } = await setup((g) => {
      g.convoy = () => Promise.resolve(convoyDetail({ status: 'FAILED', beads: [convoyBead('b-schema', 'Schema', { status: 'CLOSED' })], dependencyEdges: [], progress }));
      g.mutate = () => Promise.reject(new GatewayError('CONFLICT', 'convoy "Login page" is LANDING: it accepts no RetryLanding'));
    });

    await click('[data-testid=land-again]');

    expect(text('[role=alert]')).toBe('Could not land the convoy again: convoy "Login page" is LANDING: it accepts no RetryLanding');
  });

  it('given an id of no convoy of this town, then the page says so', async () => {
    const { text } = await setup((g) => (g.convoy = () => Promise.reject(new GatewayError('NOT_FOUND', 'no convoy'))));

    expect(text('h1')).toBe('No such convoy in this town');
    expect(text('[data-testid=convoy-not-found]')).toContain('convoy-1');
  });

  it('when a bead chip is clicked, then the bead goes into the address so its drawer opens', async () => {
    const { navigate, timeline } = await setup();

    await (await timeline()).clickChip('b-api');

    expect(navigate).toHaveBeenCalledWith([], expect.objectContaining({ queryParams: { bead: 'b-api' }, queryParamsHandling: 'merge' }));
  });

  it('given a bead in the address, then its drawer is open, its chip is current, and closing the drawer clears the address', async () => {
    const { navigate, timeline, click } = await setup(undefined, 'b-ui');

    expect((await (await timeline()).chip('b-ui')).current).toBe(true);
    await click('[data-testid=close-drawer]');

    expect(navigate).toHaveBeenCalledWith([], expect.objectContaining({ queryParams: { bead: null }, queryParamsHandling: 'merge' }));
  });
});
