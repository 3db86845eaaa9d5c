import type { GatewayClient } from '../client/gateway.client';
import { BEAD_FIELDS, type BeadSummary } from './convoy.operations';

export interface BeadAttempt {
  number: number;
  agentName: string;
  outcome: string;
  startedAt: string | null;
  endedAt: string | null;
  exitCode: number | null;
  reason: string | null;
  outputTail: string | null;
}

export interface BeadDetail extends BeadSummary {
  convoyId: string;
  body: string;
  headCommit: string | null;
  blocks: { id: string }[];
  attempts: BeadAttempt[];
}

const DETAIL_FIELDS = `${BEAD_FIELDS} convoyId body headCommit blocks { id }
  attempts { number agentName outcome startedAt endedAt exitCode reason outputTail }`;

export async function getBead(client: GatewayClient, id: string): Promise<BeadDetail> {
  return (await client.request<{ bead: BeadDetail }>(`query ($id: ID!) { bead(id: $id) { ${DETAIL_FIELDS} } }`, { id })).bead;
}

export async function retryBead(client: GatewayClient, id: string, commandId?: string): Promise<BeadDetail> {
  const data = await client.request<{ retryBead: BeadDetail }>(
    `mutation ($id: ID!, $commandId: String) { retryBead(id: $id, commandId: $commandId) { ${DETAIL_FIELDS} } }`,
    { id, commandId },
  );
  return data.retryBead;
}

export async function addDependency(client: GatewayClient, beadId: string, dependsOnBeadId: string, commandId?: string): Promise<BeadDetail> {
  const data = await client.request<{ addDependency: BeadDetail }>(
    `mutation ($beadId: ID!, $dependsOnBeadId: ID!, $commandId: String) {
      addDependency(beadId: $beadId, dependsOnBeadId: $dependsOnBeadId, commandId: $commandId) { ${DETAIL_FIELDS} }
    }`,
    { beadId, dependsOnBeadId, commandId },
  );
  return data.addDependency;
}

export async function removeDependency(client: GatewayClient, beadId: string, dependsOnBeadId: string, commandId?: string): Promise<BeadDetail> {
  const data = await client.request<{ removeDependency: BeadDetail }>(
    `mutation ($beadId: ID!, $dependsOnBeadId: ID!, $commandId: String) {
      removeDependency(beadId: $beadId, dependsOnBeadId: $dependsOnBeadId, commandId: $commandId) { ${DETAIL_FIELDS} }
    }`,
    { beadId, dependsOnBeadId, commandId },
  );
  return data.removeDependency;
}
