import { inSpan, withLogFields } from '@gastown/bus';
import { trace } from '@opentelemetry/api';
import { InMemorySpanExporter, NodeTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-node';
import { logFormatOf, ServiceLogger } from './service.logger';

describe('service logger', () => {
  let written: string[];
  let errors: string[];
  let spies: jest.SpyInstance[];

  beforeEach(() => {
    written = [];
    errors = [];
    spies = [
      jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
        written.push(String(chunk));
        return true;
      }),
      jest.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
        errors.push(String(chunk));
        return true;
      }),
    ];
  });
  afterEach(() => spies.forEach((spy) => spy.mockRestore()));

  it('given Nest start-up narration, when logged, then it is dropped', () => {
    new ServiceLogger().log('AppModule dependencies initialized', 'InstanceLoader');
    new ServiceLogger(undefined, 'json').log('AppModule dependencies initialized', 'InstanceLoader');
    expect(written).toEqual([]);
  });

  it('given a service line in text, when logged, then it reads as time, level, context and message without a pid', () => {
    new ServiceLogger(undefined, 'text').log('convoy service ready', 'convoy');
    expect(written.join('')).toMatch(/^\d\d:\d\d:\d\d\.\d{3}\s+LOG \[convoy\] convoy service ready\n$/);
  });

  it('given a line in JSON, when logged, then it is one object with time, level, service, context and message', () => {
    new ServiceLogger(undefined, 'json', 'convoy').log('convoy service ready', 'convoy');
    expect(written).toHaveLength(1);
    expect(written[0].endsWith('\n')).toBe(true);
    const line = JSON.parse(written[0]);
    expect(line).toEqual({ time: expect.any(String), level: 'info', service: 'convoy', context: 'convoy', message: 'convoy service ready' });
    expect(new Date(line.time).toISOString()).toBe(line.time);
  });

  it('given a line written while a bead of a convoy is handled, when logged in JSON, then the ids are fields of their own', () => {
    withLogFields({ townId: 't-1', convoyId: 'c-1' }, () =>
      withLogFields({ beadId: 'b-1', rigId: null }, () => new ServiceLogger(undefined, 'json', 'dispatcher').warn('dispatch of bead b-1 refused', 'dispatcher')),
    );
    expect(JSON.parse(written[0])).toMatchObject({ level: 'warn', service: 'dispatcher', townId: 't-1', convoyId: 'c-1', beadId: 'b-1' });
    expect(JSON.parse(written[0])).not.toHaveProperty('rigId');
  });

  it('given an error with a stack and a credential, when logged in JSON, then it goes to stderr with both redacted', () => {
    new ServiceLogger(undefined, 'json', 'git-runner').error('clone of https://alice:s3cret@git.example/repo.git failed', 'Error: boom\n    at gt_abcdefghijklmnopqrstuvwxyz', 'git-runner');
    expect(written).toEqual([]);
    const line = JSON.parse(errors[0]);
    expect(line).toMatchObject({ level: 'error', message: 'clone of https://***@git.example/repo.git failed' });
    expect(line.stack).toContain('gt_***');
    expect(errors.join('')).not.toMatch(/s3cret|alice|abcdefghijklmnop/);
  });

  it('given a credential in a text line, when logged, then it is redacted too', () => {
    new ServiceLogger(undefined, 'text').warn('push to https://bob:hunter2@git.example failed', 'refinery');
    expect(written.join('')).toContain('https://***@git.example');
    expect(written.join('')).not.toContain('hunter2');
  });

  it('given a line inside a recorded span, when logged in JSON, then it names the trace', async () => {
    const provider = new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(new InMemorySpanExporter())] });
    provider.register();
    try {
      const traceId = await inSpan('work', {}, async () => {
        new ServiceLogger(undefined, 'json', 'convoy').log('handled', 'convoy');
        return trace.getActiveSpan()?.spanContext().traceId;
      });
      expect(JSON.parse(written[0])).toMatchObject({ traceId, spanId: expect.stringMatching(/^[0-9a-f]{16}$/) });
    } finally {
      await provider.shutdown();
      trace.disable();
    }
  });

  it('given GT_LOG_FORMAT or none, when the format is chosen, then the variable wins and otherwise a terminal gets text', () => {
    expect(logFormatOf({ GT_LOG_FORMAT: 'json' }, true)).toBe('json');
    expect(logFormatOf({ GT_LOG_FORMAT: 'text' }, false)).toBe('text');
    expect(logFormatOf({}, true)).toBe('text');
    expect(logFormatOf({}, false)).toBe('json');
  });
});
