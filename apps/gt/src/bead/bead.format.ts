import type { BeadDetail } from '@gastown/gateway-client';
import { time } from '../output/output.format';

/** Output tails keep their own line breaks, indented under their attempt. */
function indent(text: string, prefix: string): string[] {
  return text.replace(/\s+$/, '').split('\n').map((line) => `${prefix}${line}`);
}

export function formatBead(bead: BeadDetail): string[] {
  const lines = [
    `bead [${bead.index}] "${bead.title}" ${bead.id}`,
    `  ${bead.status}${bead.blocked ? ` (blocked: ${bead.blockedReason ?? 'upstream failed'})` : ''}${bead.ready ? ' · ready' : ''} · convoy ${bead.convoyId} · rig ${bead.rigId}`,
  ];
  if (bead.assignee) lines.push(`  assignee ${bead.assignee}`);
  if (bead.branch) lines.push(`  branch ${bead.branch}${bead.headCommit ? ` at ${bead.headCommit}` : ''}`);
  if (bead.mergeCommit) lines.push(`  merged as ${bead.mergeCommit}`);
  if (bead.blockedBy.length > 0) lines.push(`  waits for ${bead.blockedBy.map((b) => b.id).join(', ')}`);
  if (bead.blocks.length > 0) lines.push(`  blocks ${bead.blocks.map((b) => b.id).join(', ')}`);
  if (bead.lastReason) lines.push(`  last reason: ${bead.lastReason}`);
  if (bead.body.trim()) lines.push('', ...indent(bead.body, '  '));
  lines.push('', bead.attempts.length === 0 ? 'no attempts yet' : `attempts (${bead.attempts.length}):`);
  for (const a of bead.attempts) {
    const exit = a.exitCode === null ? '' : ` · exit ${a.exitCode}`;
    lines.push(`  #${a.number} ${a.agentName} ${a.outcome}${exit} · ${time(a.startedAt)} → ${time(a.endedAt)}`);
    if (a.reason) lines.push(`     reason: ${a.reason}`);
    if (a.outputTail?.trim()) lines.push('     output (tail):', ...indent(a.outputTail, '     │ '));
  }
  return lines;
}

export function formatBeadRetried(bead: BeadDetail): string[] {
  return [`bead [${bead.index}] "${bead.title}" reopened: ${bead.status}`, `  follow it with: gt convoy status ${bead.convoyId} --watch`];
}
