import { DestroyRef, EnvironmentInjector, Injectable, computed, createEnvironmentInjector, inject, signal } from '@angular/core';
import { GatewayError } from '@gastown/gateway-client/client';
import { GatewayService } from '../gateway/gateway.service';
import { BEADS_LISTED } from './rig-convoys.component';
import type { MergeQueueEntry, RigAgent, RigConvoy, RigInfo } from './rig.model';
import { holdsBeadOn, rigConvoys } from './rig.selectors';

const AGENT_FIELDS = 'id name status currentBead { id title convoyId } lastHeartbeatAt lastSeenAt attemptsTotal';

/**
 * How much of the queue the view lists: a rig whose checks stay red can queue hundreds of beads,
 * and the first ones are those that matter next.
 */
export const QUEUE_LISTED = 50;

const QUEUE_FIELDS = `position status submittedAt startedAt batch { id speculativeOn checkRuns } bead { id title convoyId assignee convoy { title } }`;

const PROGRESS = 'total open blocked inProgress inReview closed failed cancelled';

/** The convoy with the rig's own counts and its first beads on the rig ($id), as many as the view lists. */
const CONVOY_FIELDS = `
  id title status mergeMode sequence createdAt
  progress { ${PROGRESS} }
  rigProgress: progress(rigId: $id) { ${PROGRESS} }
  beads(rigId: $id, first: ${BEADS_LISTED}) { id title status blocked rigId assignee convoyId attempts { number outcome endedAt } }
`;

/**
 * How many of the rig's convoys the view reads, newest first: with their listed beads and each
 * bead's attempts, they cost about 6,700, within the gateway's default query budget (10,000).
 */
export const RIG_CONVOYS = 20;

const RIG = `
  query RigView($id: ID!, $first: Int!) {
    rig(id: $id) {
      id name gitUrl defaultBranch createdAt
      config { maxPolecats agentTimeoutMs agent { kind command profile } checks { name } }
      agents { ${AGENT_FIELDS} }
      mergeQueue(first: ${QUEUE_LISTED}) { ${QUEUE_FIELDS} }
    }
    convoys(rigId: $id, first: $first) { edges { node { ${CONVOY_FIELDS} } } }
  }
`;

const AGENTS = `
  query RigAgents($id: ID!) {
    rig(id: $id) { agents { ${AGENT_FIELDS} } }
  }
`;

/** Town-wide: a convoy can gain its first bead on this rig at any time (addTasks, a new convoy). */
const CONVOY_CHANGED = `
  subscription RigConvoys($id: ID!, $afterSequence: Float) {
    convoyChanged(afterSequence: $afterSequence) { sequence convoy { ${CONVOY_FIELDS} } }
  }
`;

/** The whole queue (as listed) after each change, and first as it is when the subscription starts. */
const QUEUE_CHANGED = `
  subscription RigMergeQueue($id: ID!) {
    mergeQueueChanged(rigId: $id) { entries(first: ${QUEUE_LISTED}) { ${QUEUE_FIELDS} } }
  }
`;

/**
 * One rig: its settings, its agents, its merge queue, and the convoys that hold its beads, followed through the
 * town's convoy changes. Agents have no stream of their own; they are read again whenever a
 * convoy of this rig changes, which is when one of them starts or ends work.
 */
@Injectable()
export class RigStore {
  private readonly gateway = inject(GatewayService);
  private readonly parentInjector = inject(EnvironmentInjector);
  /** Lives as long as one rig is shown; destroying it closes that rig's subscription. */
  private scope: EnvironmentInjector | null = null;

  private readonly rigId = signal<string | null>(null);
  private readonly allConvoys = signal<RigConvoy[]>([]);
  private readonly info = signal<RigInfo | null>(null);
  private readonly agentList = signal<RigAgent[]>([]);
  private readonly queue = signal<MergeQueueEntry[]>([]);

  readonly rig = this.info.asReadonly();
  /** Working first, then by name, as the API orders them. */
  readonly agents = this.agentList.asReadonly();
  readonly convoys = computed(() => rigConvoys(this.allConvoys(), this.rigId() ?? ''));
  /** First in line first, as the refinery's queue holds them. */
  readonly mergeQueue = this.queue.asReadonly();
  readonly loading = signal(false);
  readonly error = signal<string | null>(null);

  constructor() {
    inject(DestroyRef).onDestroy(() => this.scope?.destroy());
  }

  async load(rigId: string): Promise<void> {
    this.scope?.destroy();
    const scope = createEnvironmentInjector([], this.parentInjector, `rig ${rigId}`);
    this.scope = scope;
    this.rigId.set(rigId);
    this.info.set(null);
    this.agentList.set([]);
    this.allConvoys.set([]);
    this.queue.set([]);
    this.error.set(null);
    this.loading.set(true);
    try {
      const data = await this.gateway.request<{
        rig: RigInfo & { agents: RigAgent[]; mergeQueue: MergeQueueEntry[] };
        convoys: { edges: { node: RigConvoy }[] };
      }>(RIG, { id: rigId, first: RIG_CONVOYS });
      if (this.scope !== scope) return;
      const { agents, mergeQueue, ...rig } = data.rig;
      const convoys = data.convoys.edges.map((e) => e.node);
      this.info.set(rig);
      this.agentList.set(agents);
      this.queue.set(mergeQueue);
      this.allConvoys.set(convoys);
      this.follow(rigId, convoys, scope);
      this.followQueue(rigId, scope);
    } catch (error) {
      if (this.scope === scope) this.error.set(describe(error));
    } finally {
      if (this.scope === scope) this.loading.set(false);
    }
  }

  /**
   * Every decision after the newest one the list shows; with no convoy yet, only new ones,
   * as replaying the whole town's history would tell this rig nothing it does not show.
   */
  private follow(rigId: string, convoys: RigConvoy[], scope: EnvironmentInjector): void {
    let lastSequence: number | null = convoys.length > 0 ? Math.max(...convoys.map((c) => c.sequence)) : null;
    const readAgents = this.agentReader(rigId, scope);
    this.gateway.live<{ convoyChanged: { sequence: number; convoy: RigConvoy } }>(
      CONVOY_CHANGED,
      () => (lastSequence === null ? { id: rigId } : { id: rigId, afterSequence: lastSequence }),
      {
        next: ({ convoyChanged: change }) => {
          if (lastSequence !== null && change.sequence <= lastSequence) return;
          lastSequence = change.sequence;
          if (this.apply(change.convoy)) readAgents();
        },
        error: (error) => this.error.set(`Live updates stopped: ${error.message}`),
      },
      scope.get(DestroyRef),
    );
  }

  /**
   * Every change carries the whole queue, so a reconnect asks for nothing but the rig: its first
   * answer is the queue as it is by then.
   */
  private followQueue(rigId: string, scope: EnvironmentInjector): void {
    this.gateway.live<{ mergeQueueChanged: { entries: MergeQueueEntry[] } }>(
      QUEUE_CHANGED,
      () => ({ id: rigId }),
      {
        next: ({ mergeQueueChanged }) => this.queue.set(mergeQueueChanged.entries),
        error: (error) => this.error.set(`Live updates of the merge queue stopped: ${error.message}`),
      },
      scope.get(DestroyRef),
    );
  }

  /** Keeps the convoy when it holds a bead of the rig; says whether the rig was concerned. */
  private apply(convoy: RigConvoy): boolean {
    const mine = holdsBeadOn(convoy);
    const known = this.allConvoys().some((c) => c.id === convoy.id);
    if (!mine && !known) return false;
    this.allConvoys.update((list) => {
      const others = list.filter((c) => c.id !== convoy.id);
      if (!mine) return others;
      return known ? list.map((c) => (c.id === convoy.id ? convoy : c)) : [convoy, ...list];
    });
    return true;
  }

  /**
   * Reads the rig's agents again on demand, one read at a time: requests arriving meanwhile
   * ask for exactly one more read after it.
   */
  private agentReader(rigId: string, scope: EnvironmentInjector): () => void {
    let reading = false;
    let stale = false;
    const read = async () => {
      if (reading) {
        stale = true;
        return;
      }
      reading = true;
      do {
        stale = false;
        try {
          const { rig } = await this.gateway.request<{ rig: { agents: RigAgent[] } }>(AGENTS, { id: rigId });
          if (this.scope === scope) this.agentList.set(rig.agents);
        } catch {
          // The convoys stay live; the agents catch up on the next change.
        }
      } while (stale && this.scope === scope);
      reading = false;
    };
    return () => void read();
  }
}

function describe(error: unknown): string {
  if (error instanceof GatewayError && error.code === 'NOT_FOUND') {
    return 'This rig does not exist in your town: the link may be wrong or from another town.';
  }
  return error instanceof Error ? error.message : String(error);
}
