import { attemptClaimKey } from '../domain/attempt.claim';
import { names, parseEventSubject } from './subject.builders';

describe('subjects', () => {
  const town = '2f1e8a5c-7d3b-4c1a-9e2f-0a1b2c3d4e5f';
  const convoy = '8c0f3b1e-5a6d-5e7f-8a9b-0c1d2e3f4a5b';

  it('given the default namespace, then each convoy has its own subject under the town', () => {
    const n = names();
    expect(n.convoyEvents(town, convoy)).toBe(`gt.evt.${town}.convoy.${convoy}`);
    expect(n.townEvents(town)).toBe(`gt.evt.${town}.town`);
    expect(n.eventStream).toBe('GT_EVENTS');
  });

  it('given a namespace, then the attempt claims live in its own KV bucket, shared by the git-runner and the gateway', () => {
    expect(names('prod').claimsBucket).toBe('prod-claims');
    expect(attemptClaimKey(convoy, 2)).toBe(`agent.${convoy}.2`);
  });

  it('given a namespace, then repository owners and the rig probe are its own and outside every stream', () => {
    const n = names('prod');
    expect(n.repositoryOwnersBucket).toBe('prod-repo-owners');
    expect(n.rigProbe).toBe('prod.rpc.rig.probe');
    for (const streamed of [n.allEvents, `${n.namespace}.job.>`, n.allWebhookLogs]) {
      expect(n.rigProbe.startsWith(streamed.replace('>', ''))).toBe(false);
    }
  });

  it('given a namespace, then webhook jobs are a kind of their own on the job stream and the delivery log has a subject per webhook', () => {
    const n = names('prod');
    expect(n.webhookJob(town)).toBe(`prod.job.webhook.${town}`);
    expect(n.webhookJobs).toBe('prod.job.webhook.*');
    expect(n.jobs('land')).not.toBe(n.webhookJobs);
    expect(n.webhookLog(town, convoy)).toBe(`prod.whk.${town}.${convoy}`);
    expect(n.allWebhookLogs).toBe('prod.whk.>');
    expect(n.webhookLogStream).toBe('PROD_WEBHOOKS');
  });

  it('given a subject, when parsed, then town and convoy come back', () => {
    expect(parseEventSubject('gt', `gt.evt.${town}.convoy.${convoy}`)).toEqual({ townId: town, convoyId: convoy });
    expect(parseEventSubject('gt', `gt.evt.${town}.town`)).toEqual({ townId: town, convoyId: null });
    expect(parseEventSubject('gt', `other.evt.${town}.town`)).toBeNull();
  });

  it('given an id with a wildcard or a dot, then no subject is built from it', () => {
    expect(() => names().convoyEvents(town, '>')).toThrow(/convoy id ">" cannot be used in a subject/);
    expect(() => names().townEvents('a.b')).toThrow(/town id "a.b"/);
  });

  it('given a namespace with capitals, then it is refused', () => {
    expect(() => names('Prod')).toThrow(/namespace "Prod"/);
  });
});
