import { randomUUID } from 'node:crypto';
import type { EventMeta, EventOf, GastownEvent, Names } from '@gastown/contracts';
import type { BusLogger } from '../bus.connection';

export interface ConvoyScope {
  readonly townId: string;
  readonly convoyId: string;
  readonly subject: string;
}

export function newConvoyScope(names: Names, townId: string = randomUUID()): ConvoyScope {
  const convoyId = randomUUID();
  return { townId, convoyId, subject: names.convoyEvents(townId, convoyId) };
}

function meta(scope: ConvoyScope, commandId: string): EventMeta {
  return {
    eventId: randomUUID(),
    schemaVersion: 1,
    townId: scope.townId,
    convoyId: scope.convoyId,
    commandId,
    causationId: null,
    correlationId: commandId,
    actor: { kind: 'user', id: 'fixture-user' },
    occurredAt: new Date().toISOString(),
  };
}

export function convoyStarted(scope: ConvoyScope, commandId = randomUUID()): EventOf<'ConvoyStarted'> {
  return { ...meta(scope, commandId), type: 'ConvoyStarted', data: {} };
}

/** `count` BeadCreated events whose bodies are `bodyLength` characters: the shape of a large plan. */
export function beadsCreated(scope: ConvoyScope, count: number, bodyLength = 40, commandId = randomUUID()): GastownEvent[] {
  const rigId = randomUUID();
  const body = 'Implement the step as described in the plan. '.repeat(Math.ceil(bodyLength / 46)).slice(0, bodyLength);
  return Array.from({ length: count }, (_, index) => ({
    ...meta(scope, commandId),
    type: 'BeadCreated' as const,
    data: { beadId: randomUUID(), index, title: `bead ${index}`, body, rigId, dependsOn: [] },
  }));
}

export function recordingLogger(): BusLogger & { lines: string[] } {
  const lines: string[] = [];
  return {
    lines,
    info: (line) => lines.push(`info ${line}`),
    warn: (line) => lines.push(`warn ${line}`),
    error: (line) => lines.push(`error ${line}`),
  };
}
