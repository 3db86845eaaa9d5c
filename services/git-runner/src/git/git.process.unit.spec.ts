import { redactCredentials } from '@gastown/contracts';
import { displayUrl, urlSecrets } from './git.process';

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
