import { consumerCheck, evaluateReadiness, Readiness } from './readiness';

describe('readiness', () => {
  it('given every check passing, when evaluated, then ready with each check named', async () => {
    const report = await evaluateReadiness([
      { name: 'nats', check: () => ({ ok: true, detail: '127.0.0.1:4222 in 0.3 ms' }) },
      consumerCheck('read-models', async () => ({ bound: true, pending: 0, ackPending: 0 })),
    ]);
    expect(report).toEqual({
      ready: true,
      checks: [
        { name: 'nats', ok: true, detail: '127.0.0.1:4222 in 0.3 ms' },
        { name: 'consumer read-models', ok: true, detail: '0 pending' },
      ],
    });
  });

  it('given a failing, a throwing and a silent check, when evaluated, then not ready and each says why, without holding up the others', async () => {
    const started = Date.now();
    const report = await evaluateReadiness(
      [
        { name: 'nats', check: () => ({ ok: true }) },
        consumerCheck('git-runner-agent', async () => ({ bound: false, reason: 'consumer not found' })),
        { name: 'postgres', check: async () => Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:5432')) },
        { name: 'projector', check: () => new Promise(() => undefined) },
      ],
      200,
    );
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(report.ready).toBe(false);
    expect(report.checks).toEqual([
      { name: 'nats', ok: true },
      { name: 'consumer git-runner-agent', ok: false, reason: 'consumer not found' },
      { name: 'postgres', ok: false, reason: 'connect ECONNREFUSED 127.0.0.1:5432' },
      { name: 'projector', ok: false, reason: 'the projector check did not answer within 200 ms' },
    ]);
  });

  it('given no check registered yet, when evaluated, then the service is still starting', async () => {
    expect(await evaluateReadiness([])).toEqual({ ready: false, checks: [{ name: 'startup', ok: false, reason: 'the service is still starting' }] });
  });

  it('given a service that started to stop, when evaluated, then it is not ready whatever its checks say', async () => {
    const readiness = new Readiness({ cacheMs: 0 });
    readiness.add({ name: 'nats', check: () => ({ ok: true }) });
    expect((await readiness.report()).ready).toBe(true);
    readiness.stop('draining (GIT_RUNNER_DRAIN_MS)');
    readiness.stop('shutting down');
    expect(await readiness.report()).toEqual({ ready: false, checks: [{ name: 'lifecycle', ok: false, reason: 'draining (GIT_RUNNER_DRAIN_MS)' }] });
  });
});
