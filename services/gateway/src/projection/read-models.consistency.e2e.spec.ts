import { createHash, randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { CommandClient, EventStore, type Bus, type StoredCommit } from '@gastown/bus';
import { CommandReply, names, type MergeMode } from '@gastown/contracts';
import { DataSource } from 'typeorm';
import { BUS } from '../bus/bus.module';
import { GatewayHarness, type GqlResponse, type TestTown } from '../gateway.fixtures';
import { snapshotReadModels } from './projection.fixtures';
import { rebuildReadModels } from './projection.rebuild';
import { ReadModelWaiter } from './read-model.waiter';

/**
 * What a GraphQL client reads must always be what the events say. Random plans are driven by
 * random command sequences through the real convoy service; after every step the API's view of
 * the convoy is compared with a recount folded here, naively, from the convoy's own events.
 * The recount deliberately shares no code with the decider or the projector: it is a third
 * opinion, so a bug would have to be made twice, the same way, to slip through.
 *
 * Run with GT_PROPERTY_SEED=<n> to explore other seeds; the default keeps CI reproducible.
 */
const SEED = Number(process.env['GT_PROPERTY_SEED'] ?? 20_260_101);
/** About 20 s on two cores (each step is a command, a GraphQL read and a recount), leaving headroom under 40 s. */
const NUM_RUNS = Number(process.env['GT_PROPERTY_RUNS'] ?? 40);
const REFUSALS = ['CONFLICT', 'BAD_USER_INPUT', 'NOT_FOUND'];

const CONVOY_VIEW = `query ($id: ID!) { convoy(id: $id) {
  status
  landings { rigId commit }
  progress { total open inProgress inReview closed failed cancelled blocked }
  beads { id status ready blocked blockedReason attemptCount assignee branch lastReason headCommit mergeCommit
    attempts { number outcome exitCode reason } }
  dependencyEdges { beadId dependsOnBeadId }
  waves
} }`;

interface Progress {
  total: number;
  open: number;
  inProgress: number;
  inReview: number;
  closed: number;
  failed: number;
  cancelled: number;
  blocked: number;
}
interface BeadView {
  id: string;
  status: string;
  ready: boolean;
  blocked: boolean;
  blockedReason: string | null;
  attemptCount: number;
  attempts: AttemptView[];
  assignee: string | null;
  branch: string | null;
  lastReason: string | null;
  headCommit: string | null;
  mergeCommit: string | null;
}
interface AttemptView {
  number: number;
  outcome: string;
  exitCode: number | null;
  reason: string | null;
}
interface Edge {
  beadId: string;
  dependsOnBeadId: string;
}
interface Landing {
  rigId: string;
  /** Null while the rig has not landed. */
  commit: string | null;
}
interface ConvoyView {
  status: string;
  landings: Landing[];
  progress: Progress;
  beads: BeadView[];
  dependencyEdges: Edge[];
  waves: string[][];
}

// ---------------------------------------------------------------------------------------------
// The independent recount
// ---------------------------------------------------------------------------------------------

interface CountedBead extends Omit<BeadView, 'ready' | 'blocked' | 'blockedReason'> {
  index: number;
}

/**
 * Folds the convoy's events in stream order into what the API should show, one event at a time
 * and in the plainest terms: a bead's status is set by the last event that changes it, the ready
 * set is what BeadsBecameReady/Unready announced minus dispatched beads, the held set is what
 * BeadsHeld/Released announced.
 */
function recount(commits: readonly StoredCommit[]): Omit<ConvoyView, 'waves'> {
  let status = 'NONE';
  /**
   * Every rig's landing record, never reset by a new attempt: its commit once landed, null when a
   * landing failed or was aborted on it; ConvoyLanded states the final set. The API lists the
   * convoy's feature-branch rigs first (PENDING without a record), then any other recorded rig.
   */
  let landings = new Map<string, string | null>();
  let featureRigs: string[] = [];
  const beads = new Map<string, CountedBead>();
  const ready = new Set<string>();
  /** Held bead → the reason its latest BeadsHeld gave. */
  const held = new Map<string, string>();
  const edges = new Map<string, Edge>();
  const edgeKey = (e: Edge) => `${e.beadId}>${e.dependsOnBeadId}`;
  const bead = (id: string): CountedBead => {
    const found = beads.get(id);
    if (!found) throw new Error(`an event names bead ${id}, which no BeadCreated announced`);
    return found;
  };
  const attemptOf = (ref: { beadId: string; attempt: number }) => bead(ref.beadId).attempts.find((a) => a.number === ref.attempt);
  /** An attempt's outcome, with the reason and exit code when the event tells them. */
  const endAttempt = (ref: { beadId: string; attempt: number }, outcome: string, reason: string | null = null, exitCode: number | null = null) => {
    const attempt = attemptOf(ref);
    if (!attempt) throw new Error(`an event names attempt ${ref.attempt} of bead ${ref.beadId}, which no BeadDispatched announced`);
    Object.assign(attempt, { outcome, reason: reason ?? attempt.reason, exitCode: exitCode ?? attempt.exitCode });
  };

  for (const event of commits.flatMap((c) => c.events)) {
    switch (event.type) {
      case 'ConvoyCreated':
        status = event.data.staged ? 'STAGED' : 'ACTIVE';
        featureRigs = event.data.featureBranches.map((b) => b.rigId);
        break;
      case 'ConvoyStarted':
        status = 'ACTIVE';
        break;
      case 'ConvoyReadyToLand':
        status = 'READY_TO_LAND';
        break;
      case 'ConvoyLandingStarted':
        // A rig that landed stays landed: its target holds the landing whatever the others do.
        status = 'LANDING';
        break;
      case 'ConvoyLandingFailed':
        status = 'READY_TO_LAND';
        if (event.data.rigId) {
          landings.delete(event.data.rigId);
          landings.set(event.data.rigId, null);
        }
        break;
      case 'RigLandingAborted':
        landings.delete(event.data.rigId);
        landings.set(event.data.rigId, null);
        break;
      case 'ConvoyLanded':
        status = 'LANDED';
        landings = new Map(event.data.landings.map((l) => [l.rigId, l.commit]));
        break;
      case 'ConvoyFailed':
        status = 'FAILED';
        break;
      case 'ConvoyReactivated':
        status = event.data.status;
        break;
      case 'ConvoyCancelled':
        status = 'CANCELLED';
        break;
      case 'BeadCreated': {
        const d = event.data;
        beads.set(d.beadId, {
          id: d.beadId,
          index: d.index,
          status: 'OPEN',
          attemptCount: 0,
          attempts: [],
          assignee: null,
          branch: null,
          lastReason: null,
          headCommit: null,
          mergeCommit: null,
        });
        for (const on of d.dependsOn) edges.set(edgeKey({ beadId: d.beadId, dependsOnBeadId: on }), { beadId: d.beadId, dependsOnBeadId: on });
        break;
      }
      case 'DependencyAdded':
        edges.set(edgeKey(event.data), { beadId: event.data.beadId, dependsOnBeadId: event.data.dependsOnBeadId });
        break;
      case 'DependencyRemoved':
        edges.delete(edgeKey(event.data));
        break;
      case 'BeadsBecameReady':
        event.data.beadIds.forEach((id) => ready.add(id));
        break;
      case 'BeadsBecameUnready':
        event.data.beadIds.forEach((id) => ready.delete(id));
        break;
      case 'BeadsHeld':
        event.data.beads.forEach((h) => held.set(h.beadId, h.reason));
        break;
      case 'BeadsReleased':
        event.data.beadIds.forEach((id) => held.delete(id));
        break;
      case 'BeadDispatched': {
        // A dispatch takes the bead out of the ready set without an event of its own.
        ready.delete(event.data.beadId);
        const dispatched = bead(event.data.beadId);
        Object.assign(dispatched, {
          status: 'IN_PROGRESS',
          attemptCount: event.data.attempt,
          assignee: event.data.agent.name,
          branch: event.data.branch,
        });
        dispatched.attempts.push({ number: event.data.attempt, outcome: 'RUNNING', exitCode: null, reason: null });
        break;
      }
      case 'BeadStarted':
        break;
      case 'BeadSubmitted':
        Object.assign(bead(event.data.beadId), { status: 'IN_REVIEW', branch: event.data.branch, headCommit: event.data.headCommit });
        endAttempt(event.data, 'SUBMITTED', null, event.data.agentResult?.exitCode ?? null);
        break;
      case 'BeadMerged':
        Object.assign(bead(event.data.beadId), { status: 'CLOSED', mergeCommit: event.data.mergeCommit });
        endAttempt(event.data, 'MERGED');
        break;
      case 'BeadReworkRequested':
      case 'BeadAttemptFailed':
      case 'BeadAgentLost':
        // The attempt is over: nobody works on the bead until the next dispatch names an agent.
        Object.assign(bead(event.data.beadId), { status: 'OPEN', assignee: null, lastReason: event.data.reason });
        endAttempt(
          event.data,
          event.type === 'BeadReworkRequested' ? 'REWORK' : event.type === 'BeadAgentLost' ? 'LOST' : 'FAILED',
          event.data.reason,
          event.type === 'BeadAttemptFailed' ? (event.data.agentResult?.exitCode ?? null) : null,
        );
        break;
      case 'BeadFailed':
        Object.assign(bead(event.data.beadId), { status: 'FAILED', assignee: null, lastReason: event.data.reason });
        // Only an attempt still running fails with the bead; one that was lost or sent back keeps its outcome.
        if (attemptOf(event.data)?.outcome === 'RUNNING') endAttempt(event.data, 'FAILED', event.data.reason, event.data.agentResult?.exitCode ?? null);
        break;
      case 'BeadRetried':
        bead(event.data.beadId).status = 'OPEN';
        break;
      case 'BeadCancelled':
        bead(event.data.beadId).status = 'CANCELLED';
        for (const attempt of bead(event.data.beadId).attempts) {
          if (attempt.outcome === 'RUNNING' || attempt.outcome === 'SUBMITTED') attempt.outcome = 'CANCELLED';
        }
        break;
      case 'RigLanded':
        // A rig's landing replaces any earlier one of the same rig and moves to the end.
        landings.delete(event.data.rigId);
        landings.set(event.data.rigId, event.data.commit);
        break;
      case 'TownCreated':
      case 'RigRegistered':
        break;
    }
  }

  const ordered = [...beads.values()].sort((a, b) => a.index - b.index);
  const count = (test: (b: CountedBead) => boolean) => ordered.filter(test).length;
  const isOpen = (b: CountedBead) => b.status === 'OPEN';
  return {
    status,
    landings: [...new Set([...featureRigs, ...landings.keys()])].map((rigId) => ({ rigId, commit: landings.get(rigId) ?? null })),
    progress: {
      total: ordered.length,
      open: count((b) => isOpen(b) && !held.has(b.id)),
      inProgress: count((b) => b.status === 'IN_PROGRESS'),
      inReview: count((b) => b.status === 'IN_REVIEW'),
      closed: count((b) => b.status === 'CLOSED'),
      failed: count((b) => b.status === 'FAILED'),
      cancelled: count((b) => b.status === 'CANCELLED'),
      blocked: count((b) => isOpen(b) && held.has(b.id)),
    },
    beads: ordered.map(({ index: _index, ...b }) => ({
      ...b,
      ready: ready.has(b.id),
      blocked: held.has(b.id),
      blockedReason: held.get(b.id) ?? null,
    })),
    dependencyEdges: sortEdges([...edges.values()]),
  };
}

function sortEdges(edges: readonly Edge[]): Edge[] {
  const key = (e: Edge) => `${e.beadId} ${e.dependsOnBeadId}`;
  return [...edges].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}

// ---------------------------------------------------------------------------------------------
// Scenarios
// ---------------------------------------------------------------------------------------------

interface Plan {
  tasks: { title: string; rig: number; dependsOn: number[] }[];
  defaultRig: number;
  mergeMode: MergeMode;
  staged: boolean;
  parallel: boolean;
}

/** Random DAGs of 2–12 tasks: each task depends on lower positions, then positions are shuffled. */
const planArb: fc.Arbitrary<Plan> = fc
  .integer({ min: 2, max: 12 })
  .chain((n) =>
    fc.record({
      deps: fc.array(fc.array(fc.nat(), { maxLength: 3 }), { minLength: n, maxLength: n }),
      order: fc.shuffledSubarray([...Array(n).keys()], { minLength: n, maxLength: n }),
      rigs: fc.array(fc.nat({ max: 1 }), { minLength: n, maxLength: n }),
      defaultRig: fc.nat({ max: 1 }),
      mergeMode: fc.constantFrom<MergeMode>('REVIEW_THEN_LAND', 'REVIEW_AND_MERGE'),
      staged: fc.boolean(),
      parallel: fc.boolean(),
    }),
  )
  .map(({ deps, order, rigs, defaultRig, mergeMode, staged, parallel }) => {
    const tasks: Plan['tasks'] = deps.map(() => ({ title: '', rig: 0, dependsOn: [] }));
    deps.forEach((ds, i) => {
      const dependsOn = i === 0 ? [] : [...new Set(ds.map((d) => order[d % i]))];
      tasks[order[i]] = { title: `task ${order[i]}`, rig: rigs[i], dependsOn };
    });
    // The decider refuses flat multi-task plans unless they are declared parallel.
    const flat = tasks.every((t) => t.dependsOn.length === 0);
    return { tasks, defaultRig, mergeMode, staged, parallel: parallel || flat };
  });

interface Step {
  /** Which command, among those the state admits (or among all of them for an implausible step). */
  choice: number;
  /** Chooses the bead (or edge) among the candidates. */
  pick: number;
  /** Chooses a second bead or a rig. */
  other: number;
  /** Mostly a command that fits the state the API shows; otherwise aimed at any bead, often refused. */
  plausible: boolean;
  /** Small variations: stale attempts, unrecoverable failures, wrong branches, which landing commit. */
  variant: number;
}

// Small ranges (still far above the weights' sum and the number of beads or edges) shrink quickly.
const stepArb: fc.Arbitrary<Step> = fc.record({
  choice: fc.nat({ max: 999 }),
  pick: fc.nat({ max: 99 }),
  other: fc.nat({ max: 99 }),
  plausible: fc.oneof({ weight: 5, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }),
  variant: fc.nat({ max: 11 }),
});

const sha1 = (seed: string) => createHash('sha1').update(seed).digest('hex');
const AGENT_RESULT = { signal: null, timedOut: false, durationMs: 25, outputTail: 'the end of the output\n' };
const pickFrom = <T>(items: readonly T[], n: number): T | undefined => (items.length > 0 ? items[n % items.length] : undefined);

type Outcome = { accepted: true; appended: boolean } | { accepted: false; code: string };

interface SentCommand {
  payload: Record<string, unknown>;
  appended: boolean;
}

/** One scenario's convoy and what the test knows about it beyond the API (as a dispatcher would). */
interface Scenario {
  convoyId: string;
  subject: string;
  view: ConvoyView;
  dispatches: Map<string, { branch: string; agentId: string }>;
  landingAttempt: number;
  lastCommand: SentCommand | null;
}

const has = (s: Scenario, ...statuses: string[]) => s.view.beads.some((b) => statuses.includes(b.status));
const terminal = (s: Scenario) => s.view.status === 'LANDED' || s.view.status === 'CANCELLED';
const editable = (s: Scenario) => s.view.status === 'STAGED' || s.view.status === 'ACTIVE';

/**
 * Every command the scenarios send, how often, and when it is plausible given what the API shows.
 * Forward moves outweigh setbacks so that convoys also reach landing; closing is rare because it
 * ends the convoy's story.
 */
const OPS = {
  startConvoy: { weight: 20, plausible: (s) => s.view.status === 'STAGED' },
  dispatch: { weight: 60, plausible: (s) => s.view.beads.some((b) => b.ready) },
  markStarted: { weight: 15, plausible: (s) => has(s, 'IN_PROGRESS') },
  submit: { weight: 60, plausible: (s) => has(s, 'IN_PROGRESS') },
  merge: { weight: 60, plausible: (s) => has(s, 'IN_REVIEW') },
  rework: { weight: 15, plausible: (s) => has(s, 'IN_REVIEW') },
  failAttempt: { weight: 15, plausible: (s) => has(s, 'IN_PROGRESS') },
  agentLost: { weight: 10, plausible: (s) => has(s, 'IN_PROGRESS') },
  retryBead: { weight: 20, plausible: (s) => has(s, 'FAILED') },
  addDependency: { weight: 15, plausible: (s) => editable(s) && s.view.beads.some((b) => b.status === 'OPEN' && b.attemptCount === 0) },
  removeDependency: { weight: 10, plausible: (s) => editable(s) && s.view.dependencyEdges.length > 0 },
  startLanding: { weight: 30, plausible: (s) => s.view.status === 'READY_TO_LAND' },
  recordRigLanded: { weight: 40, plausible: (s) => s.view.status === 'LANDING' },
  failLanding: { weight: 25, plausible: (s) => s.view.status === 'LANDING' },
  retryLanding: { weight: 15, plausible: (s) => s.view.status === 'FAILED' && s.view.beads.every((b) => b.status === 'CLOSED') },
  closeConvoy: { weight: 1, plausible: (s) => !terminal(s) },
  repeat: { weight: 10, plausible: (s) => s.lastCommand?.appended === true && !terminal(s) },
} satisfies Record<string, { weight: number; plausible: (s: Scenario) => boolean }>;
type Op = keyof typeof OPS;

/** The step's command: weighted among the plausible ones, or among all when none is (or the step is implausible). */
function opFor(s: Scenario, step: Step): Op {
  const all = Object.keys(OPS) as Op[];
  const fitting = step.plausible ? all.filter((op) => OPS[op].plausible(s)) : [];
  const ops = fitting.length > 0 ? fitting : all;
  let r = step.choice % ops.reduce((sum, op) => sum + OPS[op].weight, 0);
  for (const op of ops) {
    r -= OPS[op].weight;
    if (r < 0) return op;
  }
  return ops[ops.length - 1];
}

describe('read models against the events, through the GraphQL API', () => {
  let h: GatewayHarness;
  let town: TestTown;
  let bus: Bus;
  let store: EventStore;
  let waiter: ReadModelWaiter;
  let commands: CommandClient;
  let rigs: string[];
  const subjects = new Set<string>();
  const tally = new Map<string, number>();
  const finalStatuses = new Map<string, number>();
  const eventTally = new Map<string, number>();
  const count = (map: Map<string, number>, key: string) => map.set(key, (map.get(key) ?? 0) + 1);

  beforeAll(async () => {
    // Budgets of two instead of three: exhausted attempts and landings (BeadFailed, ConvoyFailed,
    // RetryLanding) come within reach of a 60-step scenario.
    h = await GatewayHarness.start({ convoyEnv: { CONVOY_MAX_ATTEMPTS: '2', CONVOY_MAX_LANDING_ATTEMPTS: '2' } });
    town = await h.createTown('consistency town');
    bus = h.gateway.app.get<Bus>(BUS);
    store = new EventStore(bus);
    waiter = h.gateway.app.get(ReadModelWaiter);
    commands = new CommandClient(bus);
    rigs = [];
    for (const name of ['alpha', 'beta']) {
      const { registerRig } = await h.ok<{ registerRig: { id: string } }>(
        town.token,
        `mutation ($input: RegisterRigInput!) { registerRig(input: $input) { id } }`,
        { input: { name, gitUrl: `https://git.example.com/acme/${name}.git`, defaultBranch: 'main' } },
      );
      rigs.push(registerRig.id);
    }
  });

  afterAll(async () => {
    const line = (map: Map<string, number>) => [...map].sort().map(([k, n]) => `${k}=${n}`).join(' ');
    console.info(
      `consistency property: commands ${line(tally)}\nevents ${line(eventTally)}\nfinal convoy statuses: ${line(finalStatuses)}`,
    );
    await h?.close();
  });

  async function readView(convoyId: string): Promise<ConvoyView> {
    return (await h.ok<{ convoy: ConvoyView }>(town.token, CONVOY_VIEW, { id: convoyId })).convoy;
  }

  /** A command as the execution services send it: straight to the convoy service, as a service actor. */
  async function sendToConvoyService(
    s: Scenario,
    payload: Record<string, unknown>,
  ): Promise<{ outcome: Outcome; result: Record<string, unknown> }> {
    const before = await store.lastSeq(s.subject);
    const reply = CommandReply.parse(await commands.request<unknown>(names(h.namespace).commands.convoy, payload));
    if (!reply.ok) return { outcome: { accepted: false, code: reply.error.code }, result: {} };
    expect(reply.subject).toBe(s.subject);
    // Read-your-writes for a command the gateway did not send: wait for its own sequence.
    await waiter.waitFor(reply.subject, reply.seq);
    // Accepted is not appended: a repeat or a report that changes nothing appends no commit.
    const appended = (await store.lastSeq(s.subject)) > before;
    return { outcome: { accepted: true, appended }, result: reply.result };
  }

  async function convoyCommand(
    s: Scenario,
    type: string,
    data: Record<string, unknown>,
    onAccepted: (result: Record<string, unknown>) => void = () => undefined,
  ): Promise<Outcome> {
    const payload = {
      type,
      commandId: randomUUID(),
      townId: town.id,
      convoyId: s.convoyId,
      actor: { kind: 'service', id: 'consistency-spec' },
      data,
    };
    const { outcome, result } = await sendToConvoyService(s, payload);
    s.lastCommand = { payload, appended: outcome.accepted && outcome.appended };
    if (outcome.accepted) onAccepted(result);
    return outcome;
  }

  /** A mutation of the public API; it answers only once the read model shows its effect. */
  async function mutation(s: Scenario, query: string, variables: Record<string, unknown>): Promise<Outcome> {
    const before = await store.lastSeq(s.subject);
    const response: GqlResponse<unknown> = await h.gql(town.token, query, variables);
    if (response.errors?.length) return { accepted: false, code: String(response.errors[0].extensions.code) };
    expect(response.status).toBe(200);
    return { accepted: true, appended: (await store.lastSeq(s.subject)) > before };
  }

  function beadFor(s: Scenario, step: Step, fits: (b: BeadView) => boolean): BeadView {
    const candidates = step.plausible ? s.view.beads.filter(fits) : [];
    return (pickFrom(candidates, step.pick) ?? pickFrom(s.view.beads, step.pick)) as BeadView;
  }

  /** The bead's current attempt, or (implausible steps) a stale or future one. */
  function attemptFor(step: Step, bead: BeadView): number {
    return step.plausible ? Math.max(1, bead.attemptCount) : Math.max(1, bead.attemptCount + (step.variant % 3) - 1);
  }

  async function act(s: Scenario, op: Op, step: Step): Promise<Outcome> {
    const status = (...statuses: string[]) => (b: BeadView) => statuses.includes(b.status);
    switch (op) {
      case 'startConvoy':
        return mutation(s, `mutation ($id: ID!) { startConvoy(id: $id) { id } }`, { id: s.convoyId });
      case 'closeConvoy':
        return mutation(s, `mutation ($id: ID!, $reason: String!) { closeConvoy(id: $id, reason: $reason) { id } }`, {
          id: s.convoyId,
          reason: 'the plan changed',
        });
      case 'retryBead': {
        const bead = beadFor(s, step, status('FAILED'));
        return mutation(s, `mutation ($id: ID!) { retryBead(id: $id) { id } }`, { id: bead.id });
      }
      case 'addDependency': {
        const bead = beadFor(s, step, (b) => b.status === 'OPEN' && b.attemptCount === 0);
        // An implausible step may name the bead itself, which must be refused as a one-bead cycle.
        const others = s.view.beads.filter((b) => b.id !== bead.id || !step.plausible);
        const on = pickFrom(others, step.other) ?? bead;
        return mutation(s, `mutation ($b: ID!, $on: ID!) { addDependency(beadId: $b, dependsOnBeadId: $on) { id } }`, {
          b: bead.id,
          on: on.id,
        });
      }
      case 'removeDependency': {
        // Edges in plan order: the API orders them by bead id, which differs from run to run, and
        // a seed must replay the same scenario.
        const position = new Map(s.view.beads.map((b, i) => [b.id, i]));
        const at = (e: Edge) => (position.get(e.beadId) ?? 0) * 100 + (position.get(e.dependsOnBeadId) ?? 0);
        const inPlanOrder = [...s.view.dependencyEdges].sort((a, b) => at(a) - at(b));
        const edge = (step.plausible && pickFrom(inPlanOrder, step.pick)) || {
          beadId: (pickFrom(s.view.beads, step.pick) as BeadView).id,
          dependsOnBeadId: (pickFrom(s.view.beads, step.other) as BeadView).id,
        };
        return mutation(s, `mutation ($b: ID!, $on: ID!) { removeDependency(beadId: $b, dependsOnBeadId: $on) { id } }`, {
          b: edge.beadId,
          on: edge.dependsOnBeadId,
        });
      }
      case 'dispatch': {
        const bead = beadFor(s, step, (b) => b.ready);
        const agent = { id: `agent-${randomUUID().slice(0, 8)}`, name: `polecat-${step.variant % 4}` };
        // The branch to submit on is only in the dispatch reply (and the event), as for a real dispatcher.
        return convoyCommand(s, 'DispatchBead', { beadId: bead.id, agent }, (result) => {
          s.dispatches.set(bead.id, { branch: String(result['branch']), agentId: agent.id });
        });
      }
      case 'markStarted': {
        const bead = beadFor(s, step, status('IN_PROGRESS'));
        return convoyCommand(s, 'MarkBeadStarted', { beadId: bead.id, attempt: attemptFor(step, bead) });
      }
      case 'submit': {
        const bead = beadFor(s, step, status('IN_PROGRESS'));
        const attempt = attemptFor(step, bead);
        const dispatched = s.dispatches.get(bead.id)?.branch ?? 'bead/never-dispatched';
        const branch = step.plausible || step.variant % 4 !== 0 ? dispatched : 'bead/someone-elses-branch';
        // Half the runners report how the agent ended, as older runners do not.
        const agentResult = step.variant % 2 === 0 ? { ...AGENT_RESULT, exitCode: 0 } : undefined;
        return convoyCommand(s, 'SubmitBead', { beadId: bead.id, attempt, branch, headCommit: sha1(`head ${bead.id} ${attempt}`), agentResult });
      }
      case 'merge': {
        const bead = beadFor(s, step, status('IN_REVIEW'));
        const attempt = attemptFor(step, bead);
        const mergeCommit = step.plausible || step.variant % 6 !== 0 ? sha1(`merge ${bead.id} ${attempt}`) : 'not-a-commit';
        return convoyCommand(s, 'RecordBeadMerged', { beadId: bead.id, attempt, mergeCommit });
      }
      case 'rework': {
        const bead = beadFor(s, step, status('IN_REVIEW'));
        return convoyCommand(s, 'RequestRework', { beadId: bead.id, attempt: attemptFor(step, bead), reason: 'add the missing tests' });
      }
      case 'failAttempt': {
        const bead = beadFor(s, step, status('IN_PROGRESS'));
        return convoyCommand(s, 'FailBeadAttempt', {
          beadId: bead.id,
          attempt: attemptFor(step, bead),
          reason: 'the build is red',
          unrecoverable: step.variant % 4 === 0,
          agentResult: step.variant % 3 === 0 ? undefined : { ...AGENT_RESULT, exitCode: step.variant },
        });
      }
      case 'agentLost': {
        const bead = beadFor(s, step, status('IN_PROGRESS'));
        const agentId = step.plausible || step.variant % 3 !== 0 ? (s.dispatches.get(bead.id)?.agentId ?? 'nobody') : 'agent-elsewhere';
        return convoyCommand(s, 'ReportAgentLost', { beadId: bead.id, attempt: attemptFor(step, bead), agentId, reason: 'heartbeat lost' });
      }
      case 'startLanding':
        // The landing attempt is not on the API; a landing service learns it from this reply.
        return convoyCommand(s, 'StartLanding', {}, (result) => {
          s.landingAttempt = Number(result['landingAttempt']);
        });
      case 'recordRigLanded': {
        const rigId = rigs[step.other % rigs.length];
        // Attempt 0 would be refused by the command schema before the decider sees it; aim at the decider.
        const attempt = Math.max(1, step.plausible ? s.landingAttempt : s.landingAttempt + (step.variant % 3) - 1);
        // Two possible commits per rig, so a repeated landing is sometimes the same one (a no-op) and sometimes not (CONFLICT).
        return convoyCommand(s, 'RecordRigLanded', { rigId, attempt, commit: sha1(`land ${rigId} ${step.variant % 2}`) });
      }
      case 'failLanding': {
        const attempt = Math.max(1, step.plausible ? s.landingAttempt : s.landingAttempt + (step.variant % 3) - 1);
        return convoyCommand(s, 'FailLanding', { attempt, reason: 'the feature branch diverged' });
      }
      case 'retryLanding':
        return convoyCommand(s, 'RetryLanding', {});
      case 'repeat': {
        const last = s.lastCommand;
        // Nothing sent yet: any command will do, and this one is refused until a landing failed for good.
        if (!last) return convoyCommand(s, 'RetryLanding', {});
        const before = await store.lastSeq(s.subject);
        const { outcome } = await sendToConvoyService(s, last.payload);
        // A command id whose decision was appended is answered from memory and appends nothing again.
        if (last.appended) {
          expect(outcome).toEqual({ accepted: true, appended: false });
          expect(await store.lastSeq(s.subject)).toBe(before);
        }
        return outcome;
      }
    }
  }

  /**
   * (a) the API equals the recount, (b) progress partitions the beads, (c) waves respect every
   * edge, and (e) the ready and held flags the events announced are what their definitions give.
   */
  async function expectConsistent(s: Scenario): Promise<ConvoyView> {
    await waiter.waitFor(s.subject, await store.lastSeq(s.subject));
    const [view, commits] = await Promise.all([readView(s.convoyId), store.readSubject(s.subject)]);
    const { waves, ...rest } = view;

    expect({ ...rest, dependencyEdges: sortEdges(rest.dependencyEdges) }).toEqual(recount(commits));

    const { total, ...buckets } = view.progress;
    expect(Object.values(buckets).reduce((sum, n) => sum + n, 0)).toBe(total);
    expect(total).toBe(view.beads.length);

    const waveOf = new Map<string, number>();
    waves.forEach((wave, k) => wave.forEach((id) => waveOf.set(id, k)));
    expect(waves.flat()).toHaveLength(view.beads.length);
    expect([...waveOf.keys()].sort()).toEqual(view.beads.map((b) => b.id).sort());
    for (const edge of view.dependencyEdges) {
      expect(waveOf.get(edge.beadId)).toBeGreaterThan(waveOf.get(edge.dependsOnBeadId) as number);
    }

    expectFlagsByDefinition(view);
    return view;
  }

  /**
   * The recount trusts the derived events (BeadsBecameReady, BeadsHeld, ...). This checks them
   * against the graph the API shows: ready = OPEN in an ACTIVE convoy with every blocker CLOSED;
   * held = OPEN with a FAILED or CANCELLED bead somewhere upstream.
   */
  function expectFlagsByDefinition(view: ConvoyView): void {
    const statusOf = new Map(view.beads.map((b) => [b.id, b.status]));
    const blockersOf = new Map<string, string[]>(view.beads.map((b) => [b.id, []]));
    for (const e of view.dependencyEdges) blockersOf.get(e.beadId)?.push(e.dependsOnBeadId);
    const upstream = (id: string, seen = new Set<string>()): Set<string> => {
      for (const on of blockersOf.get(id) ?? []) if (!seen.has(on)) upstream(on, seen.add(on));
      return seen;
    };
    const flags = (b: BeadView) => ({ id: b.id, ready: b.ready, held: b.blocked });
    expect(view.beads.map(flags)).toEqual(
      view.beads.map((b) => ({
        id: b.id,
        ready: view.status === 'ACTIVE' && b.status === 'OPEN' && (blockersOf.get(b.id) ?? []).every((on) => statusOf.get(on) === 'CLOSED'),
        held: b.status === 'OPEN' && [...upstream(b.id)].some((on) => ['FAILED', 'CANCELLED'].includes(statusOf.get(on) ?? '')),
      })),
    );
  }

  async function runScenario(plan: Plan, steps: Step[]): Promise<void> {
    const { slingBatch } = await h.ok<{ slingBatch: { id: string } }>(
      town.token,
      `mutation ($input: SlingBatchInput!) { slingBatch(input: $input) { id } }`,
      {
        input: {
          title: 'consistency convoy',
          defaultRigId: rigs[plan.defaultRig],
          mergeMode: plan.mergeMode,
          staged: plan.staged,
          parallel: plan.parallel,
          tasks: plan.tasks.map((t) => ({ title: t.title, rigId: rigs[t.rig], dependsOn: t.dependsOn })),
        },
      },
    );
    const subject = names(h.namespace).convoyEvents(town.id, slingBatch.id);
    subjects.add(subject);
    const s: Scenario = {
      convoyId: slingBatch.id,
      subject,
      view: await readView(slingBatch.id),
      dispatches: new Map(),
      landingAttempt: 0,
      lastCommand: null,
    };
    s.view = await expectConsistent(s);

    let probesOfTheEnd = 0;
    for (const step of steps) {
      // A landed or cancelled convoy refuses everything; a few probes show it, more would only cost time.
      if (terminal(s) && ++probesOfTheEnd > 3) break;
      const seqBefore = await store.lastSeq(s.subject);
      const viewBefore = s.view;
      const op = opFor(s, step);
      const outcome = await act(s, op, step);
      count(tally, `${op}:${outcome.accepted ? (outcome.appended ? 'applied' : 'noop') : outcome.code}`);
      s.view = await expectConsistent(s);
      if (!outcome.accepted) {
        // A refusal is an answer, not a failure of the system, and it changes nothing anywhere.
        expect(REFUSALS).toContain(outcome.code);
        expect(await store.lastSeq(s.subject)).toBe(seqBefore);
        expect(s.view).toEqual(viewBefore);
      }
    }
    count(finalStatuses, s.view.status);
    for (const commit of await store.readSubject(s.subject)) for (const e of commit.events) count(eventTally, e.type);
  }

  it('property: given random plans and random command sequences, then after every step the API shows exactly what the events say', async () => {
    await fc.assert(
      fc.asyncProperty(planArb, fc.array(stepArb, { minLength: 10, maxLength: 60, size: 'max' }), (plan, steps) => runScenario(plan, steps)),
      {
        seed: SEED,
        numRuns: NUM_RUNS,
        // Each shrink replays a scenario against the real services: bound it, and keep the smallest found so far.
        interruptAfterTimeLimit: 150_000,
        markInterruptAsFailure: true,
      },
    );
  }, 180_000);

  it('given every scenario projected live, when the read models are rebuilt into the same database, then every table is identical', async () => {
    const ds = h.gateway.app.get(DataSource);
    for (const subject of [names(h.namespace).townEvents(town.id), ...subjects]) {
      await waiter.waitFor(subject, await store.lastSeq(subject));
    }
    const live = await snapshotReadModels(ds);

    const report = await rebuildReadModels(ds, bus);

    expect(report.holds).toEqual([]);
    expect(await snapshotReadModels(ds)).toEqual(live);
  }, 60_000);
});
