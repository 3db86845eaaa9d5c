import { ChangeDetectionStrategy, Component, inject } from '@angular/core';
import { RouterOutlet } from '@angular/router';
import { ThemeStore } from './theme/theme.store';

@Component({
  selector: 'gt-root',
  imports: [RouterOutlet],
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: '<router-outlet />',
})
export class AppComponent {
  // Instantiated here so the theme applies before any page, the sign-in screen included.
  protected readonly theme = inject(ThemeStore);
}
