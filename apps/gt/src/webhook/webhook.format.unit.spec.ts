import { formatDeliveries, formatWebhookAdded, parseWebhookEvents } from './webhook.format';

describe('webhook flags and output', () => {
  it('given short names in any case, when read, then they are the API events without repeats', () => {
    expect(parseWebhookEvents('landed, FAILED,convoy_cancelled,landed')).toEqual(['CONVOY_LANDED', 'CONVOY_FAILED', 'CONVOY_CANCELLED']);
  });

  it('given an unknown event, when read, then the usage error lists the known ones', () => {
    expect(() => parseWebhookEvents('landed,merged')).toThrow('--events: unknown event "merged" (known: landed, failed, cancelled)');
  });

  it('given a new webhook, when reported, then the secret is shown once with how it signs', () => {
    const lines = formatWebhookAdded({
      webhook: { id: 'w1', url: 'https://ci.example/hook', events: ['CONVOY_LANDED'], createdAt: '2026-11-23T12:00:00Z' },
      secret: 'whsec_abc',
    });
    expect(lines[0]).toBe('webhook w1 added: https://ci.example/hook (landed)');
    expect(lines[1]).toBe('secret (shown once, keep it secret): whsec_abc');
  });

  it('given a delivery that failed twice and then got through, when listed, then the last answer is shown', () => {
    const lines = formatDeliveries([
      {
        id: 'd1',
        webhookId: 'w1',
        convoyId: 'c1',
        event: 'CONVOY_LANDED',
        status: 'DELIVERED',
        createdAt: '2026-11-23T12:00:00Z',
        deliveredAt: '2026-11-23T12:00:03Z',
        attempts: [
          { attempt: 1, at: '2026-11-23T12:00:00Z', statusCode: null, error: 'ECONNREFUSED', durationMs: 2 },
          { attempt: 2, at: '2026-11-23T12:00:01Z', statusCode: 500, error: null, durationMs: 5 },
          { attempt: 3, at: '2026-11-23T12:00:03Z', statusCode: 204, error: null, durationMs: 4 },
        ],
      },
    ]);
    expect(lines[1]).toMatch(/^d1\s+landed\s+DELIVERED\s+3\s+HTTP 204\s+2026-11-23 12:00:00Z\s+c1\s+w1$/);
  });
});
