import { DestroyRef, EnvironmentInjector, Injectable, PendingTasks, createEnvironmentInjector, inject, signal } from '@angular/core';
import { GatewayError } from '@gastown/gateway-client/client';
import { newCommandId } from '../gateway/command-id';
import { GatewayService } from '../gateway/gateway.service';
import type { BeadStatus, ConvoyProgress, ConvoyStatus, MergeMode } from '../gateway/gateway.types';

export interface ConvoyBead {
  id: string;
  index: number;
  title: string;
  status: BeadStatus;
  blocked: boolean;
  blockedReason: string | null;
  assignee: string | null;
  rigId: string;
  branch: string | null;
  attemptCount: number;
}

export interface ConvoyDetail {
  sequence: number;
  id: string;
  title: string;
  slug: string;
  status: ConvoyStatus;
  mergeMode: MergeMode;
  staged: boolean;
  parallel: boolean;
  featureBranch: string | null;
  featureBranches: { rigId: string; branch: string }[];
  createdAt: string;
  updatedAt: string;
  landedAt: string | null;
  landedCommit: string | null;
  landings: { rigId: string; commit: string }[];
  cancelReason: string | null;
  failureReason: string | null;
  held: boolean;
  heldReason: string | null;
  heldSince: string | null;
  progress: ConvoyProgress;
  rigs: { id: string; name: string }[];
  waves: string[][];
  dependencyEdges: { beadId: string; dependsOnBeadId: string }[];
  beads: ConvoyBead[];
}

const CONVOY_FIELDS = `
  sequence id title slug status mergeMode staged parallel featureBranch featureBranches { rigId branch }
  createdAt updatedAt landedAt landedCommit landings { rigId commit } cancelReason failureReason held heldReason heldSince
  progress { total open blocked inProgress inReview closed failed cancelled }
  rigs { id name } waves dependencyEdges { beadId dependsOnBeadId }
  beads { id index title status blocked blockedReason assignee rigId branch attemptCount }
`;

const CONVOY = `query Convoy($id: ID!) { convoy(id: $id) { ${CONVOY_FIELDS} } }`;

const CONVOY_CHANGED = `
  subscription ConvoyChanged($convoyId: ID, $afterSequence: Float) {
    convoyChanged(convoyId: $convoyId, afterSequence: $afterSequence) { sequence convoy { ${CONVOY_FIELDS} } }
  }
`;

const START = `
  mutation StartConvoy($id: ID!, $commandId: String) { startConvoy(id: $id, commandId: $commandId) { ${CONVOY_FIELDS} } }
`;

const CLOSE = `
  mutation CloseConvoy($id: ID!, $reason: String!, $commandId: String) {
    closeConvoy(id: $id, reason: $reason, commandId: $commandId) { ${CONVOY_FIELDS} }
  }
`;

export type ConvoyAction = 'start' | 'close';

export interface ActionError {
  readonly action: ConvoyAction;
  readonly message: string;
}

/**
 * One convoy, read once and then followed decision by decision. Every change carries the whole
 * convoy, so the state is replaced rather than patched, and never by an older one.
 */
@Injectable()
export class ConvoyStore {
  private readonly gateway = inject(GatewayService);
  private readonly environment = inject(EnvironmentInjector);
  /** Reads and actions in flight keep the app unstable, so whenStable() means "shown". */
  private readonly pending = inject(PendingTasks);
  /** Owns the live subscription of the convoy shown now; a route to another convoy ends it. */
  private scope: EnvironmentInjector | null = null;
  private lastSequence = 0;

  private readonly state = signal<ConvoyDetail | null>(null);
  private readonly loadingState = signal(false);
  private readonly missing = signal(false);
  private readonly loadFailure = signal<string | null>(null);
  private readonly running = signal<ConvoyAction | null>(null);
  private readonly actionFailure = signal<ActionError | null>(null);

  readonly convoy = this.state.asReadonly();
  readonly loading = this.loadingState.asReadonly();
  /** The id names no convoy of this town (another town's, or mistyped). */
  readonly notFound = this.missing.asReadonly();
  /** Reading or following the convoy failed for another reason. */
  readonly loadError = this.loadFailure.asReadonly();
  readonly busy = this.running.asReadonly();
  /** Why the last start or close was refused. */
  readonly error = this.actionFailure.asReadonly();

  constructor() {
    inject(DestroyRef).onDestroy(() => this.scope?.destroy());
  }

  async load(id: string): Promise<void> {
    this.scope?.destroy();
    const scope = createEnvironmentInjector([], this.environment);
    this.scope = scope;
    this.state.set(null);
    this.missing.set(false);
    this.loadFailure.set(null);
    this.actionFailure.set(null);
    this.loadingState.set(true);
    const done = this.pending.add();
    try {
      const { convoy } = await this.gateway.request<{ convoy: ConvoyDetail }>(CONVOY, { id });
      if (scope !== this.scope) return;
      this.lastSequence = convoy.sequence;
      this.state.set(convoy);
      this.follow(id, scope);
    } catch (error) {
      if (scope !== this.scope) return;
      if (error instanceof GatewayError && error.code === 'NOT_FOUND') this.missing.set(true);
      else this.loadFailure.set(messageOf(error));
    } finally {
      if (scope === this.scope) this.loadingState.set(false);
      done();
    }
  }

  clearError(): void {
    this.actionFailure.set(null);
  }

  /** Releases a staged convoy. Resolves whether the gateway accepted it. */
  start(): Promise<boolean> {
    return this.run('start', START, {});
  }

  /** Cancels the convoy and every bead not yet closed. Resolves whether the gateway accepted it. */
  close(reason: string): Promise<boolean> {
    return this.run('close', CLOSE, { reason });
  }

  private follow(id: string, scope: EnvironmentInjector): void {
    this.gateway.live<{ convoyChanged: { sequence: number; convoy: ConvoyDetail } }>(
      CONVOY_CHANGED,
      () => ({ convoyId: id, afterSequence: this.lastSequence }),
      {
        next: ({ convoyChanged }) => {
          if (scope !== this.scope || convoyChanged.sequence <= this.lastSequence) return;
          this.lastSequence = convoyChanged.sequence;
          this.adopt(convoyChanged.convoy);
        },
        error: (error) => {
          if (scope === this.scope) this.loadFailure.set(`Live updates stopped: ${error.message}`);
        },
      },
      scope.get(DestroyRef),
    );
  }

  private async run(action: ConvoyAction, document: string, variables: Record<string, unknown>): Promise<boolean> {
    const convoy = this.state();
    if (!convoy || this.running()) return false;
    this.running.set(action);
    this.actionFailure.set(null);
    const done = this.pending.add();
    try {
      const data = await this.gateway.request<Record<string, ConvoyDetail>>(document, { ...variables, id: convoy.id, commandId: newCommandId() });
      const [updated] = Object.values(data);
      if (updated.id === this.state()?.id) {
        // Mutations return once the projector applied them: the live change for this decision adds nothing.
        this.lastSequence = Math.max(this.lastSequence, updated.sequence);
        this.adopt(updated);
      }
      return true;
    } catch (error) {
      const message = `${action === 'start' ? 'Could not start the convoy' : 'Could not close the convoy'}: ${messageOf(error)}`;
      this.actionFailure.set({ action, message });
      return false;
    } finally {
      this.running.set(null);
      done();
    }
  }

  /** A convoy as of some decision; one older than what is shown is ignored. */
  private adopt(convoy: ConvoyDetail): void {
    const current = this.state();
    if (!current || convoy.sequence >= current.sequence) this.state.set(convoy);
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
