import fc from 'fast-check';
import type { ConvoyCommand, TaskInput } from '@gastown/contracts';
import { createDecideContext } from './convoy.decider';
import {
  RIG_API,
  RIG_WEB,
  addDependency,
  addTasks,
  close,
  command,
  ctx,
  fail,
  failLanding,
  interrupt,
  lose,
  markStarted,
  merge,
  removeDependency,
  retry,
  retryLanding,
  rework,
  rigLanded,
  start,
  startLanding,
  submit,
} from './convoy.decider.fixture';
import type { ConvoyState } from './convoy.state';

/** Random DAGs: a task may only depend on lower indices, then positions are shuffled. */
export const dagPlan = (maxTasks: number) =>
  fc
    .integer({ min: 1, max: maxTasks })
    .chain((n) =>
      fc.tuple(
        fc.array(fc.array(fc.nat(), { maxLength: 4 }), { minLength: n, maxLength: n }),
        fc.shuffledSubarray([...Array(n).keys()], { minLength: n, maxLength: n }),
        fc.array(fc.constantFrom(RIG_API, RIG_WEB), { minLength: n, maxLength: n }),
      ),
    )
    .map(([raw, perm, rigs]) => {
      const tasks: TaskInput[] = raw.map(() => ({ title: '' }));
      raw.forEach((ds, i) => {
        const dependsOn = i === 0 ? [] : ds.map((d) => perm[d % i]);
        tasks[perm[i]] = { title: `task ${perm[i]}`, rigId: rigs[i], dependsOn };
      });
      return tasks;
    });

/** Small budgets, so that runs reach a bead's and a landing's last attempt. */
export const limits = createDecideContext({ ...ctx, maxAttempts: 2, maxLandingAttempts: 2 });

/** The commands of a bead's work and of the landing, each with how often a run picks it. */
export const OPS = {
  dispatch: 8,
  submit: 6,
  merge: 6,
  started: 2,
  rework: 2,
  fail: 2,
  lost: 1,
  retry: 2,
  start: 2,
  addDep: 1,
  removeDep: 1,
  addTasks: 3,
  startLanding: 3,
  rigLanded: 4,
  failLanding: 1,
  retryLanding: 1,
  stale: 1,
  close: 1,
};

/** The runners' fences and reports around pushes: merge and landing claims, preparations, a drained runner's interruption. */
export const FENCE_OPS = {
  claimMerge: 3,
  prepareLanding: 3,
  claimLanding: 3,
  failRigLanding: 1,
  interrupt: 1,
  startBatch: 2,
  checkBatch: 1,
  claimBatch: 2,
  endBatch: 1,
};

/** A batch id the step's numbers decide, so that a shrunk run replays the same batches. */
const batchIdOf = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;

export type Op = keyof typeof OPS | keyof typeof FENCE_OPS;

export interface Step {
  op: Op;
  pick: number;
  other: number;
  flag: boolean;
}

export const stepOf = (weights: Partial<Record<Op, number>>): fc.Arbitrary<Step> =>
  fc.record({
    op: fc.oneof(...(Object.entries(weights) as [Op, number][]).map(([op, weight]) => ({ arbitrary: fc.constant(op), weight }))),
    pick: fc.nat(1000),
    other: fc.nat(1000),
    flag: fc.boolean(),
  });

const AGENTS = [
  { id: 'agent-1', name: 'Ace' },
  { id: 'agent-2', name: 'Bo Peep' },
];

/**
 * Turns a random step into a command the current state makes plausible (a ready bead to
 * dispatch, a bead in review to merge...); `flag` sometimes picks any bead instead, so that
 * refusals are exercised too.
 */
export function interpret(s: Step, state: ConvoyState): ConvoyCommand | null {
  const beads = [...state.beads.values()];
  const pickFrom = <T>(items: T[]) => (items.length > 0 ? items[s.pick % items.length] : undefined);
  const inStatus = (status: string) => (s.flag && s.pick % 5 === 0 ? beads : beads.filter((b) => b.status === status));
  const commit = (s.pick % 16).toString(16).repeat(40);
  const landingRig = () => pickFrom([...state.featureBranches.keys()].filter((r) => s.flag || !state.landings.has(r)));
  switch (s.op) {
    case 'start':
      return start();
    case 'dispatch': {
      const target = s.flag ? pickFrom(beads) : pickFrom(beads.filter((b) => state.ready.has(b.beadId)));
      return target ? command('DispatchBead', { beadId: target.beadId, agent: AGENTS[s.other % 2] }) : null;
    }
    case 'started': {
      const b = pickFrom(inStatus('IN_PROGRESS'));
      return b ? markStarted(b.index, b.attempt) : null;
    }
    case 'submit': {
      const b = pickFrom(inStatus('IN_PROGRESS'));
      return b ? submit(b.index, b.attempt, commit, b.branch ?? 'none') : null;
    }
    case 'merge': {
      const b = pickFrom(inStatus('IN_REVIEW'));
      return b ? merge(b.index, b.attempt, commit) : null;
    }
    case 'rework': {
      const b = pickFrom(inStatus('IN_REVIEW'));
      return b ? rework(b.index, b.attempt, `rework ${s.other}`) : null;
    }
    case 'fail': {
      const b = pickFrom(inStatus('IN_PROGRESS'));
      return b ? fail(b.index, b.attempt, `failure ${s.other}`, s.flag && s.other % 3 === 0) : null;
    }
    case 'lost': {
      const b = pickFrom(inStatus('IN_PROGRESS'));
      return b ? lose(b.index, b.attempt, b.agent?.id ?? 'nobody') : null;
    }
    case 'interrupt': {
      const b = pickFrom(inStatus('IN_PROGRESS'));
      return b ? interrupt(b.index, b.attempt, b.agent?.id ?? 'nobody') : null;
    }
    case 'retry': {
      const b = pickFrom(inStatus('FAILED'));
      return b ? retry(b.index) : null;
    }
    case 'stale': {
      const b = pickFrom(beads.filter((x) => x.attempt > 0));
      return b ? submit(b.index, Math.max(1, b.attempt - 1 - (s.other % 2)), commit, b.branch ?? 'none') : null;
    }
    case 'claimMerge': {
      const b = pickFrom(inStatus('IN_REVIEW'));
      return b ? command('ClaimMergePush', { beadId: b.beadId, attempt: Math.max(1, b.attempt), mergeCommit: commit }) : null;
    }
    case 'startBatch': {
      const first = pickFrom(inStatus('IN_REVIEW'));
      if (!first) return null;
      const members = inStatus('IN_REVIEW').filter((b) => b.rigId === first.rigId && b.baseBranch === first.baseBranch).slice(0, 1 + (s.other % 3));
      return command('StartMergeBatch', {
        batchId: batchIdOf(s.pick),
        rigId: first.rigId,
        baseCommit: commit,
        beads: members.map((b, i) => ({ beadId: b.beadId, attempt: Math.max(1, b.attempt), mergeCommit: i % 2 === 0 ? commit : commit.split('').reverse().join('') })),
      });
    }
    case 'checkBatch':
    case 'claimBatch':
    case 'endBatch': {
      const batches = [...state.batches].filter(([, batch]) => s.flag || batch.open);
      const [batchId, batch] = batches[s.pick % Math.max(1, batches.length)] ?? [];
      if (!batchId || !batch) return null;
      const count = 1 + (s.other % batch.beads.length);
      if (s.op === 'claimBatch') return command('ClaimBatchPush', { batchId, beadCount: count });
      if (s.op === 'checkBatch') return command('RecordMergeBatchCheck', { batchId, run: 1 + (s.other % 4), beadCount: count, outcome: s.flag ? 'FAILED' : 'PASSED', durationMs: s.other, reason: `run ${s.other}` });
      return command('EndMergeBatch', { batchId, outcome: s.flag ? 'SPLIT' : 'MERGED', mergedCount: count - 1, checkRuns: s.other % 5 });
    }
    case 'addDep':
    case 'removeDep': {
      if (beads.length < 2) return null;
      const a = s.pick % beads.length;
      const b = s.other % beads.length;
      return s.op === 'addDep' ? addDependency(a, b) : removeDependency(a, b);
    }
    case 'addTasks': {
      const n = beads.length;
      const count = 1 + (s.pick % 3);
      const rigIds = beads.map((b) => b.rigId);
      return addTasks(
        Array.from({ length: count }, (_, i) => ({
          title: `added ${n + i}`,
          rigId: rigIds[(s.pick + i) % rigIds.length],
          dependsOn: [(s.other + i) % (n + i)],
        })),
      );
    }
    case 'startLanding':
      return startLanding();
    case 'prepareLanding': {
      const rig = landingRig();
      return rig ? command('RecordRigLandingPrepared', { rigId: rig, attempt: state.landingAttempt || 1, targetTip: commit, tree: commit }) : null;
    }
    case 'claimLanding': {
      const rig = landingRig();
      return rig ? command('ClaimLandingPush', { rigId: rig, attempt: state.landingAttempt || 1, commit }) : null;
    }
    case 'rigLanded': {
      const rig = landingRig();
      return rig ? rigLanded(rig, state.landingAttempt, commit) : null;
    }
    case 'failLanding':
      return failLanding(state.landingAttempt || 1, `landing trouble ${s.other}`);
    case 'failRigLanding': {
      const rig = landingRig();
      return rig ? command('FailLanding', { attempt: state.landingAttempt || 1, reason: `rig trouble ${s.other}`, rigId: rig }) : null;
    }
    case 'retryLanding':
      return retryLanding();
    case 'close':
      return s.flag && s.pick % 8 === 0 ? close(`closing ${s.other}`) : null;
  }
}
