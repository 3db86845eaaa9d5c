import type { ConvoyDetail, SlingBatchInput } from '@gastown/gateway-client';

/** What a person checks before creating: which tasks run together, on which rig, in what order. */
export function formatDryRun(input: SlingBatchInput, waves: readonly (readonly number[])[], rigName: (id: string) => string): string[] {
  const rigs = [...new Set([input.defaultRigId, ...input.tasks.map((t) => t.rigId ?? input.defaultRigId)])];
  const lines = [
    `plan "${input.title}": ${input.tasks.length} task${input.tasks.length === 1 ? '' : 's'} on ${rigs.map(rigName).join(', ')}, ` +
      `${input.mergeMode.toLowerCase()}${input.staged ? ', staged' : ''}${input.parallel ? ', parallel' : ''}`,
    `${waves.length} wave${waves.length === 1 ? '' : 's'}:`,
  ];
  waves.forEach((wave, w) => {
    const tasks = wave.map((i) => {
      const task = input.tasks[i];
      const rig = task.rigId && task.rigId !== input.defaultRigId ? ` (${rigName(task.rigId)})` : '';
      return `[${i}] ${task.title}${rig}`;
    });
    lines.push(`  ${w + 1}. ${tasks.join(', ')}`);
  });
  lines.push('dry run: nothing was created');
  return lines;
}

export function formatCreated(convoy: ConvoyDetail): string[] {
  const titles = new Map(convoy.beads.map((b) => [b.id, `[${b.index}] ${b.title}`]));
  return [
    `convoy "${convoy.title}" created: ${convoy.id}`,
    `  status ${convoy.status}, ${convoy.mergeMode.toLowerCase()}, ${convoy.progress.total} bead${convoy.progress.total === 1 ? '' : 's'}` +
      (convoy.featureBranch ? `, feature branch ${convoy.featureBranch}` : ''),
    ...convoy.waves.map((wave, w) => `  ${w + 1}. ${wave.map((id) => titles.get(id) ?? id).join(', ')}`),
    convoy.status === 'STAGED' ? `start it with: gt convoy start ${convoy.id}` : `follow it with: gt convoy status ${convoy.id} --watch`,
  ];
}
