import fc from 'fast-check';
import { names } from '@gastown/contracts';
import { inboxPrefixOf, NATS_SERVICES, natsAuthorizationConfig, natsUserOf, permissionMatrix, type NatsService } from './nats.permissions';

/** NATS subject matching: `*` is one token, `>` the rest (one token at least). */
function matches(pattern: string, subject: string): boolean {
  const p = pattern.split('.');
  const s = subject.split('.');
  for (let i = 0; i < p.length; i++) {
    if (p[i] === '>') return s.length > i;
    if (i >= s.length || (p[i] !== '*' && p[i] !== s[i])) return false;
  }
  return p.length === s.length;
}

const matrix = permissionMatrix('gt');
const n = names('gt');
const mayPublish = (service: NatsService, subject: string) => matrix[service].publish.some((p) => matches(p, subject));
const mayRead = (service: NatsService, subject: string) => matrix[service].subscribe.some((p) => matches(p, subject));
const publishers = (subject: string) => NATS_SERVICES.filter((s) => mayPublish(s, subject));
const id = fc.uuid();

describe('the NATS permission matrix', () => {
  it('given any town and convoy, when an event is appended to its subject, then only the convoy service (and the operator) may publish it', () => {
    fc.assert(
      fc.property(id, id, (town, convoy) => {
        expect(publishers(n.convoyEvents(town, convoy))).toEqual(['convoy', 'operator']);
        expect(publishers(n.townEvents(town))).toEqual(['convoy', 'operator']);
      }),
    );
  });

  it('given any rig and town, when a job or a webhook delivery is queued, then only the dispatcher (and the operator) may publish it: never the gateway nor the runner', () => {
    fc.assert(
      fc.property(id, fc.constantFrom('branch', 'agent', 'merge', 'land' as const), (rig, kind) => {
        expect(publishers(n.job(kind, rig))).toEqual(['dispatcher', 'operator']);
        expect(publishers(n.webhookJob(rig))).toEqual(['dispatcher', 'operator']);
      }),
    );
    expect(publishers(n.cancelBroadcast)).toEqual(['dispatcher', 'operator']);
  });

  it('given the command subjects, when checked, then the runner and dispatcher may send convoy commands only, and only the gateway and operator create towns and webhooks', () => {
    expect(publishers(n.commands.convoy)).toEqual(['dispatcher', 'git-runner', 'gateway', 'operator']);
    expect(publishers(n.commands.town)).toEqual(['gateway', 'operator']);
    expect(NATS_SERVICES.filter((s) => mayRead(s, n.commands.town))).toEqual(['convoy', 'operator']);
  });

  it("given each service, when it subscribes, then only its own inbox receives replies: no service may read another's or the shared _INBOX", () => {
    for (const service of NATS_SERVICES) {
      for (const other of NATS_SERVICES) {
        expect(mayRead(service, `${inboxPrefixOf(other, 'gt')}.abc.1`)).toBe(service === other);
      }
      expect(mayRead(service, '_INBOX.abc')).toBe(false);
      expect(mayRead(service, 'gt.evt.town-1.town')).toBe(service === 'operator');
    }
  });

  it('given the streams, when their limits are changed or they are deleted, then only the convoy service (owner of the topology) and the operator may', () => {
    for (const stream of [n.eventStream, n.jobStream, n.dlqStream, n.webhookLogStream]) {
      expect(publishers(`$JS.API.STREAM.UPDATE.${stream}`)).toEqual(['convoy', 'operator']);
      expect(publishers(`$JS.API.STREAM.DELETE.${stream}`)).toEqual(['operator']);
      expect(publishers(`$JS.API.STREAM.PURGE.${stream}`)).toEqual(['operator']);
    }
  });

  it('given the leases, when written, then only the git-runner may; the gateway may read attempt claims but not write them', () => {
    expect(publishers(`$KV.${n.leaseBucket}.rig.r1`)).toEqual(['git-runner', 'operator']);
    expect(publishers(`$KV.${n.claimsBucket}.agent.b.1`)).toEqual(['git-runner', 'operator']);
    expect(mayPublish('gateway', `$JS.API.DIRECT.GET.KV_${n.claimsBucket}.$KV.${n.claimsBucket}.agent.b.1`)).toBe(true);
  });

  it('given the holds registry, when written, then only the dispatcher records its holds and skips, the gateway (npm run holds) may ask for a release, and both may read', () => {
    fc.assert(
      fc.property(id, id, (town, convoy) => {
        const subject = n.convoyEvents(town, convoy);
        expect(publishers(`$KV.${n.holdsBucket}.held.dispatcher.${subject}`)).toEqual(['dispatcher', 'operator']);
        expect(publishers(`$KV.${n.holdsBucket}.skipped.dispatcher.${subject}.7`)).toEqual(['dispatcher', 'operator']);
        expect(publishers(`$KV.${n.holdsBucket}.release.dispatcher.${subject}`)).toEqual(['dispatcher', 'gateway', 'operator']);
        // Nobody may claim a hold for another service: the projector's holds are not in the registry.
        expect(publishers(`$KV.${n.holdsBucket}.held.projector.${subject}`)).toEqual(['operator']);
      }),
    );
    for (const service of ['dispatcher', 'gateway'] as const) {
      expect(mayPublish(service, `$JS.API.STREAM.MSG.GET.KV_${n.holdsBucket}`)).toBe(true);
      expect(mayPublish(service, `$JS.API.CONSUMER.CREATE.KV_${n.holdsBucket}.abc.$KV.${n.holdsBucket}.held.>`)).toBe(true);
    }
    expect(mayPublish('git-runner', `$KV.${n.holdsBucket}.release.dispatcher.x`)).toBe(false);
  });

  it('given two namespaces on one server, when their matrices are compared, then neither user may touch the other namespace', () => {
    const other = permissionMatrix('prod');
    expect(other.convoy.publish.some((p) => matches(p, n.convoyEvents('t', 'c')))).toBe(false);
    expect(other.operator.publish.some((p) => matches(p, n.job('agent', 'r')))).toBe(false);
  });

  it('given the rig probe, when asked, then only the gateway (and the operator) may ask and only git-runners answer', () => {
    expect(publishers(n.rigProbe)).toEqual(['gateway', 'operator']);
    expect(NATS_SERVICES.filter((s) => mayRead(s, n.rigProbe))).toEqual(['git-runner', 'operator']);
    expect(matrix['git-runner'].allowResponses).toBe(true);
  });

  it('given users and passwords, when the server configuration is rendered, then it names every user once with its password quoted and grants responses to the services that answer requests alone', () => {
    const users = Object.fromEntries(NATS_SERVICES.map((s) => [s, { user: natsUserOf(s, 'gt'), password: `p"w-${s}` }])) as Record<
      NatsService,
      { user: string; password: string }
    >;
    const config = natsAuthorizationConfig(users, 'gt');
    for (const service of NATS_SERVICES) {
      expect(config.split(`user: "gt-${service}"`)).toHaveLength(2);
      expect(config).toContain(`password: ${JSON.stringify(`p"w-${service}`)}`);
    }
    expect(config.match(/allow_responses: true/g)).toHaveLength(2);
    expect(config.startsWith('authorization {')).toBe(true);
  });
});
