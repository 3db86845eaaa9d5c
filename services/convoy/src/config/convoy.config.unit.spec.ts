import { loadConvoyConfig } from './convoy.config';
import { redactUrl } from '@gastown/service-runtime';

describe('convoy configuration', () => {
  it('given an empty environment, when loaded, then the documented defaults apply', () => {
    expect(loadConvoyConfig({})).toEqual({
      natsUrl: 'nats://127.0.0.1:4222',
      namespace: 'gt',
      maxTasks: 10_000,
      maxAttempts: 3,
      maxLandingAttempts: 3,
      maxPlanBytes: 8 * 1024 * 1024,
    });
  });

  it('given several bad values, when loaded, then each one is named in the error', () => {
    expect(() => loadConvoyConfig({ NATS_URL: 'localhost', CONVOY_MAX_TASKS: '-4', GT_NAMESPACE: 'Bad NS' })).toThrow(
      /NATS_URL must look like nats:\/\/host:port[\s\S]*GT_NAMESPACE must be[\s\S]*CONVOY_MAX_TASKS must be a positive whole number, got "-4"/,
    );
  });

  it('given a plan byte limit below 64 KiB, when loaded, then it is refused naming the variable and the range', () => {
    expect(() => loadConvoyConfig({ CONVOY_MAX_PLAN_BYTES: '1000' })).toThrow(
      /CONVOY_MAX_PLAN_BYTES must be a whole number from 65536 to 268435456 bytes, got "1000"/,
    );
  });

  it('given a server URL with credentials, when prepared for a log line, then the secret is gone', () => {
    const line = redactUrl('nats://alice:s3cret@nats.internal:4222');
    expect(line).not.toContain('s3cret');
    expect(line).not.toContain('alice');
    expect(line).toContain('nats.internal:4222');
  });
});
