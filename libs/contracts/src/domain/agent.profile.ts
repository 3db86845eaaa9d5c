import { z } from 'zod';
import { Argv } from './rig.config';

/**
 * Agent profiles belong to the operator. A town is an untrusted tenant: it may name a profile
 * for its rig, but what a profile runs, which of the runner's variables it receives, how long it
 * may run and whether it reaches the network is written by the operator, in a catalogue both the
 * convoy service (which validates a registration) and the git-runner (which runs it) read at start.
 */

const MAX_AGENT_TIMEOUT_MS = 24 * 60 * 60_000;

export const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** The profile every rig gets unless it names another; it needs neither a program nor the network. */
export const DEMO_PROFILE_NAME = 'demo';

export const AGENT_PROFILE_NAME = /^[a-z][a-z0-9_-]{0,39}$/;

/**
 * Variables of the runner that no agent may receive, whatever the operator allows: each one opens
 * a door out of a town. The services' own settings (NATS_*, DATABASE_URL, PG*, GT_*, GASTOWN_*,
 * GIT_RUNNER_*, DISPATCHER_*, GATEWAY_*, CONVOY_*, DASHBOARD_*) reach the event stream, every
 * town's data and the operator's catalogue; GIT_* points git at another repository or hands it the
 * runner's credentials (GIT_ASKPASS, GIT_SSH_COMMAND, GIT_CONFIG_*); SSH_* is the runner's
 * ssh-agent, which serves every town's remotes alike; the cloud, cluster, container and vault
 * variables are the host's own credentials, not an agent's API key. An operator who wants an
 * agent to call a model's API names that key (ANTHROPIC_API_KEY, OPENAI_API_KEY…) instead.
 */
const INFRASTRUCTURE_PREFIXES = [
  'NATS_',
  'PG',
  'POSTGRES',
  'DATABASE_',
  'GT_',
  'GASTOWN_',
  'GIT_',
  'DISPATCHER_',
  'GATEWAY_',
  'CONVOY_',
  'DASHBOARD_',
  'SSH_',
  'AWS_',
  'GOOGLE_',
  'GCLOUD_',
  'CLOUDSDK_',
  'AZURE_',
  'ARM_',
  'KUBE',
  'DOCKER_',
  'VAULT_',
];

/** True for a variable no agent may receive (see INFRASTRUCTURE_PREFIXES); without case, since `aws_secret_access_key` works too. */
export function isInfrastructureEnv(name: string): boolean {
  const upper = name.toUpperCase();
  return INFRASTRUCTURE_PREFIXES.some((prefix) => upper.startsWith(prefix));
}

const EnvName = z.string().regex(ENV_NAME, 'must be an environment variable name (letters, digits, _)');

/** A profile as the operator writes it in the catalogue file. */
export const AgentProfileInput = z
  .object({
    /** `{prompt}` is replaced by the prompt file's path, `{workdir}` by the worktree; never run through a shell. */
    command: Argv.refine((argv) => argv[0]?.startsWith('-') !== true, 'command[0] must name a program, not an option'),
    /** `prompt`: the prompt file is the agent's standard input. */
    stdin: z.enum(['none', 'prompt']).default('none'),
    /** The most an attempt of this profile may run, whatever the rig asks for. */
    timeoutMs: z.number().int().min(1_000).max(MAX_AGENT_TIMEOUT_MS).optional(),
    /** The runner's variables this agent receives; each must also be in GASTOWN_AGENT_PASS_ENV_ALLOWED. */
    passEnv: z.array(EnvName).max(50).default([]),
    /** Real coding agents call their model's API; everything else runs without a network. */
    network: z.boolean().default(false),
  })
  .strict();

export const AgentCatalogueInput = z.record(z.string(), AgentProfileInput);

export type AgentRun = { kind: 'demo' } | { kind: 'command'; command: string[]; stdin: 'none' | 'prompt' };

export interface AgentProfile {
  readonly name: string;
  readonly run: AgentRun;
  readonly passEnv: readonly string[];
  readonly network: boolean;
  /** The profile's cap on an attempt; null: only the rig's timeout and the runner's cap apply. */
  readonly timeoutMs: number | null;
}

export interface AgentPolicy {
  /** Every profile by name; `demo` is always there. */
  readonly profiles: ReadonlyMap<string, AgentProfile>;
  /** A single-tenant install may let its one town run any argv (`kind: command`). */
  readonly allowTownCommands: boolean;
  /** The runner's variables an agent may receive at all (none of them infrastructure). */
  readonly passEnvAllowed: ReadonlySet<string>;
}

export const DEMO_PROFILE: AgentProfile = { name: DEMO_PROFILE_NAME, run: { kind: 'demo' }, passEnv: [], network: false, timeoutMs: null };

/** The multi-tenant default: the demo agent only, no town commands, no variables handed over. */
export const DEFAULT_AGENT_POLICY: AgentPolicy = {
  profiles: new Map([[DEMO_PROFILE_NAME, DEMO_PROFILE]]),
  allowTownCommands: false,
  passEnvAllowed: new Set(),
};

/** The operator's settings that make an AgentPolicy; every service that reads one reads these. */
export interface AgentPolicySettings {
  GASTOWN_AGENT_PROFILES?: string;
  GASTOWN_AGENT_PROFILES_JSON?: string;
  GASTOWN_ALLOW_TOWN_AGENT_COMMANDS?: string;
  GASTOWN_AGENT_PASS_ENV_ALLOWED?: string;
}

export type AgentPolicyResult = { ok: true; policy: AgentPolicy } | { ok: false; problems: string[] };

/**
 * Reads the operator's agent settings; every problem is its own line naming the variable, and
 * for the catalogue the profile and field. `readFile` is given by the caller so this stays free
 * of the file system (the dashboard bundles contracts).
 */
export function readAgentPolicy(settings: AgentPolicySettings, readFile: (path: string) => string): AgentPolicyResult {
  const problems: string[] = [];

  let allowTownCommands = false;
  const allow = settings.GASTOWN_ALLOW_TOWN_AGENT_COMMANDS ?? '';
  if (allow === 'true') allowTownCommands = true;
  else if (allow !== '' && allow !== 'false') {
    problems.push(`GASTOWN_ALLOW_TOWN_AGENT_COMMANDS must be "true" or "false", got ${JSON.stringify(allow)}`);
  }

  const passEnvAllowed = new Set<string>();
  for (const name of (settings.GASTOWN_AGENT_PASS_ENV_ALLOWED ?? '').split(',').map((n) => n.trim()).filter((n) => n !== '')) {
    if (!ENV_NAME.test(name)) problems.push(`GASTOWN_AGENT_PASS_ENV_ALLOWED: ${JSON.stringify(name)} is not an environment variable name`);
    else if (isInfrastructureEnv(name)) {
      problems.push(`GASTOWN_AGENT_PASS_ENV_ALLOWED: ${name} is an infrastructure variable and is never handed to an agent`);
    } else passEnvAllowed.add(name);
  }

  const profiles = new Map<string, AgentProfile>([[DEMO_PROFILE_NAME, DEMO_PROFILE]]);
  const catalogue = catalogueText(settings, readFile, problems);
  if (catalogue !== null) {
    const { source, text } = catalogue;
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (error) {
      problems.push(`${source} is not JSON: ${(error as Error).message}`);
    }
    if (json !== undefined) {
      const parsed = AgentCatalogueInput.safeParse(json);
      if (!parsed.success) {
        for (const issue of parsed.error.issues) {
          problems.push(`${source}: ${issue.path.length ? `${issue.path.join('.')}: ` : ''}${issue.message}`);
        }
      } else {
        for (const [name, input] of Object.entries(parsed.data)) {
          if (!AGENT_PROFILE_NAME.test(name)) {
            problems.push(`${source}: profile name ${JSON.stringify(name)} must be 1 to 40 lower-case letters, digits, "_" or "-", starting with a letter`);
            continue;
          }
          if (name === DEMO_PROFILE_NAME) {
            problems.push(`${source}: the profile "demo" is built in and cannot be redefined`);
            continue;
          }
          for (const variable of input.passEnv) {
            if (isInfrastructureEnv(variable)) {
              problems.push(`${source}: ${name}.passEnv: ${variable} is an infrastructure variable and is never handed to an agent`);
            } else if (!passEnvAllowed.has(variable)) {
              problems.push(`${source}: ${name}.passEnv: ${variable} is not in GASTOWN_AGENT_PASS_ENV_ALLOWED`);
            }
          }
          profiles.set(name, {
            name,
            run: { kind: 'command', command: input.command, stdin: input.stdin },
            passEnv: input.passEnv,
            network: input.network,
            timeoutMs: input.timeoutMs ?? null,
          });
        }
      }
    }
  }

  if (problems.length > 0) return { ok: false, problems };
  return { ok: true, policy: { profiles, allowTownCommands, passEnvAllowed } };
}

function catalogueText(
  settings: AgentPolicySettings,
  readFile: (path: string) => string,
  problems: string[],
): { source: string; text: string } | null {
  const path = settings.GASTOWN_AGENT_PROFILES ?? '';
  const inline = settings.GASTOWN_AGENT_PROFILES_JSON ?? '';
  if (path !== '' && inline !== '') {
    problems.push('GASTOWN_AGENT_PROFILES and GASTOWN_AGENT_PROFILES_JSON are both set: set one of them');
    return null;
  }
  if (inline !== '') return { source: 'GASTOWN_AGENT_PROFILES_JSON', text: inline };
  if (path === '') return null;
  try {
    return { source: `GASTOWN_AGENT_PROFILES (${path})`, text: readFile(path) };
  } catch (error) {
    problems.push(`GASTOWN_AGENT_PROFILES: cannot read ${path}: ${(error as Error).message}`);
    return null;
  }
}

/** The profile names, for an error that tells a town what it may pick. */
export function profileNames(policy: AgentPolicy): string {
  return [...policy.profiles.keys()].join(', ');
}

/** Why the runner may not hand `name` to an agent under this policy, or null. */
export function passEnvProblem(name: string, policy: AgentPolicy): string | null {
  if (isInfrastructureEnv(name)) return `${name} is an infrastructure variable and is never handed to an agent`;
  if (!policy.passEnvAllowed.has(name)) return `${name} is not one the operator allows agents to receive (GASTOWN_AGENT_PASS_ENV_ALLOWED)`;
  return null;
}
