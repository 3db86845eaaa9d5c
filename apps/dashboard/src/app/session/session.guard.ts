import { inject } from '@angular/core';
import { CanActivateFn, Router } from '@angular/router';
import { GatewayError } from '@gastown/gateway-client/client';
import { SessionStore } from './session.store';

/** Pages of a town need its token; a token kept from earlier in the tab is checked first. */
export const signedIn: CanActivateFn = async () => {
  const session = inject(SessionStore);
  const router = inject(Router);
  if (!session.signedIn()) return router.parseUrl('/sign-in');
  try {
    await session.restore();
    return true;
  } catch (error) {
    if (error instanceof GatewayError && error.code === 'UNAUTHENTICATED') {
      session.signOut('The gateway refused the town token kept for this tab. Sign in again.');
      return router.parseUrl('/sign-in');
    }
    // The gateway is down: the pages say so themselves and recover when it is back.
    return true;
  }
};
