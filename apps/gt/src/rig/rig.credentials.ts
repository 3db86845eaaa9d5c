import type { RigCredentialsInput } from '@gastown/gateway-client';
import { UsageError } from '../cli.errors';

export interface RigCredentialFlags {
  'token-env'?: string;
  'token-user'?: string;
  'ssh-key-file'?: string;
  'known-hosts-file'?: string;
}

/** Where a credential is read from: never argv, which every user of the machine can list. */
export interface CredentialSources {
  env(name: string): string | undefined;
  readFile(path: string): string;
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * The rig's git credentials from the flags that name where they are: a token in an environment
 * variable (`--token-env`), a deploy key and its host keys in files. undefined when no flag asks
 * for one; a flag that names nothing usable is a usage error that says which.
 */
export function rigCredentialsInput(flags: RigCredentialFlags, from: CredentialSources): RigCredentialsInput | undefined {
  const tokenEnv = flags['token-env'];
  const keyFile = flags['ssh-key-file'];
  if (tokenEnv !== undefined && keyFile !== undefined) throw new UsageError('give one of --token-env or --ssh-key-file, not both');
  if (flags['token-user'] !== undefined && tokenEnv === undefined) throw new UsageError('--token-user goes with --token-env');
  if (flags['known-hosts-file'] !== undefined && keyFile === undefined) throw new UsageError('--known-hosts-file goes with --ssh-key-file');
  if (tokenEnv !== undefined) {
    if (!ENV_NAME.test(tokenEnv)) {
      throw new UsageError(`--token-env takes the name of an environment variable that holds the token (e.g. --token-env GIT_TOKEN), not ${JSON.stringify(tokenEnv)}`);
    }
    const token = from.env(tokenEnv);
    if (!token) throw new UsageError(`--token-env ${tokenEnv}: the variable ${tokenEnv} is not set or empty`);
    const username = flags['token-user']?.trim();
    return { httpsToken: { token, ...(username ? { username } : {}) } };
  }
  if (keyFile !== undefined) {
    const privateKey = readable(from, '--ssh-key-file', keyFile);
    const hostsFile = flags['known-hosts-file'];
    const knownHosts =
      hostsFile === undefined
        ? undefined
        : readable(from, '--known-hosts-file', hostsFile)
            .split('\n')
            .map((line) => line.trim())
            .filter((line) => line !== '' && !line.startsWith('#'));
    return { sshKey: { privateKey, ...(knownHosts ? { knownHosts } : {}) } };
  }
  return undefined;
}

function readable(from: CredentialSources, flag: string, path: string): string {
  try {
    return from.readFile(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new UsageError(`${flag} ${path}: cannot read it (${code ?? (error as Error).message})`);
  }
}

export const CREDENTIAL_OPTIONS = {
  'token-env': { type: 'string' },
  'token-user': { type: 'string' },
  'ssh-key-file': { type: 'string' },
  'known-hosts-file': { type: 'string' },
} as const;

export const CREDENTIAL_USAGE = '[--token-env NAME [--token-user USER] | --ssh-key-file PATH [--known-hosts-file PATH]]';
