import { DEFAULT_HEALTH_PORTS, loadObservabilitySettings } from './observability.settings';

describe('observability settings', () => {
  it('given nothing set, when read, then each service has its own loopback port and no two collide', () => {
    expect(loadObservabilitySettings('convoy', {}).health).toEqual({ host: '127.0.0.1', port: 9461 });
    expect(new Set(Object.values(DEFAULT_HEALTH_PORTS)).size).toBe(4);
    expect(Object.values(DEFAULT_HEALTH_PORTS)).not.toContain(4000);
  });

  it('given a shared host and a service host, when read, then the service host wins and 0 turns the listener off', () => {
    const env = { GT_HEALTH_HOST: '0.0.0.0', DISPATCHER_HEALTH_HOST: '::', GIT_RUNNER_HEALTH_PORT: '9999', GATEWAY_HEALTH_PORT: '0' };
    expect(loadObservabilitySettings('dispatcher', env).health).toEqual({ host: '::', port: 9462 });
    expect(loadObservabilitySettings('git-runner', env).health).toEqual({ host: '0.0.0.0', port: 9999 });
    expect(loadObservabilitySettings('gateway', env).health).toBeNull();
  });

  it('given the log format, when read, then json and text are taken and unset follows the terminal', () => {
    expect(loadObservabilitySettings('convoy', { GT_LOG_FORMAT: 'json' }).logFormat).toBe('json');
    expect(loadObservabilitySettings('convoy', { GT_LOG_FORMAT: 'text' }).logFormat).toBe('text');
  });

  it('given bad values, when read, then each is named on its own line', () => {
    expect(() =>
      loadObservabilitySettings('git-runner', {
        GT_HEALTH_HOST: 'http://0.0.0.0',
        GIT_RUNNER_HEALTH_PORT: '70000',
        GT_LOG_FORMAT: 'yaml',
        OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318',
      }),
    ).toThrow(
      'git-runner: invalid configuration\n' +
        '  - GT_HEALTH_HOST must be an IP address or a host name to listen on, without scheme or port (0.0.0.0 every IPv4 interface, :: every interface, 127.0.0.1 this machine only; got "http://0.0.0.0")\n' +
        '  - GIT_RUNNER_HEALTH_PORT must be a whole number from 0 to 65535, got "70000"\n' +
        '  - GT_LOG_FORMAT must be "json" or "text" (unset: text on a terminal, JSON otherwise)\n' +
        '  - OTEL_EXPORTER_OTLP_ENDPOINT must be the http:// or https:// URL of an OTLP/HTTP receiver, e.g. http://127.0.0.1:4318',
    );
  });

  it('given no sampler, when read, then traces follow their parent and every new one is kept, as OpenTelemetry has it', () => {
    expect(loadObservabilitySettings('gateway', {}).traceSampling).toEqual({ sampler: 'parentbased_always_on', ratio: 1 });
  });

  it.each([
    [{ OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.1' }, { sampler: 'parentbased_traceidratio', ratio: 0.1 }],
    [{ OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: '0' }, { sampler: 'traceidratio', ratio: 0 }],
    [{ OTEL_TRACES_SAMPLER: 'always_off' }, { sampler: 'always_off', ratio: 1 }],
    [{ OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '1' }, { sampler: 'parentbased_traceidratio', ratio: 1 }],
    [{ OTEL_TRACES_SAMPLER: '', OTEL_TRACES_SAMPLER_ARG: '' }, { sampler: 'parentbased_always_on', ratio: 1 }],
  ])('given %j, when read, then the sampling is %j', (env, sampling) => {
    expect(loadObservabilitySettings('dispatcher', env).traceSampling).toEqual(sampling);
  });

  it.each([
    [
      { OTEL_TRACES_SAMPLER: 'jaeger_remote' },
      'OTEL_TRACES_SAMPLER must be one of always_on, always_off, traceidratio, parentbased_always_on, parentbased_always_off, parentbased_traceidratio (unset: parentbased_always_on), got "jaeger_remote"',
    ],
    [
      { OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '10%' },
      'OTEL_TRACES_SAMPLER_ARG must be a ratio from 0 to 1, the share of new traces the traceidratio samplers keep (e.g. 0.1), got "10%"',
    ],
    [
      { OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: '1.5' },
      'OTEL_TRACES_SAMPLER_ARG must be a ratio from 0 to 1, the share of new traces the traceidratio samplers keep (e.g. 0.1), got "1.5"',
    ],
    [
      { OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: '-0.1' },
      'OTEL_TRACES_SAMPLER_ARG must be a ratio from 0 to 1, the share of new traces the traceidratio samplers keep (e.g. 0.1), got "-0.1"',
    ],
  ])('given %j, when read, then the service refuses to start naming the variable', (env, problem) => {
    expect(() => loadObservabilitySettings('convoy', env)).toThrow(`convoy: invalid configuration\n  - ${problem}`);
  });
});
