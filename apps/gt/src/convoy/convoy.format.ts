import type { ConvoyDetail, ConvoySummary, MergeUnderWay, RigLanding } from '@gastown/gateway-client';
import { firstLine, table, time } from '../output/output.format';
import { progressCounts, renderBar } from './progress.format';

export function formatConvoyList(page: { convoys: readonly ConvoySummary[]; totalCount: number; hasNextPage: boolean }): string[] {
  if (page.convoys.length === 0) return ['no convoys match'];
  const lines = table(
    ['ID', 'STATUS', 'DONE', 'UPDATED', 'TITLE'],
    page.convoys.map((c) => [c.id, c.held ? `${c.status} (HELD)` : c.status, `${c.progress.closed}/${c.progress.total}`, time(c.updatedAt), c.title]),
  );
  if (page.hasNextPage) lines.push(`showing ${page.convoys.length} of ${page.totalCount}; raise --limit to see more`);
  return lines;
}

/** A held convoy's status is where the projector stopped, not where the convoy is: said before anything else. */
function held(convoy: ConvoySummary): string[] {
  if (!convoy.held) return [];
  return [
    `  HELD since ${time(convoy.heldSince)}: ${convoy.heldReason ?? 'no reason recorded'}`,
    '  what this shows stops there until the operator releases it (npm run holds); commands are still recorded',
  ];
}

/** Why a convoy stopped, or where it landed: the line a person looks for first. */
function outcome(convoy: ConvoySummary): string[] {
  if (convoy.held) return held(convoy);
  if (convoy.status === 'LANDED') return [`  landed ${time(convoy.landedAt)}${convoy.landedCommit ? ` at ${convoy.landedCommit}` : ''}`];
  if (convoy.status === 'FAILED') return [`  failed: ${convoy.failureReason ?? 'no reason recorded'}`];
  if (convoy.status === 'CANCELLED') return [`  cancelled: ${convoy.cancelReason ?? 'no reason recorded'}`];
  if (convoy.status === 'STAGED') return [`  staged: start it with gt convoy start ${convoy.id}`];
  return [];
}

const mergeFate: Partial<Record<MergeUnderWay['status'], string>> = { CLOSED: 'merged', CANCELLED: 'not merged: its push failed' };

function landingFate(landing: RigLanding): string {
  if (landing.status === 'LANDED') return `landed${landing.commit ? ` at ${landing.commit}` : ''}`;
  if (landing.status === 'FAILED') return `not landed: ${firstLine(landing.reason) || 'its push failed'}`;
  return 'still lands';
}

/**
 * What a close could not call back: pushes granted before it, which git may already hold. Each
 * says whether it still lands or how it ended, so a closed convoy never reads as untouched.
 */
function underWay(convoy: ConvoyDetail): string[] {
  if (convoy.mergesUnderWay.length === 0 && convoy.landingsUnderWay.length === 0) return [];
  return [
    '  already being pushed when it was closed, so not called back (the history shows how each ends):',
    ...convoy.mergesUnderWay.map((b) => `    merge of #${b.index} "${b.title}" ${b.id}: ${mergeFate[b.status] ?? 'still lands'}`),
    ...convoy.landingsUnderWay.map((l) => `    landing on rig ${l.rigId}: ${landingFate(l)}`),
  ];
}

/** A FAILED landing is finished by gt convoy land, not by retrying beads: said where the failure is read. */
function landingHint(convoy: ConvoyDetail): string[] {
  if (convoy.status !== 'FAILED' || !convoy.landings.some((l) => l.status === 'FAILED')) return [];
  return [`  once the cause is fixed, gt convoy land ${convoy.id} lands the rigs not landed yet`];
}

/** Per rig: LANDED with its commit, PENDING, PUSHING, or FAILED with the reason of the last attempt. */
export function formatLandings(landings: readonly RigLanding[]): string[] {
  if (landings.length === 0) return [];
  return table(
    ['RIG', 'LANDING', 'COMMIT', 'NOTE'],
    landings.map((l) => [l.rigId, l.status, l.commit ?? '-', firstLine(l.reason)]),
  ).map((line) => `  ${line}`);
}

export function formatConvoyStatus(convoy: ConvoyDetail, options: { color: boolean }): string[] {
  const header = [
    `convoy "${convoy.title}" ${convoy.id}`,
    `  ${convoy.status} · ${convoy.mergeMode.toLowerCase()}${convoy.featureBranch ? ` · feature branch ${convoy.featureBranch}` : ''}`,
    `  ${renderBar(convoy.progress, 40, options.color)} ${progressCounts(convoy.progress)}`,
    ...outcome(convoy),
    ...underWay(convoy),
    ...landingHint(convoy),
  ];
  const beads = table(
    ['#', 'STATUS', 'ASSIGNEE', 'TRIES', 'ID', 'TITLE', 'NOTE'],
    [...convoy.beads]
      .sort((a, b) => a.index - b.index)
      .map((b) => [
        String(b.index),
        b.blocked ? `${b.status} (blocked)` : b.status,
        b.assignee ?? '-',
        String(b.attemptCount),
        b.id,
        b.title,
        b.mergeUnderWay ? 'merge being pushed' : firstLine(b.blockedReason ?? b.lastReason),
      ]),
  );
  const landings = formatLandings(convoy.landings);
  return [...header, '', ...beads, ...(landings.length > 0 ? ['', ...landings] : [])];
}

/** The answer to gt convoy land: what the convoy is now and where each rig's landing stands. */
export function formatLandingRetried(convoy: ConvoyDetail): string[] {
  return [`convoy "${convoy.title}" lands again: ${convoy.status}`, ...outcome(convoy), ...formatLandings(convoy.landings)];
}

/** The answer to start: what the convoy is now. */
export function formatConvoyChanged(verb: string, convoy: ConvoySummary): string[] {
  return [`convoy "${convoy.title}" ${verb}: ${convoy.status}`, ...outcome(convoy)];
}

/** The answer to close: what the convoy is now, and what its close could not stop. */
export function formatConvoyClosed(convoy: ConvoyDetail): string[] {
  return [...formatConvoyChanged('closed', convoy), ...underWay(convoy)];
}
