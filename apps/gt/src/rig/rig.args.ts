import type { RegisterRigInput } from '@gastown/gateway-client';
import { integerFlag } from '../cli.command';
import { UsageError } from '../cli.errors';

export interface RigAddFlags {
  url?: string;
  branch?: string;
  'max-polecats'?: string;
  agent?: string;
  'agent-profile'?: string;
  'agent-command'?: string;
  check?: string[];
}

/**
 * An argument vector given as a JSON array of strings. Commands are never shell strings, so a
 * title or a path with spaces or quotes can never turn into another command.
 */
export function argvFlag(flag: string, value: string): string[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    throw new UsageError(`${flag} must be a JSON array of strings, e.g. '["npm","test"]', not ${JSON.stringify(value)}`);
  }
  if (!Array.isArray(parsed) || parsed.length === 0 || !parsed.every((arg) => typeof arg === 'string')) {
    throw new UsageError(`${flag} must be a non-empty JSON array of strings, e.g. '["npm","test"]'`);
  }
  return parsed as string[];
}

/** `--check name='["npm","test"]'`: the name before the first `=`, the argument vector after it. */
export function checkFlag(value: string): { name: string; command: string[] } {
  const at = value.indexOf('=');
  const name = at < 0 ? '' : value.slice(0, at).trim();
  if (!name) throw new UsageError(`--check must be name='<argv as JSON array>', e.g. --check test='["npm","test"]', not ${JSON.stringify(value)}`);
  return { name, command: argvFlag(`--check ${name}`, value.slice(at + 1)) };
}

export function rigAddInput(name: string, flags: RigAddFlags): RegisterRigInput {
  if (!flags.url?.trim()) throw new UsageError('--url is required: the git URL of the repository (a path, file://, ssh:// or https://)');
  const agentFlags = (['agent', 'agent-profile', 'agent-command'] as const).filter((flag) => flags[flag] !== undefined);
  if (agentFlags.length > 1) throw new UsageError(`give one of --agent demo, --agent-profile or --agent-command, not ${agentFlags.map((f) => `--${f}`).join(' and ')}`);
  if (flags.agent !== undefined && flags.agent.trim().toLowerCase() !== 'demo') {
    throw new UsageError(
      `--agent must be demo (use --agent-profile <name> for one of the operator's agent profiles, or --agent-command '<argv as JSON array>' where the operator allows it), not "${flags.agent}"`,
    );
  }
  const profile = flags['agent-profile']?.trim();
  if (profile === '') throw new UsageError("--agent-profile needs the name of one of the operator's agent profiles");
  const maxPolecats = integerFlag('max-polecats', flags['max-polecats'], 1, 1000);
  const checks = (flags.check ?? []).map(checkFlag);
  const names = checks.map((c) => c.name);
  const repeated = names.find((n, i) => names.indexOf(n) !== i);
  if (repeated) throw new UsageError(`--check ${repeated} is given twice`);
  const config: NonNullable<RegisterRigInput['config']> = {
    ...(maxPolecats !== undefined ? { maxPolecats } : {}),
    ...(flags.agent !== undefined ? { agent: { kind: 'DEMO' as const } } : {}),
    ...(profile !== undefined ? { agent: { kind: 'PROFILE' as const, profile } } : {}),
    ...(flags['agent-command'] !== undefined
      ? { agent: { kind: 'COMMAND' as const, command: argvFlag('--agent-command', flags['agent-command']) } }
      : {}),
    ...(checks.length > 0 ? { checks } : {}),
  };
  return {
    name,
    gitUrl: flags.url.trim(),
    defaultBranch: flags.branch?.trim() || 'main',
    ...(Object.keys(config).length > 0 ? { config } : {}),
  };
}
