import { randomUUID } from 'node:crypto';
import {
  beadIdFor,
  DEFAULT_RIG_CONFIG,
  type AgentRef,
  type EventData,
  type EventType,
  type GastownEvent,
  type MergeMode,
} from '@gastown/contracts';
import { DEFAULT_PLAN_LIMITS, type PlanLimits } from './dispatch.planner';
import { DispatchState, type AppliedCommit } from './dispatch.state';

/**
 * Builds dispatcher states the way production does: events, in commits, folded by the real
 * DispatchState and convoy view. The events are those the convoy decider emits for each step.
 */
export const T0 = Date.parse('2026-01-01T09:00:00.000Z');
export const TOWN = '0b7a6c1e-3f2d-4e5a-9b8c-1d2e3f4a5b6c';
export const OTHER_TOWN = '0b7a6c1e-3f2d-4e5a-9b8c-ffffffffffff';
export const RIG_API = '11111111-1111-4111-8111-111111111111';
export const RIG_WEB = '22222222-2222-4222-8222-222222222222';
export const RIG_ELSEWHERE = '33333333-3333-4333-8333-333333333333';
export const CONVOY_A = 'aaaaaaaa-0000-4000-8000-000000000001';
export const CONVOY_B = 'bbbbbbbb-0000-4000-8000-000000000002';

export const LIMITS: PlanLimits = { ...DEFAULT_PLAN_LIMITS, maxAgentsPerTown: 16, retryBaseMs: 2_000, retryMaxMs: 60_000 };

export const bead = (convoyId: string, index: number) => beadIdFor(convoyId, index);
export const sha = (hex: string) => hex.repeat(40 / hex.length);
const iso = (ms: number) => new Date(ms).toISOString();

export interface TaskSpec {
  rigId?: string;
  dependsOn?: number[];
}

export interface SlingOptions {
  townId?: string;
  rigId?: string;
  mergeMode?: MergeMode;
  staged?: boolean;
  at?: number;
}

type Step = { [K in EventType]: { type: K; data: EventData<K> } }[EventType];

export class World {
  readonly state = new DispatchState();
  /** Every commit as it was applied, to replay one. */
  readonly commits: AppliedCommit[] = [];
  private seq = 0;
  private readonly towns = new Map<string, string>();

  rig(rigId: string, maxPolecats: number, townId = TOWN): this {
    this.commit(townId, null, [
      {
        type: 'RigRegistered',
        data: {
          rigId,
          name: `rig-${rigId.slice(0, 4)}`,
          gitUrl: '/srv/git/x.git',
          defaultBranch: 'main',
          config: { ...DEFAULT_RIG_CONFIG, maxPolecats },
        },
      },
    ]);
    return this;
  }

  /** A convoy whose beads without dependencies become ready at once (unless staged). */
  sling(convoyId: string, tasks: TaskSpec[], options: SlingOptions = {}): string[] {
    const townId = options.townId ?? TOWN;
    const rigOf = (t: TaskSpec) => t.rigId ?? options.rigId ?? RIG_API;
    const mergeMode = options.mergeMode ?? 'REVIEW_THEN_LAND';
    const rigs = [...new Set(tasks.map(rigOf))];
    const ids = tasks.map((_, i) => bead(convoyId, i));
    const steps: Step[] = [
      {
        type: 'ConvoyCreated',
        data: {
          title: `convoy ${convoyId.slice(0, 4)}`,
          slug: 'work',
          mergeMode,
          staged: options.staged ?? false,
          parallel: false,
          defaultRigId: rigs[0],
          maxAttempts: 3,
          maxLandingAttempts: 3,
          featureBranches:
            mergeMode === 'REVIEW_THEN_LAND' ? rigs.map((rigId) => ({ rigId, branch: `convoy/work/${rigId.slice(0, 4)}` })) : [],
        },
      },
      ...tasks.map(
        (t, index): Step => ({
          type: 'BeadCreated',
          data: {
            beadId: ids[index],
            index,
            title: `task ${index}`,
            body: '',
            rigId: rigOf(t),
            dependsOn: (t.dependsOn ?? []).map((d) => ids[d]),
          },
        }),
      ),
    ];
    const ready = ids.filter((_, i) => (tasks[i].dependsOn ?? []).length === 0);
    if (!options.staged && ready.length > 0) steps.push({ type: 'BeadsBecameReady', data: { beadIds: ready } });
    this.towns.set(convoyId, townId);
    this.commit(townId, convoyId, steps, options.at);
    return ids;
  }

  on(convoyId: string, steps: Step[], at = T0): this {
    this.commit(this.towns.get(convoyId) ?? TOWN, convoyId, steps, at);
    return this;
  }

  dispatched(convoyId: string, beadId: string, agent: AgentRef, at = T0): this {
    const attempt = (this.state.convoys.get(convoyId)?.view.beads.get(beadId)?.attempt ?? 0) + 1;
    const branch = `gt/${agent.name}/${beadId.slice(0, 8)}`;
    return this.on(convoyId, [{ type: 'BeadDispatched', data: { beadId, attempt, agent, branch, baseBranch: 'main', previousReason: null } }], at);
  }

  submitted(convoyId: string, beadId: string, at = T0): this {
    const b = this.beadView(convoyId, beadId);
    const data = { beadId, attempt: b.attempt, branch: b.branch ?? 'x', headCommit: sha('ab'), agentResult: null };
    return this.on(convoyId, [{ type: 'BeadSubmitted', data }], at);
  }

  /** Merged, and its dependents whose blockers are now all CLOSED become ready. */
  merged(convoyId: string, beadId: string, newlyReady: string[] = [], at = T0): this {
    const b = this.beadView(convoyId, beadId);
    const steps: Step[] = [{ type: 'BeadMerged', data: { beadId, attempt: b.attempt, mergeCommit: sha('cd'), targetBranch: 'main', batchId: null } }];
    if (newlyReady.length > 0) steps.push({ type: 'BeadsBecameReady', data: { beadIds: newlyReady } });
    return this.on(convoyId, steps, at);
  }

  /** The attempt failed and the bead is ready again, as the decider records it. */
  attemptFailed(convoyId: string, beadId: string, at: number): this {
    const { attempt } = this.beadView(convoyId, beadId);
    return this.on(
      convoyId,
      [
        { type: 'BeadAttemptFailed', data: { beadId, attempt, reason: 'tests failed', agentResult: null } },
        { type: 'BeadsBecameReady', data: { beadIds: [beadId] } },
      ],
      at,
    );
  }

  beadView(convoyId: string, beadId: string) {
    const b = this.state.convoys.get(convoyId)?.view.beads.get(beadId);
    if (!b) throw new Error(`no bead ${beadId} in convoy ${convoyId}`);
    return b;
  }

  commit(townId: string, convoyId: string | null, steps: Step[], at = T0): void {
    const commandId = randomUUID();
    const events = steps.map(
      (step) =>
        ({
          ...step,
          eventId: randomUUID(),
          schemaVersion: 1,
          townId,
          convoyId,
          commandId,
          causationId: null,
          correlationId: convoyId ?? townId,
          actor: { kind: 'service', id: 'fixture' },
          occurredAt: iso(at),
        }) as GastownEvent,
    );
    const subject = convoyId ? `gt.evt.${townId}.convoy.${convoyId}` : `gt.evt.${townId}.town`;
    const commit = { subject, seq: ++this.seq, events };
    this.commits.push(commit);
    this.state.apply(commit);
  }
}
