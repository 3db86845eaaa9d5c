import { z } from 'zod';
import { ConfigError, namespaceSetting, natsUrlSetting, parseEnv, redactUrl, wholeNumberSetting } from './service.settings';

const Env = z.object({
  NATS_URL: natsUrlSetting(),
  GT_NAMESPACE: namespaceSetting(),
  WORKERS: wholeNumberSetting('WORKERS', 4, { max: 64 }),
  WAIT_MS: wholeNumberSetting('WAIT_MS', 1_000, { min: 100, max: 5_000, unit: ' ms' }),
});

describe('service settings', () => {
  it('given nothing set, when parsed, then the shared defaults apply', () => {
    expect(parseEnv('svc', Env, {})).toEqual({ NATS_URL: 'nats://127.0.0.1:4222', GT_NAMESPACE: 'gt', WORKERS: 4, WAIT_MS: 1_000 });
  });

  it('given a cluster list, when parsed, then it is accepted as given', () => {
    expect(parseEnv('svc', Env, { NATS_URL: 'nats://a:4222,nats://b:4222' }).NATS_URL).toBe('nats://a:4222,nats://b:4222');
  });

  it('given several bad values, when parsed, then each is its own line naming the variable and the range', () => {
    const parse = () => parseEnv('svc', Env, { NATS_URL: 'a:4222', GT_NAMESPACE: 'Prod', WORKERS: '0', WAIT_MS: 'soon' });
    expect(parse).toThrow(ConfigError);
    expect(parse).toThrow(
      'svc: invalid configuration\n' +
        '  - NATS_URL must look like nats://host:port (or a comma-separated list of such URLs)\n' +
        '  - GT_NAMESPACE must be lower-case letters, digits or _\n' +
        '  - WORKERS must be a whole number from 1 to 64, got "0"\n' +
        '  - WAIT_MS must be a whole number from 100 to 5000 ms, got "soon"',
    );
  });

  it('given URLs with credentials, when prepared for a log line, then no secret is left', () => {
    const line = redactUrl('nats://alice:s3cret@a:4222,nats://b:4222');
    expect(line).not.toMatch(/alice|s3cret/);
    expect(line).toBe('nats://***@a:4222,nats://b:4222');
  });
});
