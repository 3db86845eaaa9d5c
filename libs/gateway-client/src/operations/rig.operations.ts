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
  } & MergeQueueSettings;
  /** What can be shown of the rig's git credentials (never the secret); null without any, absent from older gateways. */
  credentials?: RigCredentialsSummary | null;
}

/** How the rig's refinery batches merges: beads per batch (1–32), batches checked at once (1–4), check runs at once (1–8), one retry of a failed check. */
export interface MergeQueueSettings {
  mergeBatchMax: number;
  speculativeDepth: number;
  checkConcurrency: number;
  retryFlakyChecks: boolean;
}

export interface RigCredentialsSummary {
  kind: 'HTTPS_TOKEN' | 'SSH_KEY';
  setAt: string;
  username: string | null;
  fingerprint: string | null;
}

/** Exactly one of the two. The gateway seals it before it goes anywhere; it is never shown again. */
export type RigCredentialsInput =
  | { httpsToken: { token: string; username?: string } }
  | { sshKey: { privateKey: string; knownHosts?: string[] } };

const RIG_FIELDS = `id name gitUrl defaultBranch createdAt config { maxPolecats agent { kind profile command } agentTimeoutMs checks { name command } mergeBatchMax speculativeDepth checkConcurrency retryFlakyChecks } credentials { kind setAt username fingerprint }`;

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
  } & Partial<MergeQueueSettings>;
  credentials?: RigCredentialsInput;
  commandId?: string;
}

export async function registerRig(client: GatewayClient, input: RegisterRigInput): Promise<RigSummary> {
  const data = await client.request<{ registerRig: RigSummary }>(
    `mutation ($input: RegisterRigInput!) { registerRig(input: $input) { ${RIG_FIELDS} } }`,
    { input },
  );
  return data.registerRig;
}

/** Gives the rig credentials or replaces its own; the gateway first has a runner read the default branch with them. */
export async function setRigCredentials(client: GatewayClient, rigId: string, credentials: RigCredentialsInput, commandId?: string): Promise<RigSummary> {
  const data = await client.request<{ setRigCredentials: RigSummary }>(
    `mutation ($input: SetRigCredentialsInput!) { setRigCredentials(input: $input) { ${RIG_FIELDS} } }`,
    { input: { rigId, credentials, ...(commandId ? { commandId } : {}) } },
  );
  return data.setRigCredentials;
}

export async function clearRigCredentials(client: GatewayClient, rigId: string, commandId?: string): Promise<RigSummary> {
  const data = await client.request<{ clearRigCredentials: RigSummary }>(
    `mutation ($rigId: ID!, $commandId: String) { clearRigCredentials(rigId: $rigId, commandId: $commandId) { ${RIG_FIELDS} } }`,
    { rigId, ...(commandId ? { commandId } : {}) },
  );
  return data.clearRigCredentials;
}
