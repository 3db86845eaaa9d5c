import { EventMeta } from './event.envelope';
import { storedEnvelopes, storedEventId, UNSTORED_EVENT_ID, unstoredEnvelopes, type EnvelopeSource } from './envelope.builder';

const TOWN = '2f1e8a5c-7d3b-4c1a-9e2f-0a1b2c3d4e5f';
const CONVOY = '8c0f3b1e-5a6d-5e7f-8a9b-0c1d2e3f4a5b';
const CONVOY_SUBJECT = `gt.evt.${TOWN}.convoy.${CONVOY}`;
const DISPATCH = 'dispatch:0b6f3c1e-2a4d-5e8f-9a0b-1c2d3e4f5a6b:1';
const AT = '2026-01-02T03:04:05.678Z';

const source: EnvelopeSource = {
  townId: TOWN,
  convoyId: CONVOY,
  commandId: DISPATCH,
  actor: { kind: 'service', id: 'dispatcher' },
};

describe('event envelopes', () => {
  it('given a subject, a command and a position, then the event id is the name UUID (v5) of "subject|commandId|position" in the town, as every stored event has it', () => {
    // Computed independently (Python's uuid.uuid5); these ids are already stored and must never change.
    expect([0, 1, 2].map((position) => storedEventId(CONVOY_SUBJECT, source, position))).toEqual([
      'e6371af3-2958-56a9-885f-8436372a7649',
      '11314568-b81f-5c26-87e8-cad657073d36',
      'b496e478-9e72-5f23-b640-04d47f1382c2',
    ]);
    expect(storedEventId(`gt.evt.${TOWN}.town`, { townId: TOWN, commandId: 'create-town-1' }, 0)).toBe('edfeb315-8940-5fd5-a6b0-c6d70ea05b4a');
  });

  it('given the events of one decision, when stored, then each carries its derived id, its type\'s latest schema version and the command\'s metadata, in the stored field order', () => {
    const events = storedEnvelopes(
      [
        { type: 'ConvoyStarted', data: {} },
        { type: 'ConvoyLandingFailed', data: { attempt: 1, reason: 'checks failed', rigId: null } },
      ],
      { ...source, causationId: 'cause-1', correlationId: 'corr-1' },
      { subject: CONVOY_SUBJECT, occurredAt: AT },
    );
    expect(events).toEqual([
      {
        eventId: 'e6371af3-2958-56a9-885f-8436372a7649',
        type: 'ConvoyStarted',
        schemaVersion: 1,
        townId: TOWN,
        convoyId: CONVOY,
        commandId: DISPATCH,
        causationId: 'cause-1',
        correlationId: 'corr-1',
        actor: { kind: 'service', id: 'dispatcher' },
        occurredAt: AT,
        data: {},
      },
      expect.objectContaining({ eventId: '11314568-b81f-5c26-87e8-cad657073d36', type: 'ConvoyLandingFailed', schemaVersion: 2 }),
    ]);
    expect(Object.keys(events[0])).toEqual([
      'eventId', 'type', 'schemaVersion', 'townId', 'convoyId', 'commandId', 'causationId', 'correlationId', 'actor', 'occurredAt', 'data',
    ]);
    for (const event of events) expect(EventMeta.safeParse(event).success).toBe(true);
  });

  it('given a command that names no causation or correlation, then its events have no cause and correlate under its command id', () => {
    const [event] = storedEnvelopes([{ type: 'ConvoyStarted', data: {} }], source, { subject: CONVOY_SUBJECT, occurredAt: AT });
    expect(event).toMatchObject({ causationId: null, correlationId: DISPATCH });
  });

  it('given events folded before they are stored, then they carry the same envelope under the id no stored event has', () => {
    const decided = [{ type: 'ConvoyStarted' as const, data: {} }];
    const [unstored] = unstoredEnvelopes(decided, source, AT);
    const [stored] = storedEnvelopes(decided, source, { subject: CONVOY_SUBJECT, occurredAt: AT });
    expect(unstored).toEqual({ ...stored, eventId: UNSTORED_EVENT_ID });
  });
});
