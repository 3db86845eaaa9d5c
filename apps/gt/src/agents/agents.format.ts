import type { AgentSummary } from '@gastown/gateway-client';
import { table, time } from '../output/output.format';

export function formatAgents(agents: readonly AgentSummary[], rigName: (id: string) => string): string[] {
  if (agents.length === 0) return ['no polecats seen yet: they appear once a bead is dispatched'];
  return table(
    ['NAME', 'STATUS', 'RIG', 'ATTEMPTS', 'HEARTBEAT', 'BEAD'],
    agents.map((a) => [
      a.name,
      a.status,
      rigName(a.rigId),
      String(a.attemptsTotal),
      time(a.lastHeartbeatAt),
      a.currentBead ? `${a.currentBead.id} "${a.currentBead.title}"` : '-',
    ]),
  );
}
