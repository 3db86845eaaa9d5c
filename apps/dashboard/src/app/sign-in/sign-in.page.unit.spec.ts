import { TestbedHarnessEnvironment } from '@angular/cdk/testing/testbed';
import { signal } from '@angular/core';
import { TestBed } from '@angular/core/testing';
import { Router, provideRouter } from '@angular/router';
import { GatewayError } from '@gastown/gateway-client/client';
import { SessionStore } from '../session/session.store';
import { SignInHarness } from './sign-in.harness';
import { SignInPage } from './sign-in.page';

/** Our SessionStore, answering as the gateway would for one valid token. */
class FakeSession {
  readonly endedBecause = signal<string | null>(null);
  readonly tried: string[] = [];

  async signIn(token: string) {
    this.tried.push(token);
    if (token === 'gt_good') return { id: 't-1', name: 'acme' };
    if (token === 'gt_offline') throw new GatewayError('UNREACHABLE', 'the gateway at … did not answer: ECONNREFUSED');
    throw new GatewayError('UNAUTHENTICATED', 'invalid token');
  }
}

async function setup(endedBecause: string | null = null) {
  const session = new FakeSession();
  session.endedBecause.set(endedBecause);
  TestBed.configureTestingModule({ providers: [provideRouter([]), { provide: SessionStore, useValue: session }] });
  const router = TestBed.inject(Router);
  const navigate = jest.spyOn(router, 'navigate').mockResolvedValue(true);
  const fixture = TestBed.createComponent(SignInPage);
  const harness = await TestbedHarnessEnvironment.harnessForFixture(fixture, SignInHarness);
  return { session, navigate, harness, fixture };
}

describe('SignInPage', () => {
  it('given a wrong token, when signing in, then the screen says it opens no town, marks the field, and goes nowhere', async () => {
    const { harness, navigate, fixture } = await setup();

    await harness.signIn('gt_wrong');
    await fixture.whenStable();

    expect(await harness.error()).toBe('This token does not open any town. Check it and try again.');
    expect(await harness.tokenMarkedInvalid()).toBe(true);
    expect(navigate).not.toHaveBeenCalled();
  });

  it('given the gateway is down, when signing in, then it says so instead of blaming the token', async () => {
    const { harness, fixture } = await setup();

    await harness.signIn('gt_offline');
    await fixture.whenStable();

    expect(await harness.error()).toBe('The gateway did not answer. Is Gastown running (npm start)?');
  });

  it('given the right token, when signing in, then the town overview opens', async () => {
    const { harness, navigate, session, fixture } = await setup();

    await harness.signIn('gt_good');
    await fixture.whenStable();

    expect(session.tried).toEqual(['gt_good']);
    expect(navigate).toHaveBeenCalledWith(['/']);
    expect(await harness.error()).toBeNull();
  });

  it('given the last session ended because the token was refused, then the screen says why', async () => {
    const { harness } = await setup('The gateway refused the town token. Sign in again with a valid one.');

    expect(await harness.notice()).toBe('The gateway refused the town token. Sign in again with a valid one.');
  });
});
