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
  /** Its merge push was granted and is not recorded yet: a close can no longer stop it. */
  mergeUnderWay: boolean;
}

/** A bead whose merge push was granted before the convoy was closed. */
export interface MergeUnderWay {
  id: string;
  title: string;
  /** IN_REVIEW while it is pushed; CLOSED once merged, CANCELLED when the push failed. */
  status: BeadStatus;
}

export interface DependencyEdge {
  beadId: string;
  dependsOnBeadId: string;
}

/** The convoy's own fields: what every change and every action answers with. */
export interface ConvoyHeader {
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
  /** Every rig's landing: LANDED with its commit, PENDING, PUSHING, or FAILED with why; never reset by a new attempt. */
  landings: RigLanding[];
  /**
   * What a close could not call back, as its pushes were granted before it: in the close's answer
   * every one the close found, later those whose outcome is not recorded yet. Empty unless CANCELLED.
   */
  mergesUnderWay: MergeUnderWay[];
  landingsUnderWay: RigLanding[];
  cancelReason: string | null;
  failureReason: string | null;
  held: boolean;
  heldReason: string | null;
  heldSince: string | null;
  progress: ConvoyProgress;
  rigs: { id: string; name: string }[];
}

/** The whole convoy as shown: its beads and edges arrive page by page (a convoy may hold 10,000 beads). */
export interface ConvoyDetail extends ConvoyHeader {
  dependencyEdges: DependencyEdge[];
  beads: ConvoyBead[];
}

const HEADER_FIELDS = `
  sequence id title slug status mergeMode staged parallel featureBranch featureBranches { rigId branch }
  createdAt updatedAt landedAt landedCommit landings { rigId status commit reason } cancelReason failureReason held heldReason heldSince
  mergesUnderWay { id title status } landingsUnderWay { rigId status commit reason }
  progress { total open blocked inProgress inReview closed failed cancelled }
  rigs { id name }
`;

const BEAD_FIELDS = 'id index title status blocked blockedReason assignee rigId branch attemptCount mergeUnderWay';

/**
 * Pages far below the gateway's default query budget (GATEWAY_MAX_QUERY_COST, 10,000 objects):
 * one page costs about 2,800 and a 10,000-bead convoy loads in 20 of them.
 */
export const BEAD_PAGE = 500;
export const EDGE_PAGE = 2_000;
/** A change naming more beads than this is read again page by page rather than bead by bead. */
export const BEAD_REFRESH = 100;

/** The convoy's fields with a page of beads and one of edges; a finished list asks for 0 more. */
const PAGE = `
  query ConvoyPage($id: ID!, $beads: Int!, $beadsAfter: ID, $edges: Int!, $edgesAfter: String) {
    convoy(id: $id) {
      ${HEADER_FIELDS}
      beads(first: $beads, after: $beadsAfter) { ${BEAD_FIELDS} }
      dependencyEdges(first: $edges, after: $edgesAfter) { beadId dependsOnBeadId cursor }
    }
  }
`;

/** Beads by id, one alias each: what a change touched, re-read at its own small cost. */
function beadsDocument(count: number): string {
  const variables = Array.from({ length: count }, (_, i) => `$b${i}: ID!`).join(', ');
  const fields = Array.from({ length: count }, (_, i) => `b${i}: bead(id: $b${i}) { ${BEAD_FIELDS} }`).join(' ');
  return `query ConvoyBeads(${variables}) { ${fields} }`;
}

/** Beads that closing leaves as they are. */
const FINISHED = new Set<BeadStatus>(['CLOSED', 'FAILED', 'CANCELLED']);

/** Events that change which beads or edges the convoy has, not only how its beads stand. */
const RESHAPING = new Set(['BeadCreated', 'DependencyAdded', 'DependencyRemoved']);

const CONVOY_CHANGED = `
  subscription ConvoyChanged($convoyId: ID, $afterSequence: Float) {
    convoyChanged(convoyId: $convoyId, afterSequence: $afterSequence) { sequence events { type beadIds } convoy { ${HEADER_FIELDS} } }
  }
`;

const START = `
  mutation StartConvoy($id: ID!, $commandId: String) { startConvoy(id: $id, commandId: $commandId) { ${HEADER_FIELDS} } }
`;

const RETRY_LANDING = `
  mutation RetryLanding($id: ID!, $commandId: String) { retryLanding(convoyId: $id, commandId: $commandId) { ${HEADER_FIELDS} } }
`;

const CLOSE = `
  mutation CloseConvoy($id: ID!, $reason: String!, $commandId: String) {
    closeConvoy(id: $id, reason: $reason, commandId: $commandId) { ${HEADER_FIELDS} }
  }
`;

interface PageAnswer {
  convoy: ConvoyHeader & { beads: ConvoyBead[]; dependencyEdges: (DependencyEdge & { cursor: string })[] };
}

export interface ConvoyChange {
  sequence: number;
  events: { type: string; beadIds: string[] }[];
  convoy: ConvoyHeader;
}

export type ConvoyAction = 'start' | 'close' | 'land';

export interface RigLanding {
  rigId: string;
  status: 'LANDED' | 'PENDING' | 'PUSHING' | 'FAILED';
  commit: string | null;
  reason: string | null;
}

const REFUSED: Record<ConvoyAction, string> = {
  start: 'Could not start the convoy',
  close: 'Could not close the convoy',
  land: 'Could not land the convoy again',
};

export interface ActionError {
  readonly action: ConvoyAction;
  readonly message: string;
}

/**
 * One convoy, read page by page and then followed decision by decision. A change carries the
 * convoy's own fields and names the beads it touched: those are read again (all pages when the
 * change added beads or edges), so a big convoy never has to fit in one answer.
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
  /** Re-reads after changes, one after another, so an older read never lands after a newer one. */
  private refreshes: Promise<void> = Promise.resolve();

  private readonly state = signal<ConvoyDetail | null>(null);
  private readonly loadingState = signal(false);
  private readonly pagingState = signal(false);
  private readonly missing = signal(false);
  private readonly loadFailure = signal<string | null>(null);
  private readonly running = signal<ConvoyAction | null>(null);
  private readonly actionFailure = signal<ActionError | null>(null);

  readonly convoy = this.state.asReadonly();
  readonly loading = this.loadingState.asReadonly();
  /** The convoy is shown, and more of its beads and edges are still on their way. */
  readonly paging = this.pagingState.asReadonly();
  /** The id names no convoy of this town (another town's, or mistyped). */
  readonly notFound = this.missing.asReadonly();
  /** Reading or following the convoy failed for another reason. */
  readonly loadError = this.loadFailure.asReadonly();
  readonly busy = this.running.asReadonly();
  /** Why the last start, close or landing retry was refused. */
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
    const reading = this.readPages(id, scope, (header, beads, edges, first) => {
      if (first) {
        this.lastSequence = header.sequence;
        this.state.set({ ...header, beads, dependencyEdges: edges });
        this.loadingState.set(false);
        this.pagingState.set(true);
        this.follow(id, scope);
      } else {
        this.state.update((shown) => (shown ? { ...adopted(shown, header), beads: [...shown.beads, ...beads], dependencyEdges: [...shown.dependencyEdges, ...edges] } : shown));
      }
    });
    // What changes name meanwhile is read again once every page is in.
    this.refreshes = reading.catch(() => undefined);
    try {
      await reading;
    } catch (error) {
      if (scope !== this.scope) return;
      if (error instanceof GatewayError && error.code === 'NOT_FOUND') this.missing.set(true);
      else this.loadFailure.set(messageOf(error));
    } finally {
      if (scope === this.scope) {
        this.loadingState.set(false);
        this.pagingState.set(false);
      }
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

  /** Lands the rigs a failed landing left unlanded, once its cause is fixed; landed rigs stay as they are. */
  landAgain(): Promise<boolean> {
    return this.run('land', RETRY_LANDING, {});
  }

  /**
   * Cancels the convoy and every bead not yet closed; the answer names the merges and landings
   * already being pushed, which still land. Resolves whether the gateway accepted it.
   */
  close(reason: string): Promise<boolean> {
    return this.run('close', CLOSE, { reason });
  }

  /**
   * Reads the convoy's beads and edges page by page, handing on each page as it comes (`first`
   * for the first one); stops quietly when another convoy is loaded meanwhile.
   */
  private async readPages(
    id: string,
    scope: EnvironmentInjector,
    page: (header: ConvoyHeader, beads: ConvoyBead[], edges: DependencyEdge[], first: boolean) => void,
  ): Promise<void> {
    let beadsAfter: string | null = null;
    let edgesAfter: string | null = null;
    let beadsDone = false;
    let edgesDone = false;
    for (let first = true; first || !beadsDone || !edgesDone; first = false) {
      const want: { beads: number; edges: number } = { beads: beadsDone ? 0 : BEAD_PAGE, edges: edgesDone ? 0 : EDGE_PAGE };
      const answer: PageAnswer = await this.gateway.request<PageAnswer>(PAGE, { id, ...want, beadsAfter, edgesAfter });
      if (scope !== this.scope) return;
      const { beads, dependencyEdges, ...header }: PageAnswer['convoy'] = answer.convoy;
      beadsAfter = beads.at(-1)?.id ?? beadsAfter;
      edgesAfter = dependencyEdges.at(-1)?.cursor ?? edgesAfter;
      beadsDone ||= beads.length < want.beads;
      edgesDone ||= dependencyEdges.length < want.edges;
      page(header, beads, dependencyEdges.map(({ beadId, dependsOnBeadId }) => ({ beadId, dependsOnBeadId })), first);
    }
  }

  private follow(id: string, scope: EnvironmentInjector): void {
    this.gateway.live<{ convoyChanged: ConvoyChange }>(
      CONVOY_CHANGED,
      () => ({ convoyId: id, afterSequence: this.lastSequence }),
      {
        next: ({ convoyChanged }) => {
          if (scope !== this.scope || convoyChanged.sequence <= this.lastSequence) return;
          this.lastSequence = convoyChanged.sequence;
          this.adopt(convoyChanged.convoy);
          const { events } = convoyChanged;
          this.refreshBeads(id, scope, [...new Set(events.flatMap((e) => e.beadIds))], events.some((e) => RESHAPING.has(e.type)));
        },
        error: (error) => {
          if (scope === this.scope) this.loadFailure.set(`Live updates stopped: ${error.message}`);
        },
      },
      scope.get(DestroyRef),
    );
  }

  /** Reads again the beads a change touched, or every page when it added beads or edges (reshaped) or touched many. */
  private refreshBeads(id: string, scope: EnvironmentInjector, beadIds: readonly string[], reshaped: boolean): void {
    if (reshaped || beadIds.length > BEAD_REFRESH) this.refresh(scope, () => this.rereadAll(id, scope));
    else if (beadIds.length > 0) this.refresh(scope, () => this.reread(scope, beadIds));
  }

  private refresh(scope: EnvironmentInjector, work: () => Promise<void>): void {
    const done = this.pending.add();
    this.refreshes = this.refreshes
      .then(() => (scope === this.scope ? work() : undefined))
      .catch((error: unknown) => {
        if (scope === this.scope) this.loadFailure.set(`Live updates stopped: ${messageOf(error)}`);
      })
      .finally(done);
  }

  private async rereadAll(id: string, scope: EnvironmentInjector): Promise<void> {
    let latest: ConvoyHeader | null = null;
    const beads: ConvoyBead[] = [];
    const edges: DependencyEdge[] = [];
    await this.readPages(id, scope, (header, pageBeads, pageEdges) => {
      latest = header;
      beads.push(...pageBeads);
      edges.push(...pageEdges);
    });
    const header: ConvoyHeader | null = latest;
    if (header && scope === this.scope) this.state.update((shown) => (shown ? { ...adopted(shown, header), beads, dependencyEdges: edges } : shown));
  }

  private async reread(scope: EnvironmentInjector, beadIds: readonly string[]): Promise<void> {
    const variables = Object.fromEntries(beadIds.map((beadId, i) => [`b${i}`, beadId]));
    const read = await this.gateway.request<Record<string, ConvoyBead>>(beadsDocument(beadIds.length), variables);
    if (scope === this.scope) this.patchBeads(Object.values(read));
  }

  /** Beads not shown yet (their page is still coming) are left to their page. */
  private patchBeads(beads: readonly ConvoyBead[]): void {
    const byId = new Map(beads.map((b) => [b.id, b]));
    this.state.update((shown) => (shown ? { ...shown, beads: shown.beads.map((b) => byId.get(b.id) ?? b) } : shown));
  }

  private async run(action: ConvoyAction, document: string, variables: Record<string, unknown>): Promise<boolean> {
    const convoy = this.state();
    if (!convoy || this.running()) return false;
    this.running.set(action);
    this.actionFailure.set(null);
    const done = this.pending.add();
    try {
      const data = await this.gateway.request<Record<string, ConvoyHeader>>(document, { ...variables, id: convoy.id, commandId: newCommandId() });
      const [updated] = Object.values(data);
      if (updated.id === this.state()?.id) {
        // Mutations return once the projector applied them: the live change for this decision adds
        // nothing, except that closing cancels beads, which are read again here.
        this.lastSequence = Math.max(this.lastSequence, updated.sequence);
        this.adopt(updated);
        const scope = this.scope;
        const open = convoy.beads.filter((b) => !FINISHED.has(b.status)).map((b) => b.id);
        if (scope && action === 'close') this.refreshBeads(convoy.id, scope, open, false);
      }
      return true;
    } catch (error) {
      const message = `${REFUSED[action]}: ${messageOf(error)}`;
      this.actionFailure.set({ action, message });
      return false;
    } finally {
      this.running.set(null);
      done();
    }
  }

  /** The convoy's own fields as of some decision; older than what is shown, they are ignored. */
  private adopt(header: ConvoyHeader): void {
    this.state.update((shown) => (shown ? adopted(shown, header) : shown));
  }
}

/** The convoy's own fields as of a decision, unless older than what is shown; its lists stay as shown. */
function adopted(shown: ConvoyDetail, header: ConvoyHeader): ConvoyDetail {
  if (header.sequence < shown.sequence) return shown;
  return { ...shown, ...header, beads: shown.beads, dependencyEdges: shown.dependencyEdges };
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
