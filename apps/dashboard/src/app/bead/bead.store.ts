import { DestroyRef, EnvironmentInjector, Injectable, createEnvironmentInjector, inject, signal } from '@angular/core';
import { GatewayError } from '@gastown/gateway-client/client';
import { newCommandId } from '../gateway/command-id';
import { GatewayService } from '../gateway/gateway.service';
import type { BeadDetail, BeadEvent } from './bead.model';

const LINK_FIELDS = 'id title status blocked convoyId rigId rig { name }';

const BEAD_FIELDS = `
  id index title body status blocked blockedReason assignee branch headCommit mergeCommit lastReason
  attemptCount createdAt closedAt convoyId convoy { id title status } rigId rig { id name }
  blockedBy { ${LINK_FIELDS} } blocks { ${LINK_FIELDS} }
  attempts { number agentName agentId branch dispatchedAt startedAt endedAt outcome exitCode reason headCommit outputTail }
`;

const EVENT_FIELDS = 'sequence index type occurredAt summary actor { id kind }';

/** How much history the drawer reads at first; the subscription replays whatever came after it. */
export const HISTORY_PAGE = 200;

const BEAD = `
  query BeadDrawer($id: ID!) {
    bead(id: $id) { ${BEAD_FIELDS} events(first: ${HISTORY_PAGE}) { ${EVENT_FIELDS} } }
  }
`;

/**
 * The bead's fields are replaced with each change; its history grows by the change's own
 * events, because a re-read first page of events would stop at the oldest ones.
 */
const BEAD_CHANGED = `
  subscription BeadDrawerLive($beadId: ID!, $afterSequence: Float) {
    beadChanged(beadId: $beadId, afterSequence: $afterSequence) {
      sequence events { ${EVENT_FIELDS} } bead { ${BEAD_FIELDS} }
    }
  }
`;

const RETRY_BEAD = `
  mutation RetryBead($id: ID!, $commandId: String) {
    retryBead(id: $id, commandId: $commandId) { ${BEAD_FIELDS} }
  }
`;

interface BeadChange {
  sequence: number;
  events: BeadEvent[];
  bead: BeadDetail;
}

/**
 * One bead as the drawer shows it: read once, then followed through `beadChanged` from the
 * newest decision its history holds. Opening another bead ends the old subscription first.
 */
@Injectable()
export class BeadStore {
  private readonly gateway = inject(GatewayService);
  private readonly parentInjector = inject(EnvironmentInjector);
  /** Lives as long as one bead is shown; destroying it closes that bead's subscription. */
  private scope: EnvironmentInjector | null = null;

  private readonly current = signal<BeadDetail | null>(null);
  private readonly history = signal<BeadEvent[]>([]);
  readonly bead = this.current.asReadonly();
  /** Oldest first. */
  readonly events = this.history.asReadonly();
  readonly loading = signal(false);
  /** Why the bead cannot be shown or followed. */
  readonly error = signal<string | null>(null);
  readonly busy = signal(false);
  /** Why the last retry was refused. */
  readonly retryError = signal<string | null>(null);

  constructor() {
    inject(DestroyRef).onDestroy(() => this.scope?.destroy());
  }

  async load(beadId: string): Promise<void> {
    this.scope?.destroy();
    const scope = createEnvironmentInjector([], this.parentInjector, `bead ${beadId}`);
    this.scope = scope;
    this.current.set(null);
    this.history.set([]);
    this.error.set(null);
    this.retryError.set(null);
    this.busy.set(false);
    this.loading.set(true);
    try {
      const { bead } = await this.gateway.request<{ bead: BeadDetail & { events: BeadEvent[] } }>(BEAD, { id: beadId });
      if (this.scope !== scope) return;
      const { events, ...fields } = bead;
      this.current.set(fields);
      this.history.set(events);
      this.follow(beadId, events, scope.get(DestroyRef));
    } catch (error) {
      if (this.scope === scope) this.error.set(describe(error));
    } finally {
      if (this.scope === scope) this.loading.set(false);
    }
  }

  async retry(): Promise<void> {
    const bead = this.current();
    if (!bead || this.busy()) return;
    const scope = this.scope;
    this.busy.set(true);
    this.retryError.set(null);
    try {
      const { retryBead } = await this.gateway.request<{ retryBead: BeadDetail }>(RETRY_BEAD, {
        id: bead.id,
        commandId: newCommandId(),
      });
      if (this.scope === scope) this.current.set(retryBead);
    } catch (error) {
      if (this.scope === scope) this.retryError.set(describe(error));
    } finally {
      if (this.scope === scope) this.busy.set(false);
    }
  }

  private follow(beadId: string, events: BeadEvent[], destroyRef: DestroyRef): void {
    let lastSequence = Math.max(0, ...events.map((e) => e.sequence));
    const seen = new Set(events.map(eventKey));
    this.gateway.live<{ beadChanged: BeadChange }>(
      BEAD_CHANGED,
      () => ({ beadId, afterSequence: lastSequence }),
      {
        next: ({ beadChanged: change }) => {
          if (change.sequence <= lastSequence) return;
          lastSequence = change.sequence;
          this.current.set(change.bead);
          const fresh = change.events.filter((e) => !seen.has(eventKey(e)));
          fresh.forEach((e) => seen.add(eventKey(e)));
          if (fresh.length > 0) this.history.update((list) => [...list, ...fresh]);
        },
        error: (error) => this.error.set(`Live updates stopped: ${error.message}`),
      },
      destroyRef,
    );
  }
}

function eventKey(event: BeadEvent): string {
  return `${event.sequence}:${event.index}`;
}

function describe(error: unknown): string {
  if (error instanceof GatewayError && error.code === 'NOT_FOUND') {
    return 'This bead does not exist in your town: the link may be wrong or from another town.';
  }
  return error instanceof Error ? error.message : String(error);
}
