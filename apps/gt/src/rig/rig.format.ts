import type { RigSummary } from '@gastown/gateway-client';
import { table } from '../output/output.format';

function agentOf(rig: RigSummary): string {
  const { agent } = rig.config;
  if (agent.kind === 'DEMO') return 'demo';
  if (agent.kind === 'PROFILE') return `profile ${agent.profile ?? '?'}`;
  return JSON.stringify(agent.command ?? []);
}

export function formatRigList(rigs: readonly RigSummary[]): string[] {
  if (rigs.length === 0) return ['no rigs yet: add one with gt rig add <name> --url <git url>'];
  return table(
    ['NAME', 'ID', 'BRANCH', 'POLECATS', 'AGENT', 'URL'],
    rigs.map((r) => [r.name, r.id, r.defaultBranch, String(r.config.maxPolecats), agentOf(r), r.gitUrl]),
  );
}

export function formatRigAdded(rig: RigSummary): string[] {
  return [
    `rig "${rig.name}" registered: ${rig.id}`,
    `  ${rig.gitUrl} (${rig.defaultBranch}), ${rig.config.maxPolecats} polecats, agent ${agentOf(rig)}`,
    ...rig.config.checks.map((c) => `  check ${c.name}: ${JSON.stringify(c.command)}`),
  ];
}
