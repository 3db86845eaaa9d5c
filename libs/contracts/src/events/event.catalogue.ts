import { z } from 'zod';
import { DEFAULT_MERGE_QUEUE_CONFIG } from '../domain/rig.config';
import { EventMeta, RawEvent } from './event.envelope';
import { townEventSchemas } from './town.events';
import { convoyEventSchemas } from './convoy.events';

type VersionedSchemas = Record<string, Record<number, z.ZodType>>;

export const eventSchemas = { ...townEventSchemas, ...convoyEventSchemas } as const;
type Catalogue = typeof eventSchemas;
export type EventType = keyof Catalogue;

/**
 * The schema of a type's highest version (versions count up from 1). Inferring the keys would give
 * the union of every version, and consumers would have to handle shapes the parser never returns.
 */
type LatestSchemaOf<V> = V extends { 5: infer S }
  ? S
  : V extends { 4: infer S }
    ? S
    : V extends { 3: infer S }
      ? S
      : V extends { 2: infer S }
        ? S
        : V extends { 1: infer S }
          ? S
          : never;
type LatestSchema<K extends EventType> = LatestSchemaOf<Catalogue[K]>;
export type EventData<K extends EventType> = z.infer<LatestSchema<K> & z.ZodType>;

export type EventOf<K extends EventType> = EventMeta & { type: K; data: EventData<K> };
export type GastownEvent = { [K in EventType]: EventOf<K> }[EventType];
/** An event as a decider produces it, before the adapter adds the metadata. */
export type NewEvent = { [K in EventType]: { type: K; data: EventData<K> } }[EventType];

export const EVENT_TYPES = Object.keys(eventSchemas) as EventType[];
export const TOWN_EVENT_TYPES = Object.keys(townEventSchemas) as EventType[];

/** Upgrades one version's payload to the next; keyed by type, then by the version it reads. */
export type Upcasters = Record<string, Record<number, (data: unknown) => unknown>>;

/** Events stored before agent results were reported say nothing about the agent's exit. */
const withoutAgentResult = (data: unknown) => ({ ...(data as object), agentResult: null });

/** A key stored in clear before sealing existed stays usable; it is marked so, never re-sealed here (no key in contracts). */
const withLegacyClearSecret = (data: unknown) => {
  const v1 = data as { secret: string };
  return { ...v1, secret: { alg: 'none', value: v1.secret } };
};

/** A landing failure stored before v2 named no rig. */
const withoutRig = (data: unknown) => ({ ...(data as object), rigId: null });

/** A merge recorded before batches existed was made on its own. */
const withoutBatch = (data: unknown) => ({ ...(data as object), batchId: null });

/** A rig registered before the merge queue had settings takes their defaults. */
const withMergeQueueDefaults = (data: unknown) => {
  const v1 = data as { config: object };
  return { ...v1, config: { ...v1.config, ...DEFAULT_MERGE_QUEUE_CONFIG } };
};

export const upcasters: Upcasters = {
  BeadMerged: { 1: withoutBatch },
  RigRegistered: { 1: withMergeQueueDefaults },
  ConvoyLandingFailed: { 1: withoutRig },
  WebhookAdded: { 1: withLegacyClearSecret },
  BeadSubmitted: { 1: withoutAgentResult },
  BeadAttemptFailed: { 1: withoutAgentResult },
  BeadFailed: { 1: withoutAgentResult },
};

export class InvalidEventError extends Error {
  constructor(
    message: string,
    readonly eventType: string | undefined,
    readonly issues: readonly string[],
  ) {
    super(message);
    this.name = 'InvalidEventError';
  }
}

function latestVersion(versions: Record<number, z.ZodType>): number {
  return Math.max(...Object.keys(versions).map(Number));
}

export function latestSchemaVersion(type: EventType): number {
  return latestVersion(eventSchemas[type] as Record<number, z.ZodType>);
}

function describe(error: z.ZodError): string[] {
  return error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
}

/**
 * Parses any stored version of any event into the latest shape. Unknown types, unknown
 * versions and invalid payloads raise InvalidEventError, which consumers park rather than crash on.
 */
export function createEventParser(schemas: VersionedSchemas = eventSchemas, ups: Upcasters = upcasters) {
  return (input: unknown): GastownEvent => {
    const raw = RawEvent.safeParse(input);
    if (!raw.success) {
      const type = typeof input === 'object' && input && 'type' in input ? String((input as { type: unknown }).type) : undefined;
      throw new InvalidEventError(`invalid event envelope: ${describe(raw.error).join('; ')}`, type, describe(raw.error));
    }
    const { type, schemaVersion } = raw.data;
    const versions = schemas[type];
    if (!versions) throw new InvalidEventError(`unknown event type "${type}"`, type, []);
    const target = latestVersion(versions);
    if (!versions[schemaVersion] || schemaVersion > target) {
      throw new InvalidEventError(`unknown version ${schemaVersion} of event type "${type}"`, type, []);
    }
    let data = raw.data.data;
    for (let v = schemaVersion; v < target; v++) {
      const up = ups[type]?.[v];
      if (!up) throw new InvalidEventError(`no upcaster from version ${v} of "${type}"`, type, []);
      data = up(data);
    }
    const parsed = versions[target].safeParse(data);
    if (!parsed.success) {
      throw new InvalidEventError(`invalid ${type} v${target}: ${describe(parsed.error).join('; ')}`, type, describe(parsed.error));
    }
    return { ...raw.data, schemaVersion: target, data: parsed.data } as GastownEvent;
  };
}

export const parseEvent = createEventParser();

export function isEventType<K extends EventType>(event: GastownEvent, type: K): event is Extract<GastownEvent, { type: K }> {
  return event.type === type;
}
