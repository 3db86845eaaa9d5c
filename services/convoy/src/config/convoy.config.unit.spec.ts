import { loadConvoyConfig } from './convoy.config';
import { redactUrl } from '@gastown/service-runtime';
import { DEFAULT_AGENT_POLICY } from '@gastown/contracts';

describe('convoy configuration', () => {
  it('given an empty environment, when loaded, then the documented defaults apply', () => {
    expect(loadConvoyConfig({})).toEqual({
      natsUrl: 'nats://127.0.0.1:4222',
      namespace: 'gt',
      streamReplicas: 1,
      maxTasks: 10_000,
      maxAttempts: 3,
      maxLandingAttempts: 3,
      limits: { maxEdges: 100_000, maxRigsPerTown: 100, maxWebhooksPerTown: 10 },
      agents: DEFAULT_AGENT_POLICY,
      maxPlanBytes: 8 * 1024 * 1024,
    });
  });

  it('given several bad values, when loaded, then each one is named in the error', () => {
    expect(() => loadConvoyConfig({ NATS_URL: 'localhost', CONVOY_MAX_TASKS: '-4', GT_NAMESPACE: 'Bad NS' })).toThrow(
      /NATS_URL must be a nats:\/\/ or tls:\/\/ URL with a host[\s\S]*GT_NAMESPACE must be[\s\S]*CONVOY_MAX_TASKS must be a whole number from 1 to 1000000, got "-4"/,
    );
  });

  it('given town limits, when loaded, then the convoy and town deciders get them, and a limit of zero is refused naming the variable', () => {
    expect(loadConvoyConfig({ CONVOY_MAX_EDGES: '500', GASTOWN_MAX_RIGS_PER_TOWN: '3', GASTOWN_MAX_WEBHOOKS_PER_TOWN: '2' }).limits).toEqual({
      maxEdges: 500,
      maxRigsPerTown: 3,
      maxWebhooksPerTown: 2,
    });
    expect(() => loadConvoyConfig({ GASTOWN_MAX_RIGS_PER_TOWN: '0' })).toThrow(/GASTOWN_MAX_RIGS_PER_TOWN must be a whole number from 1 to 1000000, got "0"/);
  });

  it('given a plan byte limit below 64 KiB, when loaded, then it is refused naming the variable and the range', () => {
    expect(() => loadConvoyConfig({ CONVOY_MAX_PLAN_BYTES: '1000' })).toThrow(
      /CONVOY_MAX_PLAN_BYTES must be a whole number from 65536 to 268435456 bytes, got "1000"/,
    );
  });

  it('given agent settings, when loaded, then the operator catalogue is read, and bad ones are refused naming the variable', () => {
    const config = loadConvoyConfig({ GASTOWN_AGENT_PROFILES_JSON: '{"sleep":{"command":["sleep","30"]}}', GASTOWN_ALLOW_TOWN_AGENT_COMMANDS: 'true' });
    expect([...(config.agents?.profiles.keys() ?? [])]).toEqual(['demo', 'sleep']);
    expect(config.agents?.allowTownCommands).toBe(true);
    expect(() => loadConvoyConfig({ GASTOWN_AGENT_PASS_ENV_ALLOWED: 'NATS_URL' })).toThrow(
      'convoy service: invalid configuration\n  - GASTOWN_AGENT_PASS_ENV_ALLOWED: NATS_URL is an infrastructure variable and is never handed to an agent',
    );
  });

  it('given a server URL with credentials, when prepared for a log line, then the secret is gone', () => {
    const line = redactUrl('nats://alice:s3cret@nats.internal:4222');
    expect(line).not.toContain('s3cret');
    expect(line).not.toContain('alice');
    expect(line).toContain('nats.internal:4222');
  });
});
