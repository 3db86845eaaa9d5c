import type { RigSummary } from '@gastown/gateway-client';

function describeAgent(rig: RigSummary): string {
  const { kind, profile, command } = rig.config.agent;
  const agent =
    kind === 'DEMO' ? 'the demo agent' : kind === 'PROFILE' ? `the operator's agent profile "${profile ?? '?'}"` : `agent \`${(command ?? []).join(' ')}\``;
  const checks = rig.config.checks.length ? `, checks: ${rig.config.checks.map((c) => c.name).join(', ')}` : '';
  return `${agent}, up to ${rig.config.maxPolecats} polecat${rig.config.maxPolecats === 1 ? '' : 's'}${checks}`;
}

/** The rigs by name, as a model uses them in a plan's `rig` and a task's `rig`. */
export function summarizeRigs(rigs: readonly RigSummary[]): string {
  if (rigs.length === 0) {
    return 'This town has no rigs yet: a person has to register a repository first (`gt rig add`), then work can be slung.';
  }
  const lines = rigs.map((r) => `- "${r.name}": ${r.gitUrl} (default branch ${r.defaultBranch}), ${describeAgent(r)} (id ${r.id})`);
  return `${rigs.length} rig${rigs.length === 1 ? '' : 's'} in this town; use the name as a plan's rig:\n${lines.join('\n')}`;
}
