import type { GatewayClient } from '../client/gateway.client';

export interface RigSummary {
  id: string;
  name: string;
  gitUrl: string;
  defaultBranch: string;
  createdAt: string;
  config: { maxPolecats: number; agent: { kind: 'DEMO' | 'COMMAND'; command: string[] | null }; agentTimeoutMs: number; checks: { name: string; command: string[] }[] };
}

const RIG_FIELDS = `id name gitUrl defaultBranch createdAt config { maxPolecats agent { kind command } agentTimeoutMs checks { name command } }`;

export async function listRigs(client: GatewayClient): Promise<RigSummary[]> {
  return (await client.request<{ rigs: RigSummary[] }>(`{ rigs { ${RIG_FIELDS} } }`)).rigs;
}

export interface RegisterRigInput {
  name: string;
  gitUrl: string;
  defaultBranch: string;
  config?: {
    maxPolecats?: number;
    agent?: { kind: 'DEMO' | 'COMMAND'; command?: string[]; passEnv?: string[]; stdin?: 'NONE' | 'PROMPT' };
    agentTimeoutMs?: number;
    checks?: { name: string; command: string[] }[];
    checkTimeoutMs?: number;
    allowEmptyBeads?: boolean;
  };
  commandId?: string;
}

export async function registerRig(client: GatewayClient, input: RegisterRigInput): Promise<RigSummary> {
  const data = await client.request<{ registerRig: RigSummary }>(
    `mutation ($input: RegisterRigInput!) { registerRig(input: $input) { ${RIG_FIELDS} } }`,
    { input },
  );
  return data.registerRig;
}
