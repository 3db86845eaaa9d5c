import { ChangeDetectionStrategy, Component, input } from '@angular/core';
import type { RigAgentConfig } from './rig.model';

/** Which agent works on a rig's beads, as the town registered it. */
@Component({
  selector: 'gt-rig-agent',
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    @switch (agent().kind) {
      @case ('PROFILE') {
        operator profile <code class="name" data-testid="agent-profile">{{ agent().profile }}</code>
      }
      @case ('COMMAND') {
        town command <code class="wrap" data-testid="agent-command">{{ (agent().command ?? []).join(' ') }}</code>
      }
      @default {
        built-in demo agent
      }
    }
  `,
  styles: `
    .wrap, .name { overflow-wrap: anywhere; }
  `,
})
export class RigAgentComponent {
  readonly agent = input.required<RigAgentConfig>();
}
