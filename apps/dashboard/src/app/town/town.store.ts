import { DestroyRef, Injectable, computed, inject, signal } from '@angular/core';
import { GatewayService } from '../gateway/gateway.service';
import type { AgentStatus, ConvoyProgress, ConvoyStatus, MergeMode } from '../gateway/gateway.types';

export interface ConvoySummary {
  id: string;
  title: string;
  status: ConvoyStatus;
  mergeMode: MergeMode;
  staged: boolean;
  featureBranch: string | null;
  createdAt: string;
  updatedAt: string;
  landedAt: string | null;
  landedCommit: string | null;
  sequence: number;
  progress: ConvoyProgress;
}

export interface RigSummary {
  id: string;
  name: string;
  defaultBranch: string;
  config: { maxPolecats: number };
}

export interface AgentAtWork {
  id: string;
  name: string;
  rigId: string;
  status: AgentStatus;
  lastHeartbeatAt: string | null;
  currentBead: { id: string; title: string; convoyId: string } | null;
}

const CONVOY_FIELDS = `
  id title status mergeMode staged featureBranch createdAt updatedAt landedAt landedCommit sequence
  progress { total open blocked inProgress inReview closed failed cancelled }
`;

const OVERVIEW = `
  query TownOverview($first: Int!) {
    rigs { id name defaultBranch config { maxPolecats } }
    convoys(first: $first) { totalCount edges { node { ${CONVOY_FIELDS} } } }
  }
`;

const AGENTS = `
  query TownAgents {
    agents { id name rigId status lastHeartbeatAt currentBead { id title convoyId } }
  }
`;

const CONVOY_CHANGED = `
  subscription TownConvoys($afterSequence: Float) {
    convoyChanged(afterSequence: $afterSequence) { sequence convoy { ${CONVOY_FIELDS} } }
  }
`;

/** How many convoys the overview shows; older ones are one filter away in the API and the CLI. */
export const OVERVIEW_SIZE = 50;

const FINISHED: ReadonlySet<ConvoyStatus> = new Set(['LANDED', 'FAILED', 'CANCELLED']);

/**
 * The town at a glance: its rigs, the agents at work and its convoys, kept current by the
 * town-wide convoy subscription. Agents have no stream of their own, so they are read again
 * when a convoy changes, which is when an agent starts or ends work.
 */
@Injectable()
export class TownStore {
  private readonly gateway = inject(GatewayService);
  private readonly destroyRef = inject(DestroyRef);
  private readonly convoys = signal<ConvoySummary[]>([]);
  private lastSequence = 0;
  private agentsReading: Promise<void> | null = null;
  private agentsStale = false;

  readonly rigs = signal<RigSummary[]>([]);
  readonly agents = signal<AgentAtWork[]>([]);
  readonly totalConvoys = signal(0);
  readonly loading = signal(true);
  readonly error = signal<string | null>(null);

  readonly active = computed(() => this.convoys().filter((c) => !FINISHED.has(c.status)).sort(newest('createdAt')));
  readonly recent = computed(() => this.convoys().filter((c) => FINISHED.has(c.status)).sort(newest('updatedAt')));
  readonly working = computed(() => this.agents().filter((a) => a.status === 'WORKING'));
  readonly rigNames = computed(() => new Map(this.rigs().map((r) => [r.id, r.name])));

  async load(): Promise<void> {
    this.loading.set(true);
    try {
      const data = await this.gateway.request<{
        rigs: RigSummary[];
        convoys: { totalCount: number; edges: { node: ConvoySummary }[] };
      }>(OVERVIEW, { first: OVERVIEW_SIZE });
      const convoys = data.convoys.edges.map((e) => e.node);
      this.rigs.set(data.rigs);
      this.convoys.set(convoys);
      this.totalConvoys.set(data.convoys.totalCount);
      this.lastSequence = Math.max(0, ...convoys.map((c) => c.sequence));
      this.error.set(null);
      await this.readAgents();
      this.follow();
    } catch (error) {
      this.error.set(error instanceof Error ? error.message : String(error));
    } finally {
      this.loading.set(false);
    }
  }

  /**
   * Every decision after the newest one the list shows: the projector applies decisions in
   * stream order, so nothing at or below that sequence can be missing from what was read.
   */
  private follow(): void {
    this.gateway.live<{ convoyChanged: { sequence: number; convoy: ConvoySummary } }>(
      CONVOY_CHANGED,
      () => ({ afterSequence: this.lastSequence }),
      {
        next: ({ convoyChanged: change }) => {
          if (change.sequence <= this.lastSequence) return;
          this.lastSequence = change.sequence;
          this.upsert(change.convoy);
          void this.readAgents();
        },
        error: (error) => this.error.set(error.message),
      },
      this.destroyRef,
    );
  }

  private upsert(convoy: ConvoySummary): void {
    const list = this.convoys();
    if (list.some((c) => c.id === convoy.id)) {
      this.convoys.set(list.map((c) => (c.id === convoy.id ? convoy : c)));
      return;
    }
    this.convoys.set([convoy, ...list]);
    this.totalConvoys.update((n) => n + 1);
  }

  /** One read at a time; changes arriving meanwhile ask for exactly one more read after it. */
  private readAgents(): Promise<void> {
    if (this.agentsReading) {
      this.agentsStale = true;
      return this.agentsReading;
    }
    this.agentsReading = (async () => {
      do {
        this.agentsStale = false;
        try {
          const { agents } = await this.gateway.request<{ agents: AgentAtWork[] }>(AGENTS);
          this.agents.set(agents);
        } catch {
          // The convoy list stays live; agents catch up on the next change.
        }
      } while (this.agentsStale);
      this.agentsReading = null;
    })();
    return this.agentsReading;
  }
}

function newest(field: 'createdAt' | 'updatedAt') {
  return (a: ConvoySummary, b: ConvoySummary) => b[field].localeCompare(a[field]);
}
