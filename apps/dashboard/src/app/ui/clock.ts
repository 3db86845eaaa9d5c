import { DestroyRef, inject, signal, type Signal } from '@angular/core';

/** The current time, ticking every `everyMs`, for ages on screen; it asks the server nothing. */
export function clock(everyMs = 30_000): Signal<number> {
  const now = signal(Date.now());
  const timer = setInterval(() => now.set(Date.now()), everyMs);
  inject(DestroyRef).onDestroy(() => clearInterval(timer));
  return now.asReadonly();
}
