import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { createEventParser, EVENT_TYPES, eventSchemas, InvalidEventError, parseEvent } from './event.catalogue';

const FIXTURES = join(__dirname, 'fixtures');
const fixture = (file: string) => JSON.parse(readFileSync(join(FIXTURES, file), 'utf8'));

describe('event catalogue', () => {
  const files = readdirSync(FIXTURES).filter((f) => f.endsWith('.json'));

  it('given the catalogue, then every event type and version has a golden fixture', () => {
    const expected = EVENT_TYPES.flatMap((type) => Object.keys(eventSchemas[type]).map((v) => `${type}.v${v}.json`));
    expect(files.sort()).toEqual(expected.sort());
  });

  it.each(files)('given the golden fixture %s, when parsed, then it keeps its exact shape', (file) => {
    const stored = fixture(file);
    expect(parseEvent(stored)).toEqual(stored);
  });

  it('given an unknown event type, when parsed, then it is rejected with the type named', () => {
    const stored = { ...fixture('BeadStarted.v1.json'), type: 'BeadTeleported' };
    expect(() => parseEvent(stored)).toThrow(new InvalidEventError('unknown event type "BeadTeleported"', 'BeadTeleported', []));
  });

  it('given a payload missing a field, when parsed, then the error names the field', () => {
    const stored = fixture('BeadSubmitted.v1.json');
    delete stored.data.headCommit;
    expect(() => parseEvent(stored)).toThrow(/invalid BeadSubmitted v1: headCommit/);
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
