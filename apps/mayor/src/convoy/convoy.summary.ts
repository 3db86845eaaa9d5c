import type { BeadStatus, BeadSummary, ConvoyDetail, ConvoyProgress, ConvoyStatus, ConvoySummary, MergeUnderWay, RigLanding } from '@gastown/gateway-client';

/** Lists longer than this are cut in the summary; the JSON that follows always holds everything. */
export const SUMMARY_LINES = 25;

const shortCommit = (commit: string) => commit.slice(0, 12);

/** `3 of 8 beads closed, 2 in progress, 1 blocked (waiting on "Schema" which FAILED)`. */
export function describeProgress(progress: ConvoyProgress, blockers: readonly BeadSummary[] = []): string {
  const parts = [`${progress.closed} of ${progress.total} bead${progress.total === 1 ? '' : 's'} closed`];
  if (progress.inProgress) parts.push(`${progress.inProgress} in progress`);
  if (progress.inReview) parts.push(`${progress.inReview} in review`);
  if (progress.open) parts.push(`${progress.open} open`);
  if (progress.blocked) {
    const causes = blockers.map((b) => `"${b.title}" which ${b.status}`);
    parts.push(`${progress.blocked} blocked${causes.length ? ` (waiting on ${joinAnd(causes)})` : ''}`);
  }
  if (progress.failed) parts.push(`${progress.failed} failed`);
  if (progress.cancelled) parts.push(`${progress.cancelled} cancelled`);
  return parts.join(', ');
}

/**
 * The beads that hold the blocked ones: FAILED or CANCELLED beads upstream of a blocked bead,
 * found through the dependency chain because a blocked bead may wait on another blocked one.
 */
export function blockingBeads(beads: readonly BeadSummary[]): BeadSummary[] {
  const byId = new Map(beads.map((b) => [b.id, b]));
  const found = new Map<string, BeadSummary>();
  const seen = new Set<string>();
  const walk = (bead: BeadSummary): void => {
    for (const { id } of bead.blockedBy) {
      if (seen.has(id)) continue;
      seen.add(id);
      const upstream = byId.get(id);
      if (!upstream) continue;
      if (upstream.status === 'FAILED' || upstream.status === 'CANCELLED') found.set(id, upstream);
      else walk(upstream);
    }
  };
  for (const bead of beads) if (bead.blocked) walk(bead);
  return [...found.values()].sort((a, b) => a.index - b.index);
}

function statusTail(convoy: ConvoyDetail): string {
  const failed = convoy.beads.filter((b) => b.status === 'FAILED');
  const failedNote = failed.length
    ? ` Failed: ${failed.map((b) => `#${b.index} "${b.title}"${b.lastReason ? ` (${b.lastReason})` : ''}`).join('; ')}. ` +
      'Fix the cause (edit the plan with gt_bead_add_dependency / gt_bead_remove_dependency if the order was wrong), ' +
      'then gt_bead_retry each failed bead, or gt_convoy_close the convoy.'
    : '';
  switch (convoy.status) {
    case 'STAGED':
      return ' Nothing runs until gt_convoy_start releases it.';
    case 'ACTIVE':
      return failedNote;
    case 'READY_TO_LAND':
      return ' Every bead is merged; the landing starts by itself.';
    case 'LANDING':
      return ' Every bead is merged and the convoy is landing on the default branch.';
    case 'LANDED':
      return ` Landed${convoy.landedCommit ? ` as commit ${shortCommit(convoy.landedCommit)}` : ''}${convoy.landedAt ? ` at ${convoy.landedAt}` : ''}.`;
    case 'FAILED':
      return ` It failed${convoy.failureReason ? `: ${convoy.failureReason}` : ''}.${failedNote}${landingNote(convoy)}`;
    case 'CANCELLED':
      return ` It was closed${convoy.cancelReason ? `: ${convoy.cancelReason}` : ''}.${underWayNote(convoy)}`;
  }
}

const mergeFate: Partial<Record<MergeUnderWay['status'], string>> = { CLOSED: 'since merged', CANCELLED: 'not merged: its push failed' };

function landingFate(landing: RigLanding): string {
  if (landing.status === 'LANDED') return `since landed${landing.commit ? ` as ${shortCommit(landing.commit)}` : ''}`;
  if (landing.status === 'FAILED') return `not landed${landing.reason ? `: ${landing.reason}` : ''}`;
  return 'still lands';
}

/**
 * What the close could not call back: pushes granted before it, which git may already hold. The
 * model must not tell the user that nothing of the convoy lands when one of these still does.
 */
function underWayNote(convoy: ConvoyDetail): string {
  const merges = convoy.mergesUnderWay.map((b) => `the merge of #${b.index} "${b.title}" (${mergeFate[b.status] ?? 'still lands'})`);
  const landings = convoy.landingsUnderWay.map((l) => `the landing on rig ${l.rigId} (${landingFate(l)})`);
  if (merges.length + landings.length === 0) return '';
  return (
    ` Already being pushed when it was closed, so not called back: ${joinAnd([...merges, ...landings])}.` +
    ' What still lands will show as merged or landed in the history; nothing else of this convoy is merged or landed.'
  );
}

/** `rig <id> LANDED as abc123, rig <id> FAILED (merge conflict), rig <id> PENDING`, or PUSHING. */
function describeLandings(landings: readonly RigLanding[]): string {
  return landings
    .map((l) => `rig ${l.rigId} ${l.status}${l.commit ? ` as ${shortCommit(l.commit)}` : ''}${l.reason ? ` (${l.reason})` : ''}`)
    .join(', ');
}

/** A landing that failed is finished by gt_retry_landing, not by retrying beads, which are all merged. */
function landingNote(convoy: ConvoyDetail): string {
  if (!convoy.landings.some((l) => l.status === 'FAILED')) return '';
  return ` Landings: ${describeLandings(convoy.landings)}. Fix the cause on the failed rig, then gt_retry_landing lands the rigs not landed yet.`;
}

/** After gt_retry_landing: the convoy lands again on the rigs that did not land; no bead runs again. */
export function summarizeLandingRetried(convoy: ConvoyDetail): string {
  const landings = convoy.landings.length ? ` Landings so far: ${describeLandings(convoy.landings)}.` : '';
  return (
    `Convoy "${convoy.title}" (id ${convoy.id}) is ${convoy.status}: its landing starts again on the rigs not landed yet, ` +
    `with a fresh landing budget; rigs already LANDED stay landed and no bead runs again.${landings} Follow it with gt_convoy_status.`
  );
}

/** `Convoy "Login" is ACTIVE: 3 of 8 beads closed, 2 in progress, 1 blocked (waiting on "Schema" which FAILED).` */
export function summarizeConvoy(convoy: ConvoyDetail): string {
  return `Convoy "${convoy.title}" (id ${convoy.id}) is ${convoy.status}: ${describeProgress(convoy.progress, blockingBeads(convoy.beads))}.${heldNote(convoy)}${statusTail(convoy)}`;
}

/** A held convoy's status is where the gateway stopped reading it: the model must not plan on it as current. */
function heldNote(convoy: ConvoySummary): string {
  if (!convoy.held) return '';
  return (
    ` HELD since ${convoy.heldSince ?? 'an unknown time'}: ${convoy.heldReason ?? 'no reason recorded'}.` +
    ' This status is where the gateway stopped reading the convoy, not necessarily where it is; it moves on once the operator releases the hold.' +
    ' Commands (gt_convoy_close, gt_bead_retry) are still recorded. Tell the operator; do not re-plan the convoy because of the hold.'
  );
}

export function summarizeConvoyList(
  list: { convoys: readonly ConvoySummary[]; totalCount: number; hasNextPage: boolean },
  status?: ConvoyStatus,
): string {
  const which = status ? ` ${status}` : '';
  if (list.convoys.length === 0) return `No${which} convoys in this town.`;
  const shown = list.convoys.slice(0, SUMMARY_LINES);
  const lines = shown.map((c) => `- "${c.title}" ${c.status}${c.held ? ` (HELD: ${c.heldReason ?? 'no reason recorded'})` : ''}, ${describeProgress(c.progress)} (id ${c.id})`);
  const rest = list.totalCount - shown.length;
  const more = rest > 0 ? `\n…and ${rest} more${list.hasNextPage ? ' (ask for more with first)' : ''}.` : '';
  return `${list.totalCount}${which} convoy${list.totalCount === 1 ? '' : 's'}, newest first:\n${lines.join('\n')}${more}`;
}

function describeBead(bead: BeadSummary, indexOf: Map<string, number>): string {
  const waits = bead.blockedBy.map((b) => `#${indexOf.get(b.id) ?? '?'}`);
  const detail: string[] = [];
  switch (bead.status) {
    case 'OPEN':
      if (bead.blocked) detail.push(`blocked${bead.blockedReason ? `: ${bead.blockedReason}` : ''}`);
      else if (bead.ready) detail.push('ready for an agent');
      else if (waits.length) detail.push(`waits on ${waits.join(', ')}`);
      if (bead.lastReason) detail.push(`last attempt: ${bead.lastReason}`);
      break;
    case 'IN_PROGRESS':
    case 'IN_REVIEW':
      if (bead.assignee) detail.push(`by ${bead.assignee}`);
      if (bead.attemptCount > 1) detail.push(`attempt ${bead.attemptCount}`);
      if (bead.mergeUnderWay) detail.push('its merge is being pushed');
      break;
    case 'CLOSED':
      if (bead.mergeCommit) detail.push(`merged as ${shortCommit(bead.mergeCommit)}`);
      break;
    case 'FAILED':
      detail.push(`after ${bead.attemptCount} attempt${bead.attemptCount === 1 ? '' : 's'}${bead.lastReason ? `: ${bead.lastReason}` : ''}`);
      break;
    case 'CANCELLED':
      break;
  }
  return `- #${bead.index} "${bead.title}" ${bead.status}${detail.length ? `, ${detail.join(', ')}` : ''} (id ${bead.id})`;
}

/** The beads of a convoy, optionally of one status, one line each with the id a model needs for the bead tools. */
export function summarizeBeads(convoy: ConvoyDetail, beads: readonly BeadSummary[], status?: BeadStatus): string {
  const indexOf = new Map(convoy.beads.map((b) => [b.id, b.index]));
  const head = status
    ? `Convoy "${convoy.title}" (${convoy.status}) has ${convoy.beads.length} bead${convoy.beads.length === 1 ? '' : 's'}, ${beads.length} ${status}`
    : `Convoy "${convoy.title}" (${convoy.status}): ${describeProgress(convoy.progress, blockingBeads(convoy.beads))}`;
  if (beads.length === 0) return `${head}.`;
  const shown = beads.slice(0, SUMMARY_LINES).map((b) => describeBead(b, indexOf));
  const more = beads.length > shown.length ? `\n…and ${beads.length - shown.length} more in the JSON.` : '';
  return `${head}:\n${shown.join('\n')}${more}`;
}

function joinAnd(items: readonly string[]): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}
