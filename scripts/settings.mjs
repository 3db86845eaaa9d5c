// The settings `npm start` reads before any service runs (it needs the port, and refuses a bad
// URL before it starts NATS or PostgreSQL). The services validate them again with the validators
// of libs/service-runtime/src/service.settings.ts; its spec runs these checks on the same table of
// values and asserts that both accept and refuse alike, with the same messages.

function parsedUrl(value, protocols) {
  try {
    const url = new URL(value);
    return protocols.includes(url.protocol) && url.hostname !== '' ? url : null;
  } catch {
    return null;
  }
}

const EXAMPLE_DATABASE = 'e.g. postgres://user@127.0.0.1:5432/gastown';

/** Each problem of one setting, or none; an empty value counts as unset. */
export const SETTINGS = {
  GATEWAY_PORT: (v) =>
    v === undefined || v === '' || (/^\s*\d+\s*$/.test(v) && Number(v) >= 1 && Number(v) <= 65535)
      ? []
      : [`GATEWAY_PORT must be a whole number from 1 to 65535, got "${v}"`],
  NATS_URL: (v) =>
    v === undefined || v === '' || v.split(',').every((u) => ['', '/'].includes(parsedUrl(u.trim(), ['nats:', 'tls:'])?.pathname ?? 'none') && !u.includes('?'))
      ? []
      : ['NATS_URL must be a nats:// or tls:// URL with a host, e.g. nats://127.0.0.1:4222 (or a comma-separated list of such URLs)'],
  GT_NAMESPACE: (v) =>
    v === undefined || v === '' || /^[a-z][a-z0-9_]{0,30}$/.test(v)
      ? []
      : [`GT_NAMESPACE must be 1 to 31 lower-case letters, digits or "_", starting with a letter, got "${v}"`],
  // Optional here only: without it npm start runs a PostgreSQL of its own.
  DATABASE_URL: (v) => {
    if (v === undefined || v === '') return [];
    const url = parsedUrl(v, ['postgres:', 'postgresql:']);
    if (!url) return [`DATABASE_URL must be a postgres:// or postgresql:// URL with a host, ${EXAMPLE_DATABASE}`];
    const database = decodeURIComponent(url.pathname.replace(/^\//, ''));
    if (database === '') return [`DATABASE_URL must name a database, ${EXAMPLE_DATABASE}`];
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(database)) return ['DATABASE_URL must name its database with letters, digits and "_" only, starting with a letter or "_"'];
    return [];
  },
};

/** Every problem of the environment, one line each, in the order of SETTINGS. */
export function settingsProblems(env) {
  return Object.entries(SETTINGS).flatMap(([name, check]) => check(env[name]));
}
