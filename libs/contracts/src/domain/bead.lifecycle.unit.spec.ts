import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EVENT_TYPES, latestSchemaVersion, parseEvent, type EventType, type GastownEvent } from '../events/event.catalogue';
import { beadStatusAfter, convoyStatusAfter } from './bead.lifecycle';
import type { BeadStatus, ConvoyStatus } from './convoy.types';

/** The golden fixture of a type's latest version: a real, parseable event of that type. */
const golden = (type: EventType): GastownEvent =>
  parseEvent(JSON.parse(readFileSync(join(__dirname, '../events/fixtures', `${type}.v${latestSchemaVersion(type)}.json`), 'utf8')));

const withData = (type: EventType, data: object): GastownEvent => {
  const event = golden(type);
  return { ...event, data: { ...event.data, ...data } } as GastownEvent;
};

const BEAD_EVENTS: [EventType, BeadStatus][] = [
  ['BeadCreated', 'OPEN'],
  ['BeadDispatched', 'IN_PROGRESS'],
  ['BeadStarted', 'IN_PROGRESS'],
  ['BeadSubmitted', 'IN_REVIEW'],
  ['BeadMerged', 'CLOSED'],
  ['BeadMergeAborted', 'CANCELLED'],
  ['BeadReworkRequested', 'OPEN'],
  ['BeadAttemptFailed', 'OPEN'],
  ['BeadAgentLost', 'OPEN'],
  ['BeadAttemptInterrupted', 'OPEN'],
  ['BeadFailed', 'FAILED'],
  ['BeadRetried', 'OPEN'],
  ['BeadCancelled', 'CANCELLED'],
];

const CONVOY_EVENTS: [EventType, ConvoyStatus][] = [
  ['ConvoyStarted', 'ACTIVE'],
  ['ConvoyReadyToLand', 'READY_TO_LAND'],
  ['ConvoyLandingStarted', 'LANDING'],
  ['ConvoyLanded', 'LANDED'],
  ['ConvoyLandingFailed', 'READY_TO_LAND'],
  ['ConvoyFailed', 'FAILED'],
  ['ConvoyCancelled', 'CANCELLED'],
];

/** Events that move no status: readiness, holds, edges, claims, landing steps and the town's own. */
const STATUS_NEUTRAL_EVENTS: EventType[] = [
  'TownCreated',
  'RigRegistered',
  'RigCredentialsSet',
  'RigCredentialsCleared',
  'WebhookAdded',
  'WebhookRemoved',
  'DependencyAdded',
  'DependencyRemoved',
  'BeadsBecameReady',
  'BeadsBecameUnready',
  'BeadsHeld',
  'BeadsReleased',
  'BeadMergeClaimed',
  'MergeBatchStarted',
  'MergeBatchChecked',
  'MergeBatchEnded',
  'RigLandingPrepared',
  'ConvoyLandingPrepared',
  'RigLandingClaimed',
  'RigLandingAborted',
  'RigLanded',
];

describe('bead and convoy life cycle', () => {
  it.each(BEAD_EVENTS)('given a %s event, when its bead status is asked, then it is %s and the convoy status is untouched', (type, status) => {
    const event = golden(type);
    expect(beadStatusAfter(event)).toBe(status);
    expect(convoyStatusAfter(event)).toBeNull();
  });

  it.each(CONVOY_EVENTS)('given a %s event, when its convoy status is asked, then it is %s and no bead status moves', (type, status) => {
    const event = golden(type);
    expect(convoyStatusAfter(event)).toBe(status);
    expect(beadStatusAfter(event)).toBeNull();
  });

  it.each([
    [false, 'ACTIVE'],
    [true, 'STAGED'],
  ])('given a ConvoyCreated event with staged %s, when its convoy status is asked, then it is %s', (staged, status) => {
    expect(convoyStatusAfter(withData('ConvoyCreated', { staged }))).toBe(status);
  });

  it.each(['ACTIVE', 'READY_TO_LAND'])('given a ConvoyReactivated event to %s, when its convoy status is asked, then it is the one the event names', (status) => {
    expect(convoyStatusAfter(withData('ConvoyReactivated', { status }))).toBe(status);
  });

  it.each(STATUS_NEUTRAL_EVENTS)('given a %s event, when statuses are asked, then neither a bead nor the convoy moves', (type) => {
    const event = golden(type);
    expect(beadStatusAfter(event)).toBeNull();
    expect(convoyStatusAfter(event)).toBeNull();
  });

  it('given the event catalogue, then every event type is placed in exactly one of the lists above', () => {
    const placed = [...BEAD_EVENTS.map(([type]) => type), ...CONVOY_EVENTS.map(([type]) => type), 'ConvoyCreated', 'ConvoyReactivated', ...STATUS_NEUTRAL_EVENTS];
    expect([...placed].sort()).toEqual([...EVENT_TYPES].sort());
  });
});
