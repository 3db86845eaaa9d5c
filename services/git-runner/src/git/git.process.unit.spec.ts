import { redactCredentials } from '@gastown/contracts';
import { displayUrl, sshCommand, urlSecrets } from './git.process';

describe('credential redaction', () => {
  it('hides the userinfo of every URL in a message and every literal secret', () => {
    const url = 'https://x-access-token:ghs_S3cr%2Fet@git.example.com/acme/web.git';
    const secrets = urlSecrets(url);
    expect(secrets).toEqual(['ghs_S3cr%2Fet', 'ghs_S3cr/et']);

    const message = `fatal: unable to access '${url}/': 403\nremote: token ghs_S3cr/et is not valid for ssh://deploy:pw@other.example.com/x`;
    const redacted = redactCredentials(message, secrets);
    expect(redacted).toBe(
      "fatal: unable to access 'https://***@git.example.com/acme/web.git/': 403\nremote: token *** is not valid for ssh://***@other.example.com/x",
    );
  });

  it('leaves URLs without credentials, local paths and scp-like remotes alone', () => {
    expect(displayUrl('https://git.example.com/acme/web.git')).toBe('https://git.example.com/acme/web.git');
    expect(displayUrl('/srv/git/web.git')).toBe('/srv/git/web.git');
    expect(displayUrl('git@github.com:acme/web.git')).toBe('git@github.com:acme/web.git');
    expect(urlSecrets('git@github.com:acme/web.git')).toEqual([]);
    expect(urlSecrets('ssh://git@github.com/acme/web.git')).toEqual([]);
  });

  it('treats a lone HTTPS user name as a token', () => {
    expect(urlSecrets('https://ghp_T0ken@github.com/acme/web.git')).toEqual(['ghp_T0ken']);
    expect(displayUrl('https://ghp_T0ken@github.com/acme/web.git')).toBe('https://***@github.com/acme/web.git');
  });
});

describe('the ssh command of a remote command', () => {
  const target = { hostName: '203.0.113.7', hostKeyAlias: 'git.example.com' };
  const identity = { identityFile: '/srv/gt/.data/gt/credentials/ssh-AbC123/key', knownHostsFile: '/srv/gt/.data/gt/credentials/ssh-AbC123/known_hosts' };

  it('given no rig key, then ssh is contained and offers no key at all', () => {
    expect(sshCommand(false, target)).toBe(
      'ssh -F /dev/null -o BatchMode=yes -o IdentitiesOnly=yes -o IdentityAgent=none -o PasswordAuthentication=no -o KbdInteractiveAuthentication=no ' +
        '-o ProxyCommand=none -o ProxyJump=none -o StrictHostKeyChecking=yes -o IdentityFile=none -o HostName=203.0.113.7 -o HostKeyAlias=git.example.com',
    );
  });

  it("given the rig's deploy key, then ssh uses that key alone, trusts the rig's host keys besides the operator's, and still checks them strictly", () => {
    const command = sshCommand(false, target, identity);
    expect(command).toContain(`-o StrictHostKeyChecking=yes -o IdentityFile=${identity.identityFile} -o IdentitiesOnly=yes -o UserKnownHostsFile=${identity.knownHostsFile}`);
    expect(command).toContain('-o IdentityAgent=none');
    expect(command).not.toContain('IdentityFile=none');
    expect(command).toMatch(/-o HostName=203\.0\.113\.7 -o HostKeyAlias=git\.example\.com$/);
  });

  it("given a single-tenant runner, then its own ssh gets the rig's key added, and nothing without one", () => {
    expect(sshCommand(true, undefined, { identityFile: identity.identityFile })).toBe(`ssh -o IdentityFile=${identity.identityFile} -o IdentitiesOnly=yes`);
    expect(sshCommand(true)).toBe('ssh');
  });

  it('given a key path a shell would read as more than a path, then it is refused (git hands the command to a shell)', () => {
    expect(() => sshCommand(false, target, { identityFile: '/tmp/key; touch /tmp/pwned' })).toThrow('is not one the runner makes');
    expect(() => sshCommand(false, target, { identityFile: '/tmp/k', knownHostsFile: '/tmp/$(id)' })).toThrow('is not one the runner makes');
  });
});
