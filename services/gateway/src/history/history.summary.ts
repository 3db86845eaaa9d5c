import type { AgentResult, EventOf, EventType, GastownEvent } from '@gastown/contracts';

/**
 * What the events only name by id. Titles and rig names never change once created, so any
 * read model row will do; agents are named by the dispatch of each attempt.
 */
export interface HistoryNames {
  readonly beadTitles: ReadonlyMap<string, string>;
  readonly rigNames: ReadonlyMap<string, string>;
  /** The agent's name per attempt, keyed by attemptKey. */
  readonly attemptAgents: ReadonlyMap<string, string>;
}

export const NO_NAMES: HistoryNames = { beadTitles: new Map(), rigNames: new Map(), attemptAgents: new Map() };

export const attemptKey = (beadId: string, attempt: number) => `${beadId}#${attempt}`;

/** Reasons can be an agent's multi-line output; a summary is one line that still reads whole. */
const REASON_CHARS = 240;
const LISTED = 5;

function clip(text: string, max = REASON_CHARS): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

const quoted = (text: string) => `"${clip(text, 120)}"`;
const shortSha = (sha: string) => sha.slice(0, 12);

function list(items: readonly string[]): string {
  const shown = items.length > LISTED ? [...items.slice(0, LISTED - 1), `${items.length - LISTED + 1} more`] : [...items];
  return shown.length <= 1 ? (shown[0] ?? '') : `${shown.slice(0, -1).join(', ')} and ${shown[shown.length - 1]}`;
}

function capitalize(sentence: string): string {
  return sentence.charAt(0).toUpperCase() + sentence.slice(1);
}

/** The sentence of each event type; a new type does not compile until it has one. */
type Sentences = { [K in EventType]: (event: EventOf<K>, n: Namer) => string };

class Namer {
  constructor(private readonly names: HistoryNames) {}

  bead(id: string): string {
    const title = this.names.beadTitles.get(id);
    return title === undefined ? `bead ${id.slice(0, 8)}` : `bead ${quoted(title)}`;
  }

  beads(ids: readonly string[]): string {
    if (ids.length === 1) return this.bead(ids[0]);
    const titles = ids.map((id) => {
      const title = this.names.beadTitles.get(id);
      return title === undefined ? id.slice(0, 8) : quoted(title);
    });
    return `beads ${list(titles)}`;
  }

  rig(id: string): string {
    const name = this.names.rigNames.get(id);
    return name === undefined ? `rig ${id.slice(0, 8)}` : `rig ${quoted(name)}`;
  }

  /** Who worked the attempt, when its dispatch is known. */
  agent(beadId: string, attempt: number): string | undefined {
    return this.names.attemptAgents.get(attemptKey(beadId, attempt));
  }
}

/** How an agent process ended, in words: "exit code 1", "killed by SIGKILL", "timed out after 600 s". */
function ending(result: AgentResult): string {
  if (result.timedOut) return `timed out after ${Math.round(result.durationMs / 1000)} s`;
  return result.signal ? `killed by ${result.signal}` : `exit code ${result.exitCode ?? 'unknown'}`;
}

const endingInParentheses = (result: AgentResult | null) => (result ? ` (${ending(result)})` : '');

function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

function attempts(n: number): string {
  return count(n, 'attempt');
}

/** Batch ids are uuids the refinery makes up: the start is enough to tell the batches of a history apart. */
const batch = (id: string) => `merge batch ${id.slice(0, 8)}`;

const sentences: Sentences = {
  TownCreated: (e) => `Town ${quoted(e.data.name)} was created`,
  RigRegistered: (e) => `Rig ${quoted(e.data.name)} was registered with default branch ${e.data.defaultBranch}`,
  RigCredentialsSet: (e) =>
    e.data.credentials.kind === 'https'
      ? `Rig ${e.data.rigId.slice(0, 8)} was given an https token for ${e.data.credentials.username}`
      : `Rig ${e.data.rigId.slice(0, 8)} was given the ssh deploy key ${e.data.credentials.fingerprint}`,
  RigCredentialsCleared: (e) => `Rig ${e.data.rigId.slice(0, 8)}'s git credentials were removed`,
  WebhookAdded: (e) => `A webhook was added for ${list(e.data.events.map((type) => type.toLowerCase().replace('_', ' ')))}`,
  WebhookRemoved: (e) => `Webhook ${e.data.webhookId.slice(0, 8)} was removed`,

  ConvoyCreated: (e) => {
    const mode =
      e.data.mergeMode === 'REVIEW_THEN_LAND'
        ? 'each bead is reviewed into a feature branch, which lands when all are merged'
        : 'each bead is reviewed and merged straight into its default branch';
    return `Convoy ${quoted(e.data.title)} was planned: ${mode}${e.data.staged ? '; staged until someone starts it' : ''}`;
  },
  BeadCreated: (e, n) => {
    const after = e.data.dependsOn.length > 0 ? `, after ${n.beads(e.data.dependsOn)}` : '';
    return `${capitalize(n.bead(e.data.beadId))} was planned on ${n.rig(e.data.rigId)}${after}`;
  },
  ConvoyStarted: () => 'The staged convoy was started: its unblocked beads can now be dispatched',
  DependencyAdded: (e, n) => `${capitalize(n.bead(e.data.beadId))} now waits for ${n.bead(e.data.dependsOnBeadId)}`,
  DependencyRemoved: (e, n) => `${capitalize(n.bead(e.data.beadId))} no longer waits for ${n.bead(e.data.dependsOnBeadId)}`,
  BeadsBecameReady: (e, n) =>
    e.data.beadIds.length === 1
      ? `${capitalize(n.bead(e.data.beadIds[0]))} is ready to be dispatched`
      : `${capitalize(n.beads(e.data.beadIds))} are ready to be dispatched`,
  BeadsBecameUnready: (e, n) => `${capitalize(n.beads(e.data.beadIds))} can no longer be dispatched`,
  BeadsHeld: (e, n) =>
    e.data.beads
      .map((held) => `${capitalize(n.bead(held.beadId))} is on hold because of upstream ${n.beads(held.heldBy)} (${clip(held.reason)})`)
      .join('; '),
  BeadsReleased: (e, n) => `${capitalize(n.beads(e.data.beadIds))} ${e.data.beadIds.length === 1 ? 'is' : 'are'} no longer on hold`,

  BeadDispatched: (e, n) => {
    const previous = e.data.previousReason ? ` after the previous attempt ended with: ${clip(e.data.previousReason)}` : '';
    return `${e.data.agent.name} took ${n.bead(e.data.beadId)} (attempt ${e.data.attempt})${previous}`;
  },
  BeadStarted: (e, n) =>
    `${n.agent(e.data.beadId, e.data.attempt) ?? 'The agent'} started working on ${n.bead(e.data.beadId)} (attempt ${e.data.attempt})`,
  BeadSubmitted: (e, n) =>
    `${n.agent(e.data.beadId, e.data.attempt) ?? 'The agent'} submitted ${n.bead(e.data.beadId)} for review ` +
    `(attempt ${e.data.attempt}, head ${shortSha(e.data.headCommit)}${e.data.agentResult ? `, ${ending(e.data.agentResult)}` : ''})`,
  BeadMerged: (e, n) =>
    `${capitalize(n.bead(e.data.beadId))} was merged into ${e.data.targetBranch} as ${shortSha(e.data.mergeCommit)} ` +
    `(attempt ${e.data.attempt}${e.data.batchId ? `, in ${batch(e.data.batchId)}` : ''})`,
  MergeBatchStarted: (e, n) => {
    const on = e.data.speculativeOn ? `, speculatively on top of ${batch(e.data.speculativeOn)} whose checks still run` : '';
    return (
      `The refinery started ${batch(e.data.batchId)} on ${n.rig(e.data.rigId)} with ${count(e.data.beads.length, 'bead')} ` +
      `(${n.beads(e.data.beads.map((b) => b.beadId))}) merged onto ${shortSha(e.data.baseCommit)} of ${e.data.targetBranch}${on}`
    );
  },
  MergeBatchChecked: (e, n) => {
    const tested = `check run ${e.data.run} of ${batch(e.data.batchId)} on its first ${count(e.data.beadIds.length, 'bead')} (${n.beads(e.data.beadIds)})`;
    const took = `in ${Math.round(e.data.durationMs / 1000)} s`;
    const why = e.data.reason ? `: ${clip(e.data.reason)}` : '';
    if (e.data.outcome === 'PASSED') return `${capitalize(tested)} passed ${took}`;
    if (e.data.outcome === 'FLAKY') return `${capitalize(tested)} was flaky ${took}: it failed, then passed on the same tree${why}`;
    return `${capitalize(tested)} failed ${took}${why}`;
  },
  MergeBatchEnded: (e, n) => {
    const runs = `after ${count(e.data.checkRuns, 'check run')}`;
    const why = e.data.reason ? `: ${clip(e.data.reason)}` : '';
    const merged = e.data.mergedBeadIds.length > 0 ? `${n.beads(e.data.mergedBeadIds)} merged` : 'nothing merged';
    switch (e.data.outcome) {
      case 'MERGED':
        return `${capitalize(batch(e.data.batchId))} was merged ${runs}: ${merged}`;
      case 'SPLIT': {
        const culprit = e.data.culpritBeadId ? `${n.bead(e.data.culpritBeadId)} was found to break the checks and sent back` : 'no culprit was named';
        return `${capitalize(batch(e.data.batchId))} was split ${runs}: ${culprit}; ${merged}; the beads after it wait for the next batch${why}`;
      }
      case 'DISCARDED':
        return `${capitalize(batch(e.data.batchId))} was discarded ${runs}; its beads wait for the next batch${why}`;
      case 'ABANDONED':
        return `${capitalize(batch(e.data.batchId))} was abandoned ${runs}; a later batch took its beads${why}`;
    }
  },
  BeadMergeClaimed: (e, n) =>
    `The refinery began pushing ${n.bead(e.data.beadId)} into ${e.data.targetBranch} as ${shortSha(e.data.mergeCommit)} ` +
    `(attempt ${e.data.attempt}); a close from now on cannot stop this merge`,
  BeadMergeAborted: (e, n) => `The merge of ${n.bead(e.data.beadId)} was aborted and not pushed (attempt ${e.data.attempt}): ${clip(e.data.reason)}`,
  BeadReworkRequested: (e, n) => {
    const by = n.agent(e.data.beadId, e.data.attempt);
    return `Review sent ${n.bead(e.data.beadId)} back for rework (attempt ${e.data.attempt}${by ? ` by ${by}` : ''}): ${clip(e.data.reason)}`;
  },
  BeadAttemptFailed: (e, n) => {
    const by = n.agent(e.data.beadId, e.data.attempt);
    const how = endingInParentheses(e.data.agentResult);
    return `Attempt ${e.data.attempt} of ${n.bead(e.data.beadId)}${by ? ` by ${by}` : ''} failed${how}: ${clip(e.data.reason)}`;
  },
  BeadAgentLost: (e, n) =>
    `${n.agent(e.data.beadId, e.data.attempt) ?? `Agent ${e.data.agentId}`} was lost while working on ${n.bead(e.data.beadId)} ` +
    `(attempt ${e.data.attempt}): ${clip(e.data.reason)}`,
  BeadAttemptInterrupted: (e, n) => {
    const by = n.agent(e.data.beadId, e.data.attempt);
    return `Attempt ${e.data.attempt} of ${n.bead(e.data.beadId)}${by ? ` by ${by}` : ''} was interrupted and is not counted: ${clip(e.data.reason)}`;
  },
  BeadFailed: (e, n) => {
    const after = e.data.attempt > 0 ? ` after ${attempts(e.data.attempt)}` : '';
    return `${capitalize(n.bead(e.data.beadId))} failed${after}${endingInParentheses(e.data.agentResult)}: ${clip(e.data.reason)}`;
  },
  BeadRetried: (e, n) => `${capitalize(n.bead(e.data.beadId))} was reopened for another attempt`,
  BeadCancelled: (e, n) =>
    `${capitalize(n.bead(e.data.beadId))} was cancelled (it was ${e.data.previousStatus.toLowerCase().replace('_', ' ')})`,

  ConvoyReadyToLand: () => 'Every bead is merged: the convoy is ready to land',
  ConvoyLandingStarted: (e) => `Landing started (attempt ${e.data.attempt})`,
  RigLandingPrepared: (e, n) => `Landing prepared on ${n.rig(e.data.rigId)}: merged onto ${shortSha(e.data.targetTip)} and checked, not pushed yet`,
  ConvoyLandingPrepared: (e) => `Every rig is prepared: pushing landing attempt ${e.data.attempt} rig by rig`,
  RigLandingClaimed: (e, n) =>
    `Pushing the landing onto ${n.rig(e.data.rigId)}'s ${e.data.targetBranch} as ${shortSha(e.data.commit)} ` +
    `(attempt ${e.data.attempt}); a close from now on cannot stop this landing`,
  RigLandingAborted: (e, n) => `The landing on ${n.rig(e.data.rigId)} was aborted and not pushed (attempt ${e.data.attempt}): ${clip(e.data.reason)}`,
  RigLanded: (e, n) => `Landed on ${n.rig(e.data.rigId)}: ${e.data.targetBranch} is at ${shortSha(e.data.commit)}`,
  ConvoyLanded: (e, n) => `The convoy landed: ${list(e.data.landings.map((l) => `${n.rig(l.rigId)} at ${shortSha(l.commit)}`))}`,
  ConvoyLandingFailed: (e) => `Landing attempt ${e.data.attempt} failed: ${clip(e.data.reason)}`,
  ConvoyFailed: (e) => `The convoy failed: ${clip(e.data.reason)}`,
  ConvoyReactivated: (e) =>
    e.data.status === 'READY_TO_LAND' ? 'The convoy is ready to land again' : 'The convoy is active again',
  ConvoyCancelled: (e) => {
    const agents = e.data.stopAgents.length;
    const stopped = agents > 0 ? `; ${agents} working agent${agents === 1 ? ' was' : 's were'} stopped` : '';
    return `The convoy was cancelled: ${clip(e.data.reason)}${stopped}`;
  },
};

/** One plain sentence on what the event changed and why, naming beads, rigs and agents. */
export function summarize(event: GastownEvent, names: HistoryNames = NO_NAMES): string {
  const sentence = (sentences[event.type] as (e: GastownEvent, n: Namer) => string)(event, new Namer(names));
  return `${sentence}.`;
}
