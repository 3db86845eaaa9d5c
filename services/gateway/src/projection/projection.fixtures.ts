import { createHash, randomUUID } from 'node:crypto';
import type { Bus, EventStore } from '@gastown/bus';
import type { DataSource } from 'typeorm';
import {
  beadIdFor,
  DEFAULT_RIG_CONFIG,
  latestSchemaVersion,
  names,
  type AgentResult,
  type EventData,
  type EventType,
  type GastownEvent,
  type MergeMode,
} from '@gastown/contracts';

/** Event times advance one second per commit from a fixed origin, so rebuilds compare exactly. */
const ORIGIN = Date.UTC(2026, 0, 1);

export interface FixtureCommit {
  readonly subject: string;
  readonly commitId: string;
  readonly events: GastownEvent[];
}

export interface TaskSpec {
  title?: string;
  /** Indices of earlier tasks this one depends on. */
  dependsOn?: number[];
  rigId?: string;
}

export function sha(seed: string): string {
  return createHash('sha1').update(seed).digest('hex');
}

/** Hands out event times for one suite; every commit gets the next second. */
export class FixtureClock {
  private tick = 0;
  next(): string {
    return new Date(ORIGIN + this.tick++ * 1000).toISOString();
  }
}

abstract class AggregateFixture {
  constructor(
    readonly namespace: string,
    readonly townId: string,
    protected readonly clock: FixtureClock,
  ) {}

  abstract readonly subject: string;
  protected abstract readonly convoyId: string | null;

  /** One decision: every event shares the commit's command id and time, as a decider writes them. */
  commit(...events: { type: EventType; data: unknown }[]): FixtureCommit {
    const commitId = `cmd-${randomUUID()}`;
    const occurredAt = this.clock.next();
    return {
      subject: this.subject,
      commitId,
      events: events.map(
        (e) =>
          ({
            eventId: randomUUID(),
            schemaVersion: latestSchemaVersion(e.type),
            townId: this.townId,
            convoyId: this.convoyId,
            commandId: commitId,
            causationId: null,
            correlationId: commitId,
            actor: { kind: 'user', id: 'fixture' },
            occurredAt,
            type: e.type,
            data: e.data,
          }) as GastownEvent,
      ),
    };
  }
}

export function event<K extends EventType>(type: K, data: EventData<K>): { type: K; data: EventData<K> } {
  return { type, data };
}

export class TownFixture extends AggregateFixture {
  readonly subject: string;
  protected readonly convoyId = null;

  constructor(namespace: string, clock = new FixtureClock(), townId: string = randomUUID()) {
    super(namespace, townId, clock);
    this.subject = names(namespace).townEvents(townId);
  }

  created(name = 'fixture town'): FixtureCommit {
    return this.commit(event('TownCreated', { name, tokenHash: sha(this.townId).padEnd(64, '0') }));
  }

  rigRegistered(rigId: string, name: string): FixtureCommit {
    return this.commit(
      event('RigRegistered', { rigId, name, gitUrl: `file:///repos/${name}.git`, defaultBranch: 'main', config: DEFAULT_RIG_CONFIG }),
    );
  }

  convoy(options: { defaultRigId: string; convoyId?: string }): ConvoyFixture {
    return new ConvoyFixture(this.namespace, this.townId, this.clock, options.defaultRigId, options.convoyId);
  }

  webhookAdded(webhookId: string, url: string): FixtureCommit {
    const secret = { alg: 'A256GCM' as const, keyId: sha(webhookId).slice(0, 16), nonce: sha(webhookId).slice(16, 32), sealed: sha(webhookId) };
    return this.commit(event('WebhookAdded', { webhookId, url, events: ['CONVOY_LANDED', 'CONVOY_FAILED'], secret }));
  }

  webhookRemoved(webhookId: string): FixtureCommit {
    return this.commit(event('WebhookRemoved', { webhookId }));
  }
}

export class ConvoyFixture extends AggregateFixture {
  readonly subject: string;
  readonly convoyId: string;
  beadIds: string[] = [];

  constructor(
    namespace: string,
    townId: string,
    clock: FixtureClock,
    readonly defaultRigId: string,
    convoyId: string = randomUUID(),
  ) {
    super(namespace, townId, clock);
    this.convoyId = convoyId;
    this.subject = names(namespace).convoyEvents(townId, convoyId);
  }

  bead(index: number): string {
    return this.beadIds[index];
  }

  /** The creating decision: the convoy, every bead, and (when not staged) the roots as ready. */
  created(
    tasks: TaskSpec[],
    options: { staged?: boolean; mergeMode?: MergeMode; title?: string; bodyBytes?: number } = {},
  ): FixtureCommit {
    const mergeMode = options.mergeMode ?? 'REVIEW_THEN_LAND';
    this.beadIds = tasks.map((_, i) => beadIdFor(this.convoyId, i));
    const rigs = [...new Set([this.defaultRigId, ...tasks.map((t) => t.rigId ?? this.defaultRigId)])];
    const body = 'x'.repeat(options.bodyBytes ?? 16);
    const roots = tasks.flatMap((t, i) => ((t.dependsOn ?? []).length === 0 ? [this.beadIds[i]] : []));
    return this.commit(
      event('ConvoyCreated', {
        title: options.title ?? 'fixture convoy',
        slug: `fixture-${this.convoyId.slice(0, 8)}`,
        mergeMode,
        staged: options.staged ?? false,
        parallel: false,
        defaultRigId: this.defaultRigId,
        maxAttempts: 3,
        maxLandingAttempts: 3,
        featureBranches:
          mergeMode === 'REVIEW_THEN_LAND'
            ? rigs.map((rigId) => ({ rigId, branch: `convoy/${this.convoyId.slice(0, 8)}` }))
            : [],
      }),
      ...tasks.map((t, i) =>
        event('BeadCreated', {
          beadId: this.beadIds[i],
          index: i,
          title: t.title ?? `task ${i}`,
          body,
          rigId: t.rigId ?? this.defaultRigId,
          dependsOn: (t.dependsOn ?? []).map((d) => this.beadIds[d]),
        }),
      ),
      ...(options.staged || roots.length === 0 ? [] : [event('BeadsBecameReady', { beadIds: roots })]),
    );
  }

  started(readyIndices: number[]): FixtureCommit {
    return this.commit(
      event('ConvoyStarted', {}),
      event('BeadsBecameReady', { beadIds: readyIndices.map((i) => this.bead(i)) }),
    );
  }

  dispatched(index: number, attempt = 1, previousReason: string | null = null): FixtureCommit {
    return this.commit(
      event('BeadDispatched', {
        beadId: this.bead(index),
        attempt,
        agent: { id: `agent-${index}-${attempt}`, name: `polecat-${index}` },
        branch: `bead/${this.bead(index).slice(0, 8)}-${attempt}`,
        baseBranch: `convoy/${this.convoyId.slice(0, 8)}`,
        previousReason,
      }),
    );
  }

  submitted(index: number, attempt = 1, agentResult: AgentResult | null = null): FixtureCommit {
    return this.commit(
      event('BeadStarted', { beadId: this.bead(index), attempt }),
      event('BeadSubmitted', {
        beadId: this.bead(index),
        attempt,
        branch: `bead/${this.bead(index).slice(0, 8)}-${attempt}`,
        headCommit: sha(`head ${this.bead(index)} ${attempt}`),
        agentResult,
      }),
    );
  }

  /** The attempt failed and the bead is ready for the next one, as the decider records it. */
  attemptFailed(index: number, attempt: number, reason: string, agentResult: AgentResult | null = null): FixtureCommit {
    return this.commit(
      event('BeadAttemptFailed', { beadId: this.bead(index), attempt, reason, agentResult }),
      event('BeadsBecameReady', { beadIds: [this.bead(index)] }),
    );
  }

  /** A merge closes the bead and, in the same decision, readies the dependents it unblocked. */
  merged(index: number, unblocked: number[] = [], attempt = 1): FixtureCommit {
    return this.commit(
      event('BeadMerged', {
        beadId: this.bead(index),
        attempt,
        mergeCommit: sha(`merge ${this.bead(index)}`),
        targetBranch: `convoy/${this.convoyId.slice(0, 8)}`,
        batchId: null,
      }),
      ...(unblocked.length ? [event('BeadsBecameReady', { beadIds: unblocked.map((i) => this.bead(i)) })] : []),
    );
  }

  failed(index: number, held: { index: number; by: number[] }[], reason = 'tests keep failing'): FixtureCommit {
    return this.commit(
      event('BeadFailed', { beadId: this.bead(index), attempt: 3, reason, agentResult: null }),
      event('BeadsHeld', {
        beads: held.map((h) => ({
          beadId: this.bead(h.index),
          reason: `blocked by failed task ${index}`,
          heldBy: h.by.map((b) => this.bead(b)),
        })),
      }),
    );
  }

  retried(index: number, released: number[]): FixtureCommit {
    return this.commit(
      event('BeadRetried', { beadId: this.bead(index) }),
      event('BeadsReleased', { beadIds: released.map((i) => this.bead(i)) }),
      event('BeadsBecameReady', { beadIds: [this.bead(index)] }),
    );
  }

  reworkRequested(index: number, reason: string, attempt = 1): FixtureCommit {
    return this.commit(
      event('BeadReworkRequested', { beadId: this.bead(index), attempt, reason }),
      event('BeadsBecameReady', { beadIds: [this.bead(index)] }),
    );
  }

  landed(rigIds: string[] = [this.defaultRigId]): FixtureCommit {
    return this.commit(
      event('ConvoyReadyToLand', {}),
      event('ConvoyLandingStarted', { attempt: 1 }),
      ...rigIds.map((rigId) =>
        event('RigLanded', { rigId, commit: sha(`land ${this.convoyId} ${rigId}`), targetBranch: 'main' }),
      ),
      event('ConvoyLanded', { landings: rigIds.map((rigId) => ({ rigId, commit: sha(`land ${this.convoyId} ${rigId}`) })) }),
    );
  }

  cancelled(reason: string, cancelIndices: number[]): FixtureCommit {
    return this.commit(
      event('ConvoyCancelled', { reason, stopAgents: [], dropReviews: [], dropLanding: false }),
      ...cancelIndices.map((i) => event('BeadCancelled', { beadId: this.bead(i), previousStatus: 'OPEN' })),
      ...(cancelIndices.length
        ? [event('BeadsBecameUnready', { beadIds: cancelIndices.map((i) => this.bead(i)) })]
        : []),
    );
  }
}

/** Appends fixture commits in order, tracking each subject's last sequence as a decider would. */
export class FixtureWriter {
  private readonly last = new Map<string, number>();

  constructor(
    private readonly store: EventStore,
    private readonly bus: Bus,
  ) {}

  async append(commit: FixtureCommit): Promise<number> {
    const expectedSeq = this.last.get(commit.subject) ?? 0;
    const { seq } = await this.store.append(commit.subject, { commitId: commit.commitId, expectedSeq, events: commit.events });
    this.last.set(commit.subject, seq);
    return seq;
  }

  async appendAll(commits: FixtureCommit[]): Promise<number[]> {
    const seqs: number[] = [];
    for (const commit of commits) seqs.push(await this.append(commit));
    return seqs;
  }

  /** Publishes events the store would refuse (e.g. a version this build cannot read), as a newer writer would. */
  async publishUnchecked(commit: { subject: string; commitId: string; events: unknown[] }): Promise<number> {
    const prevSeq = this.last.get(commit.subject) ?? 0;
    const body = { v: 1, commitId: commit.commitId, prevSeq, eventCount: commit.events.length, events: commit.events };
    const ack = await this.bus.js.publish(commit.subject, JSON.stringify(body), {
      msgID: `${commit.subject}:${commit.commitId}`,
      expect: { lastSubjectSequence: prevSeq },
    });
    this.last.set(commit.subject, ack.seq);
    return ack.seq;
  }

  lastSeq(subject: string): number {
    return this.last.get(subject) ?? 0;
  }
}

const SNAPSHOT_QUERIES: Record<string, string> = {
  towns: 'SELECT * FROM towns ORDER BY id',
  rigs: 'SELECT * FROM rigs ORDER BY id',
  convoys: 'SELECT * FROM convoys ORDER BY id',
  beads: 'SELECT * FROM beads ORDER BY id',
  bead_dependencies: 'SELECT * FROM bead_dependencies ORDER BY bead_id, depends_on_bead_id',
  bead_attempts: 'SELECT * FROM bead_attempts ORDER BY bead_id, number',
  merge_queue: 'SELECT * FROM merge_queue ORDER BY bead_id',
  agents: 'SELECT * FROM agents ORDER BY town_id, agent_id',
  convoy_events: 'SELECT * FROM convoy_events ORDER BY seq, idx',
  webhooks: 'SELECT * FROM webhooks ORDER BY id',
  projection_checkpoints: 'SELECT * FROM projection_checkpoints ORDER BY subject',
  projection_holds: 'SELECT subject, seq, reason FROM projection_holds ORDER BY subject',
};

/** Every read-model row in a stable order, for comparing a live projection with a rebuild. */
export async function snapshotReadModels(dataSource: DataSource): Promise<Record<string, unknown[]>> {
  const snapshot: Record<string, unknown[]> = {};
  for (const [table, sql] of Object.entries(SNAPSHOT_QUERIES)) snapshot[table] = await dataSource.query(sql);
  return snapshot;
}
