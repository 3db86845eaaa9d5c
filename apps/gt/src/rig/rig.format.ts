import type { RigSummary } from '@gastown/gateway-client';
import { table } from '../output/output.format';

function agentOf(rig: RigSummary): string {
  const { agent } = rig.config;
  if (agent.kind === 'DEMO') return 'demo';
  if (agent.kind === 'PROFILE') return `profile ${agent.profile ?? '?'}`;
  return JSON.stringify(agent.command ?? []);
}

function credentialsOf(rig: RigSummary): string {
  const c = rig.credentials;
  if (!c) return 'none';
  return c.kind === 'HTTPS_TOKEN' ? `token as ${c.username ?? '?'}` : `ssh key ${c.fingerprint ?? '?'}`;
}

export function formatRigCredentials(rig: RigSummary): string {
  const c = rig.credentials;
  return c ? `rig "${rig.name}" credentials: ${credentialsOf(rig)}, set ${c.setAt}` : `rig "${rig.name}" has no credentials: its remote is reached without any`;
}

export function formatRigList(rigs: readonly RigSummary[]): string[] {
  if (rigs.length === 0) return ['no rigs yet: add one with gt rig add <name> --url <git url>'];
  return table(
    ['NAME', 'ID', 'BRANCH', 'POLECATS', 'AGENT', 'CREDENTIALS', 'URL'],
    rigs.map((r) => [r.name, r.id, r.defaultBranch, String(r.config.maxPolecats), agentOf(r), credentialsOf(r), r.gitUrl]),
  );
}

export function formatRigAdded(rig: RigSummary): string[] {
  return [
    `rig "${rig.name}" registered: ${rig.id}`,
    `  ${rig.gitUrl} (${rig.defaultBranch}), ${rig.config.maxPolecats} polecats, agent ${agentOf(rig)}, credentials ${credentialsOf(rig)}`,
    ...rig.config.checks.map((c) => `  check ${c.name}: ${JSON.stringify(c.command)}`),
  ];
}
