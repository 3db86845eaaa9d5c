import { DOCUMENT, Injectable, effect, inject, signal } from '@angular/core';

export type Theme = 'light' | 'dark';

const THEME_KEY = 'gastown.theme';

/** Light or dark: the system's choice until the person picks one, which is then remembered. */
@Injectable({ providedIn: 'root' })
export class ThemeStore {
  private readonly document = inject(DOCUMENT);
  readonly theme = signal<Theme>(this.initial());

  constructor() {
    effect(() => this.document.documentElement.setAttribute('data-theme', this.theme()));
  }

  toggle(): void {
    const next: Theme = this.theme() === 'dark' ? 'light' : 'dark';
    localStorage.setItem(THEME_KEY, next);
    this.theme.set(next);
  }

  private initial(): Theme {
    const kept = localStorage.getItem(THEME_KEY);
    if (kept === 'light' || kept === 'dark') return kept;
    return globalThis.matchMedia?.('(prefers-color-scheme: dark)').matches ? 'dark' : 'light';
  }
}
