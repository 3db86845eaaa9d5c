import fc from 'fast-check';
import { WebhookDeliveryJob, type GastownEvent, type NewEvent, type WebhookEventType } from '@gastown/contracts';
import { convoyOutcomes, deliveryIdOf, foldWebhooks, landedRigsOf, plannedDeliveries, type WebhookConfig, type Webhooks } from './webhook.notifications';

const TOWN = '0b7a6c1e-3f2d-4e5a-9b8c-1d2e3f4a5b6c';
const CONVOY = 'aaaaaaaa-0000-4000-8000-000000000001';
const RIG = '11111111-1111-4111-8111-111111111111';
const RIG_WEB = '22222222-2222-4222-8222-222222222222';
const HOOK_ALL = '33333333-3333-4333-8333-333333333333';
const HOOK_LANDED = '44444444-4444-4444-8444-444444444444';
const SECRET = { alg: 'A256GCM' as const, keyId: '0f3a9c1e7b2d4a68', nonce: '2xWq0n4v9Kc1Zp7L', sealed: 'Q0JqY3h2bW5aTnR5V0VlQk9WR2dPQk1zZ0hBc2l2a3Jp' };
const AT = '2026-01-01T09:00:00.000Z';
const HEADER = { title: 'Login page', mergeMode: 'REVIEW_THEN_LAND' as const };
const ENQUEUED = '2026-01-01T09:00:01.000Z';

let n = 0;
function event(step: NewEvent, convoyId: string | null = CONVOY): GastownEvent {
  n++;
  return {
    eventId: `5e0c1f3a-0000-5b2c-8d3e-${String(n).padStart(12, '0')}`,
    schemaVersion: 1,
    townId: TOWN,
    convoyId,
    commandId: `cmd-${n}`,
    causationId: null,
    correlationId: `cmd-${n}`,
    actor: { kind: 'service', id: 'spec' },
    occurredAt: AT,
    ...step,
  } as GastownEvent;
}

const hook = (webhookId: string, events: WebhookEventType[]): WebhookConfig => ({
  webhookId,
  url: `https://hooks.example.com/${webhookId}`,
  events,
  secret: SECRET,
});
const webhooksOf = (...hooks: WebhookConfig[]): Webhooks => new Map(hooks.map((h) => [h.webhookId, h]));
const ALL: WebhookEventType[] = ['CONVOY_LANDED', 'CONVOY_FAILED', 'CONVOY_CANCELLED'];

const landed = () => event({ type: 'ConvoyLanded', data: { landings: [{ rigId: RIG, commit: 'ab'.repeat(20) }] } });
const failed = () => event({ type: 'ConvoyFailed', data: { reason: 'bead "API" failed 3 times', failedBeadIds: [] } });
const cancelled = () =>
  event({ type: 'ConvoyCancelled', data: { reason: 'not needed', stopAgents: [], dropReviews: [], dropLanding: false } });

describe('webhook notifications', () => {
  describe('foldWebhooks', () => {
    it('given town events, when folded, then added webhooks are kept until removed and other events change nothing', () => {
      const webhooks = [
        event({ type: 'TownCreated', data: { name: 'acme', tokenHash: 'ab'.repeat(32) } }, null),
        event({ type: 'WebhookAdded', data: { ...hook(HOOK_ALL, ALL), events: [...ALL] } }, null),
        event({ type: 'WebhookAdded', data: { ...hook(HOOK_LANDED, ['CONVOY_LANDED']), events: ['CONVOY_LANDED'] } }, null),
        event({ type: 'WebhookRemoved', data: { webhookId: HOOK_ALL } }, null),
      ].reduce(foldWebhooks, new Map());
      expect([...webhooks.values()]).toEqual([hook(HOOK_LANDED, ['CONVOY_LANDED'])]);
    });
  });

  describe('plannedDeliveries', () => {
    it('given a landing and two webhooks, when planned, then each subscribed webhook gets one signed-ready job with the landing', () => {
      const outcome = landed();
      const jobs = plannedDeliveries({ seq: 42, events: [outcome] }, webhooksOf(hook(HOOK_ALL, ALL), hook(HOOK_LANDED, ['CONVOY_LANDED'])), HEADER, ENQUEUED);
      expect(jobs.map((j) => j.webhookId)).toEqual([HOOK_ALL, HOOK_LANDED]);
      expect(jobs[0]).toEqual({
        deliveryId: deliveryIdOf(HOOK_ALL, outcome.eventId),
        townId: TOWN,
        webhookId: HOOK_ALL,
        convoyId: CONVOY,
        event: 'CONVOY_LANDED',
        enqueuedAt: ENQUEUED,
        payload: {
          id: deliveryIdOf(HOOK_ALL, outcome.eventId),
          event: 'convoy.landed',
          townId: TOWN,
          convoy: {
            id: CONVOY,
            title: 'Login page',
            status: 'LANDED',
            mergeMode: 'REVIEW_THEN_LAND',
            landings: [{ rigId: RIG, commit: 'ab'.repeat(20) }],
            failureReason: null,
            cancelReason: null,
          },
          sequence: 42,
          occurredAt: AT,
        },
      });
      for (const job of jobs) expect(WebhookDeliveryJob.parse(job)).toEqual(job);
    });

    it('given a failure and a cancellation, when planned, then each carries its reason and only subscribers are told', () => {
      const hooks = webhooksOf(hook(HOOK_ALL, ALL), hook(HOOK_LANDED, ['CONVOY_LANDED']));
      const [onFailure] = plannedDeliveries({ seq: 7, events: [failed()] }, hooks, HEADER, ENQUEUED);
      const onCancel = plannedDeliveries({ seq: 8, events: [cancelled()] }, hooks, HEADER, ENQUEUED);
      expect(onFailure.payload).toMatchObject({
        event: 'convoy.failed',
        convoy: { status: 'FAILED', failureReason: 'bead "API" failed 3 times', cancelReason: null, landings: [] },
      });
      expect(onCancel).toHaveLength(1);
      expect(onCancel[0].payload).toMatchObject({ event: 'convoy.cancelled', convoy: { status: 'CANCELLED', cancelReason: 'not needed' } });
    });

    it('given a convoy landed on one rig and failed on the other, when the failure is planned, then landings name the landed rig and its commit, in the payload schema', () => {
      const history = [
        event({ type: 'RigLanded', data: { rigId: RIG, commit: 'ab'.repeat(20), targetBranch: 'main' } }),
        event({ type: 'ConvoyLandingFailed', data: { attempt: 1, reason: 'merge conflict in shared.txt', rigId: RIG_WEB } }),
        // A redelivered record never moves a landing: the first commit stands.
        event({ type: 'RigLanded', data: { rigId: RIG, commit: 'cd'.repeat(20), targetBranch: 'main' } }),
      ];
      const landed = landedRigsOf(history);
      expect(landed).toEqual([{ rigId: RIG, commit: 'ab'.repeat(20) }]);

      const [job] = plannedDeliveries({ seq: 12, events: [failed()] }, webhooksOf(hook(HOOK_ALL, ALL)), HEADER, ENQUEUED, landed);

      expect(job.payload.convoy).toMatchObject({ status: 'FAILED', failureReason: 'bead "API" failed 3 times', landings: [{ rigId: RIG, commit: 'ab'.repeat(20) }] });
      expect(WebhookDeliveryJob.parse(job)).toEqual(job);
    });

    it('given a landing, when planned with earlier landed rigs, then the landing lists its own rigs, which name every rig', () => {
      const outcome = event({ type: 'ConvoyLanded', data: { landings: [{ rigId: RIG, commit: 'ab'.repeat(20) }, { rigId: RIG_WEB, commit: 'ef'.repeat(20) }] } });
      const [job] = plannedDeliveries({ seq: 20, events: [outcome] }, webhooksOf(hook(HOOK_ALL, ALL)), HEADER, ENQUEUED, [{ rigId: RIG, commit: 'ab'.repeat(20) }]);
      expect(job.payload.convoy.landings).toEqual([
        { rigId: RIG, commit: 'ab'.repeat(20) },
        { rigId: RIG_WEB, commit: 'ef'.repeat(20) },
      ]);
    });

    it('given a commit without an outcome, when planned, then nothing is queued', () => {
      const progress = event({ type: 'ConvoyReadyToLand', data: {} } as NewEvent);
      expect(convoyOutcomes([progress])).toEqual([]);
      expect(plannedDeliveries({ seq: 3, events: [progress] }, webhooksOf(hook(HOOK_ALL, ALL)), HEADER, ENQUEUED)).toEqual([]);
    });

    it('given a webhook with a secret, when a delivery is planned, then the secret is nowhere in the job', () => {
      const [job] = plannedDeliveries({ seq: 42, events: [landed()] }, webhooksOf(hook(HOOK_ALL, ALL)), HEADER, ENQUEUED);
      expect(JSON.stringify(job)).not.toContain(SECRET.sealed);
    });

    it('given any webhooks and outcomes, when planned twice, then the same delivery ids come out, one per webhook and subscribed outcome', () => {
      const eventTypes = fc.subarray(ALL, { minLength: 1 });
      fc.assert(
        fc.property(
          fc.array(eventTypes, { maxLength: 5 }),
          fc.array(fc.constantFrom(landed, failed, cancelled), { maxLength: 3 }),
          (subscriptions, makers) => {
            const hooks = webhooksOf(...subscriptions.map((events, i) => hook(`55555555-5555-4555-8555-${String(i).padStart(12, '0')}`, events)));
            const commit = { seq: 9, events: makers.map((make) => make()) };
            const first = plannedDeliveries(commit, hooks, HEADER, ENQUEUED);
            const again = plannedDeliveries(commit, hooks, HEADER, ENQUEUED);
            const expected = commit.events.reduce((sum, e) => {
              const type = e.type === 'ConvoyLanded' ? 'CONVOY_LANDED' : e.type === 'ConvoyFailed' ? 'CONVOY_FAILED' : 'CONVOY_CANCELLED';
              return sum + subscriptions.filter((events) => events.includes(type)).length;
            }, 0);
            expect(again.map((j) => j.deliveryId)).toEqual(first.map((j) => j.deliveryId));
            expect(new Set(first.map((j) => j.deliveryId)).size).toBe(expected);
          },
        ),
      );
    });
  });
});
