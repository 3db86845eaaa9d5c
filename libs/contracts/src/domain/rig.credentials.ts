import { createHash } from 'node:crypto';
import { z } from 'zod';
import { rigCredentialsContext, SealedSecret, type SecretKeyring } from './secret.sealing';

/**
 * Bounds of what a town may hand over. A token far longer than any host issues, an RSA-4096
 * OpenSSH key with room to spare (still under the sealed-secret bound), and a few host keys.
 */
export const RIG_CREDENTIAL_LIMITS = { username: 100, token: 4_096, privateKey: 10_000, knownHosts: 20, knownHostLine: 2_000 } as const;

/** The user name sent with a token when the town gives none: GitHub's for app and fine-grained tokens; other hosts ignore it. */
export const DEFAULT_TOKEN_USERNAME = 'x-access-token';

/** `<host patterns> <key type> <base64 key> [comment]`, optionally after `@cert-authority`; `@revoked` lines only take trust away. */
const KNOWN_HOST_LINE =
  /^(?:@(?:cert-authority|revoked) )?[\x21-\x7e]+ (?:ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(?:256|384|521)|sk-ssh-ed25519@openssh\.com|sk-ecdsa-sha2-nistp256@openssh\.com)(?:-cert-v01@openssh\.com)? [A-Za-z0-9+/]+={0,2}(?: [\x20-\x7e]*)?$/;
/** Printable ASCII without space or colon: what fits a Basic authorization header without escaping. */
const HEADER_SAFE_USER = /^[\x21-\x39\x3b-\x7e]+$/;
/** Printable ASCII without space: a token travels in an HTTP header, where a line break would inject another. */
const HEADER_SAFE_TOKEN = /^[\x21-\x7e]+$/;
const FINGERPRINT = /^SHA256:[A-Za-z0-9+/]{43}$/;

/**
 * A rig's git credentials as they travel in a command, the probe request and an event: the
 * secret sealed for this town's rig only (see secret.sealing.ts), the rest in clear because the
 * API shows it (the token's user name, the deploy key's fingerprint, the host keys it trusts).
 */
export const RigCredentials = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('https'),
    username: z.string().min(1).max(RIG_CREDENTIAL_LIMITS.username).regex(HEADER_SAFE_USER),
    token: SealedSecret,
  }),
  z.object({
    kind: z.literal('ssh'),
    fingerprint: z.string().regex(FINGERPRINT),
    knownHosts: z.array(z.string().regex(KNOWN_HOST_LINE).max(RIG_CREDENTIAL_LIMITS.knownHostLine)).max(RIG_CREDENTIAL_LIMITS.knownHosts),
    privateKey: SealedSecret,
  }),
]);
export type RigCredentials = z.infer<typeof RigCredentials>;
export type RigCredentialKind = RigCredentials['kind'];

/** What a town sends: the secret in clear, only ever between the client, the gateway and (opened) the runner. */
export type RigCredentialsInput =
  | { kind: 'https'; username?: string; token: string }
  | { kind: 'ssh'; privateKey: string; knownHosts?: readonly string[] };

/** Opened for the runner's own git: never written to an event, a log or the sandbox. */
export type OpenRigCredentials =
  | { kind: 'https'; username: string; token: string }
  | { kind: 'ssh'; fingerprint: string; privateKey: string; knownHosts: readonly string[] };

/** One problem of a credentials input: the path below the input field, and a message that never holds the secret. */
export interface CredentialProblem {
  path: (string | number)[];
  message: string;
}

/**
 * The SHA256 fingerprint of an OpenSSH private key (as `ssh-keygen -l` prints it), read from the
 * public key the file carries in clear, or the reason the key cannot be used. Only the OpenSSH
 * format without a passphrase: the runner runs ssh with no one to type one.
 */
export function sshKeyFingerprint(privateKey: string): { fingerprint: string } | { problem: string } {
  const match = /^-----BEGIN OPENSSH PRIVATE KEY-----\r?\n([A-Za-z0-9+/=\r\n]+)-----END OPENSSH PRIVATE KEY-----\s*$/.exec(privateKey.trim() + '\n');
  const notOpenSsh = {
    problem: 'must be an OpenSSH private key ("-----BEGIN OPENSSH PRIVATE KEY-----"); convert another format with `ssh-keygen -p -f <file>`',
  };
  if (!match) return notOpenSsh;
  const bytes = Buffer.from(match[1].replace(/\s/g, ''), 'base64');
  const magic = Buffer.from('openssh-key-v1\0', 'latin1');
  if (!bytes.subarray(0, magic.length).equals(magic)) return notOpenSsh;
  let offset = magic.length;
  const field = (): Buffer | null => {
    if (offset + 4 > bytes.length) return null;
    const length = bytes.readUInt32BE(offset);
    if (offset + 4 + length > bytes.length) return null;
    const value = bytes.subarray(offset + 4, offset + 4 + length);
    offset += 4 + length;
    return value;
  };
  const cipher = field();
  field(); // kdf name
  field(); // kdf options
  if (cipher === null || offset + 4 > bytes.length) return notOpenSsh;
  const count = bytes.readUInt32BE(offset);
  offset += 4;
  const publicKey = field();
  if (publicKey === null || publicKey.length === 0) return notOpenSsh;
  if (cipher.toString('latin1') !== 'none') {
    return { problem: "is protected by a passphrase, which no one is there to type: remove it with `ssh-keygen -p -N '' -f <file>`" };
  }
  if (count !== 1) return { problem: `must hold one key (it holds ${count})` };
  return { fingerprint: `SHA256:${createHash('sha256').update(publicKey).digest('base64').replace(/=+$/, '')}` };
}

/** Every problem of a town's credentials input; empty when they can be sealed. */
export function rigCredentialsProblems(input: RigCredentialsInput): CredentialProblem[] {
  const problems: CredentialProblem[] = [];
  if (input.kind === 'https') {
    const username = input.username ?? DEFAULT_TOKEN_USERNAME;
    if (username.length === 0 || username.length > RIG_CREDENTIAL_LIMITS.username || !HEADER_SAFE_USER.test(username)) {
      problems.push({
        path: ['username'],
        message: `username must be 1 to ${RIG_CREDENTIAL_LIMITS.username} printable ASCII characters without space or ":"`,
      });
    }
    // Never echoed: the message says what is wrong with the token, not what it is.
    if (input.token.length === 0 || input.token.length > RIG_CREDENTIAL_LIMITS.token || !HEADER_SAFE_TOKEN.test(input.token)) {
      problems.push({ path: ['token'], message: `token must be 1 to ${RIG_CREDENTIAL_LIMITS.token} printable ASCII characters without space` });
    }
    return problems;
  }
  if (input.privateKey.length > RIG_CREDENTIAL_LIMITS.privateKey) {
    problems.push({ path: ['privateKey'], message: `privateKey must be at most ${RIG_CREDENTIAL_LIMITS.privateKey} characters` });
  } else {
    const key = sshKeyFingerprint(input.privateKey);
    if ('problem' in key) problems.push({ path: ['privateKey'], message: `privateKey ${key.problem}` });
  }
  const knownHosts = input.knownHosts ?? [];
  if (knownHosts.length > RIG_CREDENTIAL_LIMITS.knownHosts) {
    problems.push({ path: ['knownHosts'], message: `knownHosts may hold at most ${RIG_CREDENTIAL_LIMITS.knownHosts} lines (it has ${knownHosts.length})` });
  }
  knownHosts.forEach((line, i) => {
    if (line.length > RIG_CREDENTIAL_LIMITS.knownHostLine || !KNOWN_HOST_LINE.test(line)) {
      problems.push({
        path: ['knownHosts', i],
        message: `knownHosts[${i}] must be one known_hosts line: "<host> <key type> <base64 key>", as \`ssh-keyscan <host>\` prints it`,
      });
    }
  });
  return problems;
}

/** Seals a checked input for one town's rig (call rigCredentialsProblems first). */
export function sealRigCredentials(keyring: SecretKeyring, townId: string, rigId: string, input: RigCredentialsInput): RigCredentials {
  const context = rigCredentialsContext(townId, rigId);
  if (input.kind === 'https') {
    return { kind: 'https', username: input.username ?? DEFAULT_TOKEN_USERNAME, token: keyring.seal(input.token, context) };
  }
  const key = sshKeyFingerprint(input.privateKey);
  if ('problem' in key) throw new Error(`privateKey ${key.problem}`);
  // ssh refuses a key file without its final newline.
  const privateKey = `${input.privateKey.trim()}\n`;
  return { kind: 'ssh', fingerprint: key.fingerprint, knownHosts: [...(input.knownHosts ?? [])], privateKey: keyring.seal(privateKey, context) };
}

/** Opens a rig's credentials for its own town and rig; a copy under another rig or town throws SecretUnavailableError. */
export function openRigCredentials(keyring: SecretKeyring, townId: string, rigId: string, credentials: RigCredentials): OpenRigCredentials {
  const context = rigCredentialsContext(townId, rigId);
  if (credentials.kind === 'https') return { kind: 'https', username: credentials.username, token: keyring.open(credentials.token, context) };
  return { kind: 'ssh', fingerprint: credentials.fingerprint, knownHosts: credentials.knownHosts, privateKey: keyring.open(credentials.privateKey, context) };
}
