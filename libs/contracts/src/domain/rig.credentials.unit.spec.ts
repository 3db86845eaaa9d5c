import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DEFAULT_TOKEN_USERNAME,
  openRigCredentials,
  RigCredentials,
  rigCredentialsProblems,
  sealRigCredentials,
  sshKeyFingerprint,
} from './rig.credentials';
import { SecretKeyring, SecretUnavailableError } from './secret.sealing';

const TOWN = '2f1e8a5c-7d3b-4c1a-9e2f-0a1b2c3d4e5f';
const RIG = '4b7e1d2c-3a5f-4e6d-8c9b-1a2b3c4d5e6f';
const HOST_KEY = 'git.example.com ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl';

/** Throwaway keys made by ssh-keygen itself, so the fingerprint is compared with what OpenSSH prints. */
function generateKey(passphrase = ''): { privateKey: string; fingerprint: string } {
  const dir = mkdtempSync(join(tmpdir(), 'gt-key-'));
  try {
    const file = join(dir, 'key');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', passphrase, '-C', '', '-f', file]);
    const fingerprint = execFileSync('ssh-keygen', ['-l', '-f', `${file}.pub`], { encoding: 'utf8' }).split(' ')[1];
    return { privateKey: readFileSync(file, 'utf8'), fingerprint };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('rig credentials', () => {
  const ring = new SecretKeyring(randomBytes(32));
  const key = generateKey();

  it('given an OpenSSH key, when fingerprinted, then the fingerprint is the one ssh-keygen prints', () => {
    expect(sshKeyFingerprint(key.privateKey)).toEqual({ fingerprint: key.fingerprint });
  });

  it('given a key with a passphrase, a PEM key or garbage, when checked, then each is refused with what to do, never echoing the key', () => {
    const locked = generateKey('correct horse');
    expect(rigCredentialsProblems({ kind: 'ssh', privateKey: locked.privateKey })).toEqual([
      { path: ['privateKey'], message: "privateKey is protected by a passphrase, which no one is there to type: remove it with `ssh-keygen -p -N '' -f <file>`" },
    ]);
    for (const privateKey of ['-----BEGIN RSA PRIVATE KEY-----\nMIIB\n-----END RSA PRIVATE KEY-----', 'hunter2', '']) {
      const [problem] = rigCredentialsProblems({ kind: 'ssh', privateKey });
      expect(problem.path).toEqual(['privateKey']);
      expect(problem.message).toMatch(/^privateKey must be an OpenSSH private key/);
    }
  });

  it('given known_hosts lines, when checked, then ssh-keyscan lines pass and anything else is named by its index', () => {
    expect(rigCredentialsProblems({ kind: 'ssh', privateKey: key.privateKey, knownHosts: [HOST_KEY, `@cert-authority *.example.com ${HOST_KEY.split(' ').slice(1).join(' ')}`] })).toEqual([]);
    const bad = ['git.example.com', `${HOST_KEY}\nevil.example.com ssh-ed25519 AAAA`, 'host ssh-dss AAAA', `${HOST_KEY}\0`];
    expect(rigCredentialsProblems({ kind: 'ssh', privateKey: key.privateKey, knownHosts: bad }).map((p) => p.path)).toEqual([
      ['knownHosts', 0],
      ['knownHosts', 1],
      ['knownHosts', 2],
      ['knownHosts', 3],
    ]);
    expect(rigCredentialsProblems({ kind: 'ssh', privateKey: key.privateKey, knownHosts: Array(21).fill(HOST_KEY) })[0].path).toEqual(['knownHosts']);
  });

  it('given a token with a line break, a space or nothing, or a user name with a colon, when checked, then it is refused without the token in the message', () => {
    const token = 'ghp_S3cret\r\nX-Injected: 1';
    const problems = rigCredentialsProblems({ kind: 'https', username: 'a:b', token });
    expect(problems.map((p) => p.path)).toEqual([['username'], ['token']]);
    expect(JSON.stringify(problems)).not.toContain('S3cret');
    expect(rigCredentialsProblems({ kind: 'https', token: '' }).map((p) => p.path)).toEqual([['token']]);
    expect(rigCredentialsProblems({ kind: 'https', token: 'ghp_ok' })).toEqual([]);
  });

  it('given a token, when sealed for a rig, then the event shape holds no trace of it, it opens for that rig only, and the default user name is filled in', () => {
    const token = 'ghp_TopSecretToken123';
    const sealed = sealRigCredentials(ring, TOWN, RIG, { kind: 'https', token });
    expect(RigCredentials.parse(sealed)).toEqual(sealed);
    expect(sealed).toMatchObject({ kind: 'https', username: DEFAULT_TOKEN_USERNAME });
    const text = JSON.stringify(sealed);
    for (const form of [token, Buffer.from(token).toString('base64'), Buffer.from(token).toString('hex')]) expect(text).not.toContain(form);
    expect(openRigCredentials(ring, TOWN, RIG, sealed)).toEqual({ kind: 'https', username: DEFAULT_TOKEN_USERNAME, token });
    const otherRig = '9b7e1d2c-3a5f-4e6d-8c9b-1a2b3c4d5e6f';
    const otherTown = '9f1e8a5c-7d3b-4c1a-9e2f-0a1b2c3d4e5f';
    expect(() => openRigCredentials(ring, TOWN, otherRig, sealed)).toThrow(SecretUnavailableError);
    expect(() => openRigCredentials(ring, otherTown, RIG, sealed)).toThrow(SecretUnavailableError);
  });

  it('given a deploy key, when sealed, then the fingerprint and host keys are in clear and the key opens with its final newline', () => {
    const sealed = sealRigCredentials(ring, TOWN, RIG, { kind: 'ssh', privateKey: key.privateKey.trim(), knownHosts: [HOST_KEY] });
    expect(sealed).toMatchObject({ kind: 'ssh', fingerprint: key.fingerprint, knownHosts: [HOST_KEY] });
    expect(JSON.stringify(sealed)).not.toContain(key.privateKey.split('\n')[1]);
    expect(openRigCredentials(ring, TOWN, RIG, sealed)).toMatchObject({ privateKey: `${key.privateKey.trim()}\n` });
  });
});
