import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { AGENT_OUTPUT_TAIL_MAX } from '../domain/agent.result';
import { createEventParser, EVENT_TYPES, eventSchemas, InvalidEventError, latestSchemaVersion, parseEvent, type EventType } from './event.catalogue';

const FIXTURES = join(__dirname, 'fixtures');
const fixture = (file: string) => JSON.parse(readFileSync(join(FIXTURES, file), 'utf8'));

describe('event catalogue', () => {
  const files = readdirSync(FIXTURES).filter((f) => f.endsWith('.json'));

  it('given the catalogue, then every event type and version has a golden fixture', () => {
    const expected = EVENT_TYPES.flatMap((type) => Object.keys(eventSchemas[type]).map((v) => `${type}.v${v}.json`));
    expect(files.sort()).toEqual(expected.sort());
  });

  const versionOf = (file: string) => Number(/\.v(\d+)\.json$/.exec(file)?.[1]);
  const typeOf = (file: string) => file.slice(0, file.indexOf('.')) as EventType;
  const latest = files.filter((f) => versionOf(f) === latestSchemaVersion(typeOf(f)));
  const older = files.filter((f) => versionOf(f) < latestSchemaVersion(typeOf(f)));

  it.each(latest)('given the golden fixture %s of the latest version, when parsed, then it keeps its exact shape', (file) => {
    const stored = fixture(file);
    expect(parseEvent(stored)).toEqual(stored);
  });

  it.each(older)('given the golden fixture %s of an older version, then its own schema still accepts it and it parses into the latest shape', (file) => {
    const stored = fixture(file);
    const own = (eventSchemas[typeOf(file)] as Record<number, z.ZodType>)[versionOf(file)];
    expect(own.parse(stored.data)).toEqual(stored.data);
    const parsed = parseEvent(stored);
    expect(parsed.schemaVersion).toBe(latestSchemaVersion(typeOf(file)));
    expect({ ...parsed, schemaVersion: stored.schemaVersion, data: stored.data }).toEqual(stored);
  });

  it.each(['BeadSubmitted', 'BeadAttemptFailed', 'BeadFailed'])(
    'given a %s v1 stored before agent results were reported, when parsed, then it is v2 with every v1 field and no agent result',
    (type) => {
      const stored = fixture(`${type}.v1.json`);
      const parsed = parseEvent(stored);
      expect(parsed.schemaVersion).toBe(2);
      expect(parsed.data).toEqual({ ...stored.data, agentResult: null });
    },
  );

  it('given a WebhookAdded v1 with its key in clear, when parsed, then it is v2 with every other field and the key marked as a legacy clear secret', () => {
    const stored = fixture('WebhookAdded.v1.json');
    const parsed = parseEvent(stored);
    expect(parsed.schemaVersion).toBe(2);
    expect(parsed.data).toEqual({ ...stored.data, secret: { alg: 'none', value: stored.data.secret } });
  });

  it('given a RigRegistered v1 from before the merge queue, when parsed, then it is v2 with every v1 setting and the queue defaults', () => {
    const stored = fixture('RigRegistered.v1.json');
    const parsed = parseEvent(stored);
    expect(parsed.schemaVersion).toBe(2);
    expect(parsed.data).toEqual({
      ...stored.data,
      config: { ...stored.data.config, mergeBatchMax: 8, speculativeDepth: 2, checkConcurrency: 2, retryFlakyChecks: false },
    });
  });

  it('given a BeadMerged v1 from before batches, when parsed, then it is v2 merged on its own (no batch)', () => {
    const stored = fixture('BeadMerged.v1.json');
    expect(parseEvent(stored).data).toEqual({ ...stored.data, batchId: null });
  });

  it('given a WebhookAdded v2 whose key is a bare string, when parsed, then it is refused naming the secret', () => {
    const stored = fixture('WebhookAdded.v2.json');
    stored.data.secret = 'q3Jt1V8fZx0cK2mN5pR7sT9uW4yA6bD8eF0gH2iJ4kL';
    expect(() => parseEvent(stored)).toThrow(/invalid WebhookAdded v2: secret/);
  });

  it('given a v2 agent result with an output tail beyond the limit, when parsed, then outputTail is named', () => {
    const stored = fixture('BeadAttemptFailed.v2.json');
    stored.data.agentResult.outputTail = 'x'.repeat(AGENT_OUTPUT_TAIL_MAX + 1);
    expect(() => parseEvent(stored)).toThrow(/invalid BeadAttemptFailed v2: agentResult\.outputTail/);
  });

  it('given an unknown event type, when parsed, then it is rejected with the type named', () => {
    const stored = { ...fixture('BeadStarted.v1.json'), type: 'BeadTeleported' };
    expect(() => parseEvent(stored)).toThrow(new InvalidEventError('unknown event type "BeadTeleported"', 'BeadTeleported', []));
  });

  it('given a payload missing a field, when parsed, then the error names the field', () => {
    const stored = fixture('BeadSubmitted.v2.json');
    delete stored.data.headCommit;
    expect(() => parseEvent(stored)).toThrow(/invalid BeadSubmitted v2: headCommit/);
  });

  it('given a future version this build does not know, when parsed, then it is rejected, not guessed', () => {
    const stored = { ...fixture('BeadStarted.v1.json'), schemaVersion: 2 };
    expect(() => parseEvent(stored)).toThrow(/unknown version 2 of event type "BeadStarted"/);
  });

  it('given a v1 event and a v2 schema with its upcaster, when parsed, then the latest shape comes out', () => {
    const V2 = z.object({ beadId: z.uuid(), attempt: z.number(), runner: z.string() });
    const parse = createEventParser(
      { ...eventSchemas, BeadStarted: { 1: eventSchemas.BeadStarted[1], 2: V2 } },
      { BeadStarted: { 1: (data) => ({ ...(data as object), runner: 'unknown' }) } },
    );
    const parsed = parse(fixture('BeadStarted.v1.json'));
    expect(parsed.schemaVersion).toBe(2);
    expect(parsed.data).toEqual({ ...fixture('BeadStarted.v1.json').data, runner: 'unknown' });
  });
});
