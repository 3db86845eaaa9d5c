import { UsageError } from '../cli.errors';
import { rigCredentialsInput, type CredentialSources } from './rig.credentials';

const sources = (env: Record<string, string>, files: Record<string, string> = {}): CredentialSources => ({
  env: (name) => env[name],
  readFile: (path) => {
    if (path in files) return files[path];
    throw Object.assign(new Error(`ENOENT: ${path}`), { code: 'ENOENT' });
  },
});

describe('rig credential flags', () => {
  it('given no credential flag, when read, then the rig asks for none', () => {
    expect(rigCredentialsInput({}, sources({}))).toBeUndefined();
  });

  it('given --token-env naming a set variable, when read, then the token comes from that variable, never from argv', () => {
    expect(rigCredentialsInput({ 'token-env': 'GIT_TOKEN', 'token-user': ' bot ' }, sources({ GIT_TOKEN: 's3cret' }))).toEqual({
      httpsToken: { token: 's3cret', username: 'bot' },
    });
  });

  it('given --token-env naming an unset variable, when read, then the error names the variable', () => {
    expect(() => rigCredentialsInput({ 'token-env': 'GIT_TOKEN' }, sources({}))).toThrow(
      new UsageError('--token-env GIT_TOKEN: the variable GIT_TOKEN is not set or empty'),
    );
  });

  it('given a token itself where the variable name goes, when read, then it is refused without echoing more than the flag value', () => {
    expect(() => rigCredentialsInput({ 'token-env': 'ghp_abc-def' }, sources({}))).toThrow(/--token-env takes the name of an environment variable/);
  });

  it('given a deploy key file and a known_hosts file, when read, then the key and each host line (no comments, no blanks) are sent', () => {
    const files = { '/k/id': '-----BEGIN OPENSSH PRIVATE KEY-----\nabc\n-----END OPENSSH PRIVATE KEY-----\n', '/k/hosts': '# scanned\ngit.example.com ssh-ed25519 AAAA\n\n' };
    expect(rigCredentialsInput({ 'ssh-key-file': '/k/id', 'known-hosts-file': '/k/hosts' }, sources({}, files))).toEqual({
      sshKey: { privateKey: files['/k/id'], knownHosts: ['git.example.com ssh-ed25519 AAAA'] },
    });
  });

  it('given a key file that cannot be read, when read, then the error names the flag, the path and why', () => {
    expect(() => rigCredentialsInput({ 'ssh-key-file': '/nope' }, sources({}))).toThrow(new UsageError('--ssh-key-file /nope: cannot read it (ENOENT)'));
  });

  it.each([
    [{ 'token-env': 'T', 'ssh-key-file': '/k' }, 'give one of --token-env or --ssh-key-file, not both'],
    [{ 'token-user': 'bot' }, '--token-user goes with --token-env'],
    [{ 'known-hosts-file': '/h' }, '--known-hosts-file goes with --ssh-key-file'],
  ])('given the flags %j, when read, then it is a usage error: %s', (flags, message) => {
    expect(() => rigCredentialsInput(flags, sources({ T: 'x' }))).toThrow(new UsageError(message));
  });
});
