import type { AgentSummary, RigRef } from '@gastown/gateway-client';
import { SUMMARY_LINES } from '../convoy/convoy.summary';

function describeAgent(agent: AgentSummary, rigName: Map<string, string> | null): string {
  const where = rigName ? ` on rig "${rigName.get(agent.rigId) ?? agent.rigId}"` : '';
  const work = agent.status === 'WORKING' && agent.currentBead ? ` on "${agent.currentBead.title}" (bead ${agent.currentBead.id})` : '';
  const heartbeat = agent.lastHeartbeatAt ? `, last heartbeat ${agent.lastHeartbeatAt}` : '';
  return `- ${agent.name} ${agent.status}${work}${where}, ${agent.attemptsTotal} attempt${agent.attemptsTotal === 1 ? '' : 's'} so far${heartbeat}`;
}

/** The polecats seen on the town's rigs (or one rig): working first, as the gateway orders them. */
export function summarizeAgents(agents: readonly AgentSummary[], rigs: readonly RigRef[], rig?: RigRef): string {
  const scope = rig ? ` on rig "${rig.name}"` : '';
  if (agents.length === 0) return `No polecat has worked${scope} yet; agents appear once a bead is dispatched.`;
  // Scoped to one rig, repeating its name on every line says nothing.
  const rigName = rig ? null : new Map(rigs.map((r) => [r.id, r.name]));
  const working = agents.filter((a) => a.status === 'WORKING').length;
  const shown = agents.slice(0, SUMMARY_LINES).map((a) => describeAgent(a, rigName));
  const more = agents.length > shown.length ? `\n…and ${agents.length - shown.length} more in the JSON.` : '';
  return `${agents.length} polecat${agents.length === 1 ? '' : 's'}${scope}: ${working} working, ${agents.length - working} idle.\n${shown.join('\n')}${more}`;
}
