/**
 * What must hold after every chaos run, each as a pure function of what the run observed
 * (collected by chaos.run.ts), returning one specific message per violation: which convoy, which
 * bead, which branch or table.
 */

export const TERMINAL = ['LANDED', 'FAILED', 'CANCELLED'];

export interface AttemptEvidence {
  readonly number: number;
  readonly outcome: string;
}

export interface BeadEvidence {
  readonly id: string;
  readonly title: string;
  readonly status: string;
  readonly lastReason: string | null;
  readonly attempts: readonly AttemptEvidence[];
  /** The branches its attempts worked on (BeadDispatched): the only ones allowed to carry a cancelled bead's change. */
  readonly ownBranches: readonly string[];
  /** How many BeadMerged events the convoy's stream holds for it. */
  readonly mergedEvents: number;
}

export interface BranchEvidence {
  readonly name: string;
  /** Subjects of the merge commits reachable from the branch. */
  readonly mergeSubjects: readonly string[];
  /** Bead file path → commits reachable from the branch that added it. */
  readonly beadFileAdds: Readonly<Record<string, number>>;
  /** Every file in the branch's tip. */
  readonly files: readonly string[];
}

/** A push that moved one of the convoy's target branches on origin. */
export interface PushEvidence {
  readonly branch: string;
  /** Zeros when the push created the branch. */
  readonly from: string;
  readonly to: string;
  readonly tree: string;
}

export interface ConvoyEvidence {
  readonly name: string;
  readonly id: string;
  /** closeConvoy raced its last merge: CANCELLED is as good an end as LANDED. */
  readonly closed: boolean;
  /** The status the API shows at the end. */
  readonly status: string;
  /** Whether it reached LANDED, FAILED or CANCELLED within the bound after the last fault. */
  readonly settled: boolean;
  readonly held: boolean;
  readonly heldReason: string | null;
  readonly beads: readonly BeadEvidence[];
  /** Every branch of the convoy's origin repository. */
  readonly branches: readonly BranchEvidence[];
  /** The target branch and the convoy's feature branch, where each bead may arrive once. */
  readonly targets: readonly string[];
  /** Every push to a target, as origin wrote it down. */
  readonly targetPushes: readonly PushEvidence[];
  /** Commits whose checks passed (MergeBatchChecked PASSED or FLAKY). */
  readonly checkedCommits: readonly string[];
  /** Trees a landing's checks passed on (RigLandingPrepared). */
  readonly checkedLandingTrees: readonly string[];
}

export interface HoldEvidence {
  readonly service: string;
  readonly subject: string;
  readonly reason: string | null;
}

export interface ChaosEvidence {
  readonly convoys: readonly ConvoyEvidence[];
  /** How long the convoys were given to settle after the last fault. */
  readonly settleBoundMs: number;
  /** Differences between the live read models and a rebuild from the stream (see diffReadModels). */
  readonly readModelDiff: readonly string[];
  readonly holds: readonly HoldEvidence[];
}

/** The bead's file the demo agent writes (its id's first 8 hex digits name it, as in merge commit subjects). */
export const beadFile = (beadId: string) => `beads/${beadId.slice(0, 8)}.md`;
const mergesOf = (branch: BranchEvidence, beadId: string) =>
  branch.mergeSubjects.filter((s) => s.startsWith('Merge bead ') && s.endsWith(`(${beadId.slice(0, 8)})`)).length;
const label = (c: ConvoyEvidence) => `convoy "${c.name}" (${c.id})`;
const beadLabel = (b: BeadEvidence) => `bead "${b.title}" (${b.id})`;

/** (1) Every convoy ends LANDED, FAILED or CANCELLED on its own within the bound after the last fault. */
export function unsettledConvoys(evidence: ChaosEvidence): string[] {
  return evidence.convoys
    .filter((c) => !c.settled)
    .map((c) => {
      const open = c.beads.filter((b) => !['CLOSED', 'CANCELLED', 'FAILED'].includes(b.status)).map((b) => `${b.title} ${b.status}`);
      return `${label(c)} is still ${c.status} ${evidence.settleBoundMs / 1000} s after the last fault (beads: ${open.join(', ') || 'none open'})`;
    });
}

/**
 * (1b) Faults never fail work that can succeed: the demo agent succeeds on every bead of a plan
 * and the run's attempt budget outlasts what its faults can cost, so a settled convoy is LANDED
 * (or CANCELLED, when closeConvoy won its race).
 */
export function failedByFaults(evidence: ChaosEvidence): string[] {
  return evidence.convoys
    .filter((c) => c.settled && c.status !== 'LANDED' && !(c.closed && c.status === 'CANCELLED'))
    .map((c) => {
      const failed = c.beads.filter((b) => b.status === 'FAILED').map((b) => `${beadLabel(b)}: ${b.lastReason ?? 'no reason'}`);
      return `${label(c)} ended ${c.status}${failed.length ? ` (${failed.join('; ')})` : ''}`;
    });
}

/** (2) No bead merged twice: one BeadMerged at most, one merge commit and one commit adding its file per target branch. */
export function beadsMergedTwice(evidence: ChaosEvidence): string[] {
  const violations: string[] = [];
  for (const convoy of evidence.convoys) {
    for (const bead of convoy.beads) {
      if (bead.mergedEvents > 1) violations.push(`${label(convoy)}: ${beadLabel(bead)} has ${bead.mergedEvents} BeadMerged events`);
      for (const branch of convoy.branches.filter((b) => convoy.targets.includes(b.name))) {
        const merges = mergesOf(branch, bead.id);
        if (merges > 1) violations.push(`${label(convoy)}: ${beadLabel(bead)} has ${merges} merge commits on ${branch.name}`);
        const adds = branch.beadFileAdds[beadFile(bead.id)] ?? 0;
        if (adds > 1) violations.push(`${label(convoy)}: ${beadLabel(bead)}'s ${beadFile(bead.id)} was added by ${adds} commits on ${branch.name}`);
      }
    }
  }
  return violations;
}

/** (3) No cancelled bead's change on any branch but its own attempts' branches. */
export function cancelledChanges(evidence: ChaosEvidence): string[] {
  const violations: string[] = [];
  for (const convoy of evidence.convoys) {
    for (const bead of convoy.beads.filter((b) => b.status === 'CANCELLED')) {
      for (const branch of convoy.branches.filter((b) => !bead.ownBranches.includes(b.name))) {
        if (branch.files.includes(beadFile(bead.id))) violations.push(`${label(convoy)}: cancelled ${beadLabel(bead)}'s ${beadFile(bead.id)} is on ${branch.name}`);
        if (mergesOf(branch, bead.id) > 0) violations.push(`${label(convoy)}: cancelled ${beadLabel(bead)} has a merge commit on ${branch.name}`);
      }
    }
  }
  return violations;
}

/** (4) No attempt left RUNNING once its convoy has ended. */
export function runningAttempts(evidence: ChaosEvidence): string[] {
  return evidence.convoys.flatMap((c) =>
    c.beads.flatMap((b) =>
      b.attempts.filter((a) => a.outcome === 'RUNNING').map((a) => `${label(c)}: ${beadLabel(b)} (${b.status}) attempt ${a.number} is still RUNNING`),
    ),
  );
}

/**
 * (7) Nothing untested reaches a branch: every push to a target is a tree the checks passed as
 * exactly that tree (a merge batch or prefix whose run passed, or a prepared landing), or the
 * creation of the feature branch from the default branch.
 */
export function untestedPushes(evidence: ChaosEvidence): string[] {
  const violations: string[] = [];
  for (const convoy of evidence.convoys) {
    const checked = new Set(convoy.checkedCommits);
    const landings = new Set(convoy.checkedLandingTrees);
    for (const push of convoy.targetPushes) {
      if (/^0+$/.test(push.from) || checked.has(push.to) || landings.has(push.tree)) continue;
      violations.push(`${label(convoy)}: ${push.to.slice(0, 12)} was pushed onto ${push.branch} though no check passed on its tree`);
    }
  }
  return violations;
}

/** (5) The read models equal a rebuild from the stream. */
export function readModelsDiffer(evidence: ChaosEvidence): string[] {
  return evidence.readModelDiff.map((d) => `read models differ from a rebuild: ${d}`);
}

/** (6) Every hold is explained: a projector or dispatcher hold names its reason, and so does a held convoy. */
export function unexplainedHolds(evidence: ChaosEvidence): string[] {
  return [
    ...evidence.holds.filter((h) => !h.reason?.trim()).map((h) => `${h.service} holds ${h.subject} without a reason`),
    ...evidence.convoys.filter((c) => c.held && !c.heldReason?.trim()).map((c) => `${label(c)} reads held without a heldReason`),
  ];
}

export const INVARIANTS = {
  'convoys settle': unsettledConvoys,
  'faults fail no work': failedByFaults,
  'no bead merged twice': beadsMergedTwice,
  'no cancelled change on a branch': cancelledChanges,
  'no attempt left RUNNING': runningAttempts,
  'read models equal a rebuild': readModelsDiffer,
  'every hold explained': unexplainedHolds,
  'nothing untested pushed': untestedPushes,
} satisfies Record<string, (evidence: ChaosEvidence) => string[]>;

export function violations(evidence: ChaosEvidence): string[] {
  return Object.entries(INVARIANTS).flatMap(([name, check]) => check(evidence).map((v) => `[${name}] ${v}`));
}

export type ReadModelSnapshot = Record<string, readonly Record<string, unknown>[]>;

/**
 * Row-level differences between two snapshots of the read-model tables, keyed by each table's
 * key columns, naming the columns that differ; at most `limit` lines per table.
 */
export function diffReadModels(live: ReadModelSnapshot, rebuilt: ReadModelSnapshot, keys: Readonly<Record<string, readonly string[]>>, limit = 5): string[] {
  const lines: string[] = [];
  for (const table of Object.keys(keys)) {
    const keyOf = (row: Record<string, unknown>) => (keys[table] ?? []).map((k) => `${k}=${String(row[k])}`).join(' ');
    const index = (rows: readonly Record<string, unknown>[] = []) => new Map(rows.map((r) => [keyOf(r), r]));
    const [a, b] = [index(live[table]), index(rebuilt[table])];
    const found: string[] = [];
    for (const key of new Set([...a.keys(), ...b.keys()])) {
      const [l, r] = [a.get(key), b.get(key)];
      if (!l) found.push(`${table} ${key}: only in the rebuild`);
      else if (!r) found.push(`${table} ${key}: only live`);
      else {
        const columns = Object.keys({ ...l, ...r }).filter((c) => JSON.stringify(l[c]) !== JSON.stringify(r[c]));
        if (columns.length) found.push(`${table} ${key}: ${columns.map((c) => `${c} live ${JSON.stringify(l[c])} rebuilt ${JSON.stringify(r[c])}`).join('; ')}`);
      }
    }
    lines.push(...found.slice(0, limit));
    if (found.length > limit) lines.push(`${table}: ${found.length - limit} more rows differ`);
  }
  return lines;
}
