import { readFileSync } from 'node:fs';
import { parse } from 'yaml';

export interface ComposeService {
  readonly image?: string;
  readonly build?: { readonly context: string; readonly dockerfile: string; readonly target?: string };
  readonly command?: readonly string[];
  readonly environment?: Readonly<Record<string, string>>;
  readonly ports?: readonly string[];
  readonly volumes?: readonly string[];
  readonly depends_on?: Readonly<Record<string, { readonly condition: string }>>;
  readonly healthcheck?: { readonly test: readonly string[] };
  readonly deploy?: { readonly replicas?: number; readonly resources?: { readonly limits?: Readonly<Record<string, string | number>> } };
  readonly security_opt?: readonly string[];
  readonly cap_drop?: readonly string[];
  readonly read_only?: boolean;
  readonly stop_grace_period?: string;
  readonly restart?: string;
  readonly pids_limit?: number;
}

export interface ComposeFile {
  readonly name?: string;
  readonly services: Readonly<Record<string, ComposeService>>;
  readonly volumes?: Readonly<Record<string, unknown>>;
}

/** `${NAME}`, `${NAME:-default}`, `${NAME-default}`, `${NAME:?error}`, `${NAME?error}`; `$$` is a dollar. */
const VARIABLE = /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g;

/** The variables the file takes from its environment (the env file), in order of first use. */
export function interpolatedVariables(text: string): string[] {
  return [...new Set([...text.matchAll(VARIABLE)].map((m) => m[1] ?? m[4]).filter((n): n is string => n !== undefined))];
}

/** Compose's interpolation, as `docker compose config` does it; a `:?` variable missing from `env` is an error, as there. */
export function interpolate(text: string, env: Readonly<Record<string, string>>): string {
  return text.replace(VARIABLE, (whole, braced?: string, operator?: string, word?: string, bare?: string) => {
    if (whole === '$$') return '$';
    const name = (braced ?? bare) as string;
    const value = env[name];
    const unsetOrEmpty = value === undefined || (operator?.startsWith(':') === true && value === '');
    if (operator?.endsWith('?') && unsetOrEmpty) throw new Error(`${name}: ${word || 'required'}`);
    if (operator?.endsWith('-') && unsetOrEmpty) return word ?? '';
    return value ?? '';
  });
}

/** The file as written (`raw`, variables in place) and as compose runs it with `env` (merge keys resolved in both). */
export function loadCompose(path: string, env: Readonly<Record<string, string>>): { raw: ComposeFile; resolved: ComposeFile; text: string } {
  const text = readFileSync(path, 'utf8');
  return { raw: parse(text, { merge: true }) as ComposeFile, resolved: parse(interpolate(text, env), { merge: true }) as ComposeFile, text };
}

/** Every host port a service publishes (a range gives one per replica). */
export function hostPorts(service: ComposeService): number[] {
  return (service.ports ?? []).flatMap((mapping) => {
    const parts = mapping.split(':');
    if (parts.length < 2) return [];
    const [from, to = from] = (parts[parts.length - 2] as string).split('-').map(Number) as [number, number?];
    return Array.from({ length: (to as number) - from + 1 }, (_, i) => from + i);
  });
}

/** `45s`, `1m30s`, `500ms` in milliseconds, as compose reads durations. */
export function durationMs(text: string): number {
  let total = 0;
  for (const [, n, unit] of text.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)) total += Number(n) * { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 }[unit as 'ms' | 's' | 'm' | 'h'];
  return total;
}
