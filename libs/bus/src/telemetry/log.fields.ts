import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * The ids a log line is about, as structured fields: every line written while a command, a
 * commit, a job or a dispatch of one town is being handled carries them, whichever library
 * writes it. Ids only: never a name, a body or a secret.
 */
export interface LogFields {
  readonly townId?: string;
  readonly convoyId?: string;
  readonly beadId?: string;
  readonly rigId?: string;
}

const storage = new AsyncLocalStorage<LogFields>();
const KEYS = ['townId', 'convoyId', 'beadId', 'rigId'] as const;

/** Runs `work` with these ids added to the current ones (absent or null values are left out). */
export function withLogFields<T>(fields: { [K in keyof LogFields]?: string | null }, work: () => T): T {
  const merged: Record<string, string> = { ...storage.getStore() };
  for (const key of KEYS) {
    const value = fields[key];
    if (typeof value === 'string' && value !== '') merged[key] = value;
  }
  return storage.run(merged, work);
}

/** The ids of the work in hand; empty outside any. */
export function currentLogFields(): LogFields {
  return storage.getStore() ?? {};
}
