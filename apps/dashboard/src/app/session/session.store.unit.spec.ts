import { TestBed } from '@angular/core/testing';
import { GATEWAY_URL, SessionStore } from './session.store';

/** The gateway's answer to `town`, by bearer token, as fetch sees it. */
function gatewayAnswering(tokens: Record<string, string>) {
  return jest.fn(async (_url: string, init: { headers: Record<string, string> }) => {
    const token = init.headers['authorization']?.replace('Bearer ', '') ?? '';
    const name = tokens[token];
    const body = name
      ? { data: { town: { id: `id-${name}`, name } } }
      : { data: null, errors: [{ message: 'invalid token', extensions: { code: 'UNAUTHENTICATED' } }] };
    return { status: name ? 200 : 401, json: async () => body } as Response;
  });
}

function store() {
  TestBed.configureTestingModule({ providers: [{ provide: GATEWAY_URL, useValue: 'http://gateway.test/graphql' }] });
  return TestBed.inject(SessionStore);
}

describe('SessionStore', () => {
  const realFetch = globalThis.fetch;
  afterEach(() => {
    globalThis.fetch = realFetch;
    sessionStorage.clear();
  });

  it('given a token the gateway accepts, when signing in, then the town is known and the token is kept for this tab only', async () => {
    globalThis.fetch = gatewayAnswering({ gt_acme: 'acme' }) as unknown as typeof fetch;
    const session = store();

    await session.signIn('  gt_acme  ');

    expect(session.town()).toEqual({ id: 'id-acme', name: 'acme' });
    expect(session.signedIn()).toBe(true);
    expect(sessionStorage.getItem('gastown.token')).toBe('gt_acme');
    expect(localStorage.getItem('gastown.token')).toBeNull();
  });

  it('given a refused token, when signing in, then nothing is kept and the refusal is thrown', async () => {
    globalThis.fetch = gatewayAnswering({}) as unknown as typeof fetch;
    const session = store();

    await expect(session.signIn('gt_nope')).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });

    expect(session.signedIn()).toBe(false);
    expect(sessionStorage.getItem('gastown.token')).toBeNull();
  });

  it('given something that is no town token, when signing in, then the gateway is not even asked', async () => {
    const fetchSpy = gatewayAnswering({});
    globalThis.fetch = fetchSpy as unknown as typeof fetch;
    const session = store();

    await expect(session.signIn('hunter2')).rejects.toThrow('A town token starts with gt_');
    expect(fetchSpy).not.toHaveBeenCalled();
  });

  it('when signing out with a reason, then the token is gone and the reason is kept for the sign-in screen', async () => {
    globalThis.fetch = gatewayAnswering({ gt_acme: 'acme' }) as unknown as typeof fetch;
    const session = store();
    await session.signIn('gt_acme');

    session.signOut('The gateway refused the town token.');

    expect(session.signedIn()).toBe(false);
    expect(session.town()).toBeNull();
    expect(session.endedBecause()).toBe('The gateway refused the town token.');
    expect(sessionStorage.getItem('gastown.token')).toBeNull();
  });
});
