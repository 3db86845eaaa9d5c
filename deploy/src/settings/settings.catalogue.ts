import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { WORKSPACE_ROOT } from '@gastown/testing';

export const SERVICES = ['convoy', 'dispatcher', 'gateway', 'git-runner'] as const;
export type ServiceName = (typeof SERVICES)[number];

/** Read by node itself or the image, never by Gastown's code: no README row is expected for them. */
export const RUNTIME_VARIABLES = new Set(['NODE_ENV', 'NODE_OPTIONS', 'TZ', 'HOME', 'PATH']);

export interface SettingRow {
  readonly names: readonly string[];
  readonly usedBy: readonly ServiceName[];
  readonly defaultText: string;
}

/**
 * The settings each service reads, as the README's settings tables state them (the "Used by"
 * column of Configuration, and any other table headed `| Variable | Used by |`). The services'
 * configuration modules are theirs to keep private (deploy is not a library they share), so the
 * tables operators read are the catalogue deploy files are held to, and every name is also looked
 * for in the service's own built code (spelledInBuild).
 */
export function readmeSettings(readme = readFileSync(join(WORKSPACE_ROOT, 'README.md'), 'utf8')): SettingRow[] {
  const rows: SettingRow[] = [];
  let inTable = false;
  for (const line of readme.split('\n')) {
    if (!line.startsWith('|')) {
      inTable = false;
      continue;
    }
    const cells = line.split('|').map((c) => c.trim());
    if (/^Variable$/i.test(cells[1] ?? '') && /^(Used by|Services?)$/i.test(cells[2] ?? '')) {
      inTable = true;
      continue;
    }
    if (!inTable || !cells[1]?.startsWith('`')) continue;
    const names = [...(cells[1] ?? '').matchAll(/`([A-Z][A-Z0-9_]+)`/g)].map((m) => m[1] as string);
    const usedByText = cells[2] ?? '';
    if (/\beach service\b/.test(usedByText)) {
      // One variable per service, named after it (CONVOY_HEALTH_PORT): each belongs to its own.
      for (const service of SERVICES) {
        const own = names.filter((name) => name.startsWith(`${service.toUpperCase().replace(/-/g, '_')}_`));
        if (own.length > 0) rows.push({ names: own, usedBy: [service], defaultText: cells[3] ?? '' });
      }
      continue;
    }
    const usedBy = /\ball\b/.test(usedByText) ? [...SERVICES] : SERVICES.filter((s) => new RegExp(`(^|[\\s,])${s}([\\s,]|$)`).test(usedByText));
    rows.push({ names, usedBy, defaultText: cells[3] ?? '' });
  }
  return rows;
}

export function settingsOf(service: ServiceName, rows = readmeSettings()): Set<string> {
  return new Set(rows.filter((r) => r.usedBy.includes(service)).flatMap((r) => r.names));
}

export function builtEntry(service: ServiceName, file = 'main.js'): string {
  return join(WORKSPACE_ROOT, 'dist', 'services', service, file);
}

/**
 * Whether the service's bundle spells the setting: whole, in its schema or its lookup, or, for the
 * service's own variables built from its prefix (`${prefix}_HEALTH_PORT`), by the part after it.
 */
export function spelledInBuild(service: ServiceName): (name: string) => boolean {
  const bundle = builtEntry(service);
  if (!existsSync(bundle)) throw new Error(`${bundle} is missing: run npx nx run-many -t build first`);
  const text = readFileSync(bundle, 'utf8');
  const names = new Set(text.match(/\b[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+\b/g) ?? []);
  const prefix = `${service.toUpperCase().replace(/-/g, '_')}_`;
  return (name) => names.has(name) || (name.startsWith(prefix) && text.includes(`}_${name.slice(prefix.length)}\``));
}

/**
 * What is wrong with giving `variables` to `service`: a name no README row gives the service, or
 * one its built code never spells (a row that went stale). One line each.
 */
export function unknownSettings(service: ServiceName, variables: Iterable<string>, rows = readmeSettings()): string[] {
  const documented = settingsOf(service, rows);
  const spelled = spelledInBuild(service);
  const problems: string[] = [];
  for (const name of new Set(variables)) {
    if (RUNTIME_VARIABLES.has(name)) continue;
    if (!documented.has(name)) {
      const owners = rows.filter((r) => r.names.includes(name)).flatMap((r) => r.usedBy);
      problems.push(`${service} is given ${name}, ${owners.length > 0 ? `which only ${owners.join(', ')} read` : 'which no service reads (no row in README, Configuration)'}`);
    } else if (!spelled(name)) {
      problems.push(`${service} is given ${name}: README says it reads it, but dist/services/${service}/main.js never spells it`);
    }
  }
  return problems;
}
