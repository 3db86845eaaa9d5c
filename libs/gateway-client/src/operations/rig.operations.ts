import type { GatewayClient } from '../client/gateway.client';

/** DEMO: the built-in agent. PROFILE: one of the operator's agent profiles. COMMAND: the town's own argv (single-tenant installs only). */
export type AgentKind = 'DEMO' | 'PROFILE' | 'COMMAND';

export interface RigSummary {
  id: string;
  name: string;
  gitUrl: string;
  defaultBranch: string;
  createdAt: string;
  config: {
    maxPolecats: number;
    /** `profile` names the operator's agent profile of a PROFILE agent; older gateways leave it out. */
    agent: { kind: AgentKind; profile?: string | null; command: string[] | null };
    agentTimeoutMs: number;
    checks: { name: string; command: string[] }[];
  };
}

const RIG_FIELDS = `id name gitUrl defaultBranch createdAt config { maxPolecats agent { kind profile command } agentTimeoutMs checks { name command } }`;

export async function listRigs(client: GatewayClient): Promise<RigSummary[]> {
  return (await client.request<{ rigs: RigSummary[] }>(`{ rigs { ${RIG_FIELDS} } }`)).rigs;
}

export interface RegisterRigInput {
  name: string;
  gitUrl: string;
  defaultBranch: string;
  config?: {
    maxPolecats?: number;
    agent?: { kind: AgentKind; profile?: string; command?: string[]; passEnv?: string[]; stdin?: 'NONE' | 'PROMPT' };
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
