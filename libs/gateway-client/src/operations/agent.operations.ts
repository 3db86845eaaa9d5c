import type { GatewayClient } from '../client/gateway.client';

export interface AgentSummary {
  id: string;
  name: string;
  rigId: string;
  status: 'WORKING' | 'IDLE';
  currentBead: { id: string; title: string; convoyId: string } | null;
  lastHeartbeatAt: string | null;
  lastSeenAt: string;
  attemptsTotal: number;
}

export async function listAgents(client: GatewayClient, rigId?: string): Promise<AgentSummary[]> {
  const data = await client.request<{ agents: AgentSummary[] }>(
    `query ($rigId: ID) { agents(rigId: $rigId) { id name rigId status currentBead { id title convoyId } lastHeartbeatAt lastSeenAt attemptsTotal } }`,
    { rigId },
  );
  return data.agents;
}
