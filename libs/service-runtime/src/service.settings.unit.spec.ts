import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { z } from 'zod';
import { WORKSPACE_ROOT } from '@gastown/testing';
import {
  ConfigError,
  databaseUrlSetting,
  namespaceSetting,
  natsUrlSetting,
  parseEnv,
  portSetting,
  redactUrl,
  refineSecretsKey,
  secretKeyringFromEnv,
  secretsKeySettings,
  wholeNumberSetting,
} from './service.settings';

const Env = z.object({
  NATS_URL: natsUrlSetting(),
  GT_NAMESPACE: namespaceSetting(),
  WORKERS: wholeNumberSetting('WORKERS', 4, { max: 64 }),
  WAIT_MS: wholeNumberSetting('WAIT_MS', 1_000, { min: 100, max: 5_000, unit: ' ms' }),
});

describe('service settings', () => {
  it('given nothing set, when parsed, then the shared defaults apply', () => {
    expect(parseEnv('svc', Env, {})).toEqual({ NATS_URL: 'nats://127.0.0.1:4222', GT_NAMESPACE: 'gt', WORKERS: 4, WAIT_MS: 1_000 });
  });

  it('given a cluster list, when parsed, then it is accepted as given', () => {
    expect(parseEnv('svc', Env, { NATS_URL: 'nats://a:4222,nats://b:4222' }).NATS_URL).toBe('nats://a:4222,nats://b:4222');
  });

  it('given several bad values, when parsed, then each is its own line naming the variable and the range', () => {
    const parse = () => parseEnv('svc', Env, { NATS_URL: 'a:4222', GT_NAMESPACE: 'Prod', WORKERS: '0', WAIT_MS: 'soon' });
    expect(parse).toThrow(ConfigError);
    expect(parse).toThrow(
      'svc: invalid configuration\n' +
        '  - NATS_URL must be a nats:// or tls:// URL with a host, e.g. nats://127.0.0.1:4222 (or a comma-separated list of such URLs)\n' +
        '  - GT_NAMESPACE must be 1 to 31 lower-case letters, digits or "_", starting with a letter, got "Prod"\n' +
        '  - WORKERS must be a whole number from 1 to 64, got "0"\n' +
        '  - WAIT_MS must be a whole number from 100 to 5000 ms, got "soon"',
    );
  });

  it('given URLs with credentials, when prepared for a log line, then no secret is left', () => {
    const line = redactUrl('nats://alice:s3cret@a:4222,nats://b:4222');
    expect(line).not.toMatch(/alice|s3cret/);
    expect(line).toBe('nats://***@a:4222,nats://b:4222');
  });
});

const NATS_URL_MESSAGE = 'NATS_URL must be a nats:// or tls:// URL with a host, e.g. nats://127.0.0.1:4222 (or a comma-separated list of such URLs)';
const DATABASE_URL_MESSAGE = 'DATABASE_URL must be a postgres:// or postgresql:// URL with a host, e.g. postgres://user@127.0.0.1:5432/gastown';

/** Each shared setting with values it accepts (and what it makes of them) and refuses (with the exact message). */
const TABLE: { name: string; schema: z.ZodType; value: string | undefined; accepted?: unknown; refused?: string }[] = [
  { name: 'NATS_URL', schema: natsUrlSetting(), value: undefined, accepted: 'nats://127.0.0.1:4222' },
  { name: 'NATS_URL', schema: natsUrlSetting(), value: '', accepted: 'nats://127.0.0.1:4222' },
  { name: 'NATS_URL', schema: natsUrlSetting(), value: 'nats://nats-0.nats:4222', accepted: 'nats://nats-0.nats:4222' },
  { name: 'NATS_URL', schema: natsUrlSetting(), value: 'tls://nats.example.com:4222', accepted: 'tls://nats.example.com:4222' },
  { name: 'NATS_URL', schema: natsUrlSetting(), value: 'nats://a:4222, tls://b:4222', accepted: 'nats://a:4222,tls://b:4222' },
  { name: 'NATS_URL', schema: natsUrlSetting(), value: 'nats://user:pw@[::1]:4222/', accepted: 'nats://user:pw@[::1]:4222/' },
  // The Node client has no WebSocket transport: a ws:// URL would fail at the first connect instead of at start.
  { name: 'NATS_URL', schema: natsUrlSetting(), value: 'ws://nats:8080', refused: NATS_URL_MESSAGE },
  { name: 'NATS_URL', schema: natsUrlSetting(), value: 'wss://nats:443', refused: NATS_URL_MESSAGE },
  { name: 'NATS_URL', schema: natsUrlSetting(), value: 'http://nats:4222', refused: NATS_URL_MESSAGE },
  { name: 'NATS_URL', schema: natsUrlSetting(), value: 'localhost:4222', refused: NATS_URL_MESSAGE },
  { name: 'NATS_URL', schema: natsUrlSetting(), value: 'nats://a:4222/jetstream', refused: NATS_URL_MESSAGE },
  { name: 'NATS_URL', schema: natsUrlSetting(), value: 'nats://a:4222,', refused: NATS_URL_MESSAGE },
  { name: 'GT_NAMESPACE', schema: namespaceSetting(), value: undefined, accepted: 'gt' },
  { name: 'GT_NAMESPACE', schema: namespaceSetting(), value: 'prod_eu2', accepted: 'prod_eu2' },
  { name: 'GT_NAMESPACE', schema: namespaceSetting(), value: 'Prod', refused: 'GT_NAMESPACE must be 1 to 31 lower-case letters, digits or "_", starting with a letter, got "Prod"' },
  { name: 'GT_NAMESPACE', schema: namespaceSetting(), value: '2fast', refused: 'GT_NAMESPACE must be 1 to 31 lower-case letters, digits or "_", starting with a letter, got "2fast"' },
  { name: 'GT_NAMESPACE', schema: namespaceSetting(), value: 'a'.repeat(32), refused: `GT_NAMESPACE must be 1 to 31 lower-case letters, digits or "_", starting with a letter, got "${'a'.repeat(32)}"` },
  { name: 'DATABASE_URL', schema: databaseUrlSetting(), value: 'postgres://gt:pw@db:5432/gastown', accepted: 'postgres://gt:pw@db:5432/gastown' },
  { name: 'DATABASE_URL', schema: databaseUrlSetting(), value: 'postgresql://db/gastown_2?sslmode=require', accepted: 'postgresql://db/gastown_2?sslmode=require' },
  { name: 'DATABASE_URL', schema: databaseUrlSetting(), value: 'mysql://root:hunter2@db/gastown', refused: DATABASE_URL_MESSAGE },
  { name: 'DATABASE_URL', schema: databaseUrlSetting(), value: 'gastown', refused: DATABASE_URL_MESSAGE },
  { name: 'DATABASE_URL', schema: databaseUrlSetting(), value: 'postgres://db:5432', refused: 'DATABASE_URL must name a database, e.g. postgres://user@127.0.0.1:5432/gastown' },
  { name: 'DATABASE_URL', schema: databaseUrlSetting(), value: 'postgres://db/gas-town', refused: 'DATABASE_URL must name its database with letters, digits and "_" only, starting with a letter or "_"' },
  { name: 'GATEWAY_PORT', schema: portSetting('GATEWAY_PORT', 4000), value: undefined, accepted: 4000 },
  { name: 'GATEWAY_PORT', schema: portSetting('GATEWAY_PORT', 4000), value: '8080', accepted: 8080 },
  { name: 'GATEWAY_PORT', schema: portSetting('GATEWAY_PORT', 4000), value: '0', refused: 'GATEWAY_PORT must be a whole number from 1 to 65535, got "0"' },
  { name: 'GATEWAY_PORT', schema: portSetting('GATEWAY_PORT', 4000), value: '65536', refused: 'GATEWAY_PORT must be a whole number from 1 to 65535, got "65536"' },
  { name: 'GATEWAY_PORT', schema: portSetting('GATEWAY_PORT', 4000), value: '1e3', refused: 'GATEWAY_PORT must be a whole number from 1 to 65535, got "1e3"' },
  { name: 'GATEWAY_PORT', schema: portSetting('GATEWAY_PORT', 4000), value: '80.5', refused: 'GATEWAY_PORT must be a whole number from 1 to 65535, got "80.5"' },
];

function verdict(name: string, schema: z.ZodType, value: string | undefined): { accepted?: unknown; refused?: string } {
  try {
    return { accepted: (parseEnv('svc', z.object({ [name]: schema }), value === undefined ? {} : { [name]: value }) as Record<string, unknown>)[name] };
  } catch (error) {
    if (error instanceof ConfigError) return { refused: error.problems.join('\n') };
    throw error;
  }
}

describe('the one validator of each shared setting', () => {
  it.each(TABLE.map((row) => [row.name, row.value, row] as const))('given %s=%j, when validated, then it is accepted or refused as the table says', (name, value, row) => {
    expect(verdict(name, row.schema, value)).toEqual(row.refused === undefined ? { accepted: row.accepted } : { refused: row.refused });
  });

  it('given the same table, when npm start checks it before starting anything, then it accepts and refuses alike with the same messages', () => {
    // start.mjs is plain JavaScript run without a compiler; its checks live in scripts/settings.mjs.
    const rows = TABLE.filter((row) => !(row.name === 'DATABASE_URL' && row.value === undefined));
    const script = `import(${JSON.stringify(join(WORKSPACE_ROOT, 'scripts', 'settings.mjs'))}).then(({ SETTINGS }) => {
      const rows = JSON.parse(process.argv[1]);
      process.stdout.write(JSON.stringify(rows.map(([name, value]) => SETTINGS[name](value === null ? undefined : value))));
    })`;
    const answers = JSON.parse(execFileSync(process.execPath, ['-e', script, JSON.stringify(rows.map((r) => [r.name, r.value ?? null]))], { encoding: 'utf8' })) as string[][];
    expect(answers).toEqual(rows.map((row) => (row.refused === undefined ? [] : [row.refused])));
  });
});

describe('the secrets key', () => {
  const Keys = z.object(secretsKeySettings()).superRefine(refineSecretsKey);
  const KEY = 'a'.repeat(64);

  it('given no key or a malformed one, when read, then each problem is named without echoing a value', () => {
    const refuse = (env: Record<string, string>) => () => parseEnv('svc', Keys, env);
    expect(refuse({})).toThrow(/GASTOWN_SECRETS_KEY is required: 32 bytes/);
    expect(refuse({ GASTOWN_SECRETS_KEY: 'hunter2' })).toThrow(/GASTOWN_SECRETS_KEY must be 32 bytes/);
    expect(refuse({ GASTOWN_SECRETS_KEY: 'hunter2' })).not.toThrow(/hunter2/);
    expect(refuse({ GASTOWN_SECRETS_KEY: KEY, GASTOWN_SECRETS_PREVIOUS_KEYS: 'nope' })).toThrow(/GASTOWN_SECRETS_PREVIOUS_KEYS entry 1 must be 32 bytes/);
  });

  it('given a key, when the keyring is built, then it seals and opens', () => {
    const ring = secretKeyringFromEnv({ GASTOWN_SECRETS_KEY: KEY });
    expect(ring.open(ring.seal('s', 'ctx'), 'ctx')).toBe('s');
  });
});
