import { TestbedHarnessEnvironment } from '@angular/cdk/testing/testbed';
import { Component, signal } from '@angular/core';
import { TestBed } from '@angular/core/testing';
import { provideRouter } from '@angular/router';
import { ConvoyCardComponent } from './convoy-card.component';
import { ConvoyCardHarness } from './convoy-card.harness';
import type { ConvoySummary } from './town.store';

const NOW = Date.parse('2026-11-25T12:00:00Z');

function convoy(overrides: Partial<ConvoySummary> = {}): ConvoySummary {
  return {
    id: 'c-1',
    title: 'Add billing export',
    status: 'ACTIVE',
    mergeMode: 'REVIEW_THEN_LAND',
    staged: false,
    featureBranch: 'convoy/add-billing-export',
    createdAt: '2026-11-25T11:57:00Z',
    updatedAt: '2026-11-25T11:59:00Z',
    landedAt: null,
    landedCommit: null,
    sequence: 12,
    progress: { total: 6, open: 1, blocked: 1, inProgress: 1, inReview: 1, closed: 2, failed: 0, cancelled: 0 },
    ...overrides,
  };
}

@Component({ imports: [ConvoyCardComponent], template: '<gt-convoy-card [convoy]="convoy()" [now]="now" />' })
class Host {
  readonly convoy = signal(convoy());
  readonly now = NOW;
}

async function setup() {
  TestBed.configureTestingModule({ providers: [provideRouter([])] });
  const fixture = TestBed.createComponent(Host);
  const card = await TestbedHarnessEnvironment.harnessForFixture(fixture, ConvoyCardHarness);
  return { fixture, card };
}

describe('ConvoyCardComponent', () => {
  it('given an active convoy, then the card shows its title linking to its timeline, its state, branch to copy and the split of its beads', async () => {
    const { card } = await setup();

    expect(await card.title()).toBe('Add billing export');
    expect(await card.link()).toBe('/convoys/c-1');
    expect(await card.status()).toBe('active');
    expect(await card.featureBranch()).toBe('convoy/add-billing-export');
    expect(await card.copyLabels()).toEqual(['Copy branch convoy/add-billing-export']);
    expect(await card.progressSummary()).toBe('2 of 6 beads closed: 2 closed, 1 in review, 1 in progress, 1 blocked, 1 open');
    expect(await card.landedCommit()).toBeNull();
  });

  it('given the convoy lands, when the change arrives, then the card shows landed and the landing commit', async () => {
    const { fixture, card } = await setup();

    fixture.componentInstance.convoy.set(
      convoy({
        status: 'LANDED',
        landedAt: '2026-11-25T11:59:30Z',
        landedCommit: '9f1c2ab44de0c0ffee11223344556677889900aa',
        progress: { total: 6, open: 0, blocked: 0, inProgress: 0, inReview: 0, closed: 6, failed: 0, cancelled: 0 },
      }),
    );

    expect(await card.status()).toBe('landed');
    expect(await card.landedCommit()).toBe('9f1c2ab44d');
    expect(await card.progressSummary()).toBe('6 of 6 beads closed: 6 closed');
  });

  it('given a convoy merging straight to the default branch, then no feature branch is offered', async () => {
    const { fixture, card } = await setup();

    fixture.componentInstance.convoy.set(convoy({ mergeMode: 'REVIEW_AND_MERGE', featureBranch: null }));

    expect(await card.featureBranch()).toBeNull();
    expect(await card.copyLabels()).toEqual([]);
  });
});
