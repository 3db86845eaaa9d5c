import { accessSync, constants, readFileSync, statSync } from 'node:fs';
import { z } from 'zod';
import { inboxPrefixOf, STREAM_REPLICAS, type NatsCredentials, type NatsService, type NatsTls, type StreamReplicas } from '@gastown/bus';
import { namespaceSetting, natsUrlSetting, parseEnv } from './service.settings';

/** For the CLIs, which import this file alone (its own path alias) rather than the Nest runtime. */
export { ConfigError, redactUrl } from './service.settings';

/**
 * How every service reaches NATS: who it is (NATS_USER/NATS_PASSWORD, NATS_TOKEN or
 * NATS_CREDS_FILE), how the connection is protected (NATS_TLS_*), and how many copies of each
 * stream it asks for (GT_STREAM_REPLICAS). Secrets are never echoed in an error; file paths are.
 */

/** A path the process can read now: refused at start rather than at the first reconnect. */
const readableFileSetting = (name: string, what: string) =>
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v === '') return undefined;
      try {
        accessSync(v, constants.R_OK);
        if (!statSync(v).isFile()) throw new Error('not a file');
      } catch {
        ctx.addIssue({ code: 'custom', message: `${name} must be a readable file holding ${what}, got "${v}"` });
        return z.NEVER;
      }
      return v;
    });

export const natsAuthSettings = () => ({
  NATS_USER: z.string().optional(),
  NATS_PASSWORD: z.string().optional(),
  NATS_TOKEN: z.string().optional(),
  NATS_CREDS_FILE: readableFileSetting('NATS_CREDS_FILE', 'a user JWT and its NKey seed (a .creds file)'),
  NATS_INBOX_PREFIX: z
    .string()
    .optional()
    .refine((v) => !v || /^[A-Za-z0-9_-]{1,64}$/.test(v), { message: 'NATS_INBOX_PREFIX must be 1 to 64 letters, digits, "_" or "-"' }),
});

export const natsTlsSettings = () => ({
  NATS_TLS_CA_FILE: readableFileSetting('NATS_TLS_CA_FILE', "the PEM certificate of the CA that signed the NATS servers' certificates"),
  NATS_TLS_CERT_FILE: readableFileSetting('NATS_TLS_CERT_FILE', "this service's PEM client certificate"),
  NATS_TLS_KEY_FILE: readableFileSetting('NATS_TLS_KEY_FILE', "the PEM private key of this service's client certificate"),
});

export const streamReplicasSetting = () =>
  z
    .string()
    .optional()
    .transform((v, ctx): StreamReplicas => {
      if (v === undefined || v === '') return 1;
      const n = Number(v);
      if (!(STREAM_REPLICAS as readonly number[]).includes(n) || !/^\d$/.test(v)) {
        ctx.addIssue({ code: 'custom', message: `GT_STREAM_REPLICAS must be 1, 3 or 5 (copies of every stream, KV bucket and object store), got "${v}"` });
        return z.NEVER;
      }
      return n as StreamReplicas;
    });

/** Every NATS setting but NATS_URL and GT_NAMESPACE, which services list on their own. */
export const natsSettings = () => ({ ...natsAuthSettings(), ...natsTlsSettings(), GT_STREAM_REPLICAS: streamReplicasSetting() });

interface NatsEnv {
  NATS_USER?: string;
  NATS_PASSWORD?: string;
  NATS_TOKEN?: string;
  NATS_CREDS_FILE?: string;
  NATS_INBOX_PREFIX?: string;
  NATS_TLS_CA_FILE?: string;
  NATS_TLS_CERT_FILE?: string;
  NATS_TLS_KEY_FILE?: string;
  GT_STREAM_REPLICAS?: StreamReplicas;
}

/** A .creds file as nsc writes it; the content is never echoed. */
function isCredsFile(path: string): boolean {
  const text = readFileSync(path, 'utf8');
  return /-----BEGIN NATS USER JWT-----/.test(text) && /-----BEGIN USER NKEY SEED-----/.test(text);
}

/** For a schema's superRefine: the variables that only make sense together, or apart. */
export function refineNats(e: NatsEnv, ctx: z.RefinementCtx): void {
  const problem = (message: string) => ctx.addIssue({ code: 'custom', message });
  if (e.NATS_USER && !e.NATS_PASSWORD) problem('NATS_PASSWORD is required with NATS_USER');
  if (!e.NATS_USER && e.NATS_PASSWORD) problem('NATS_USER is required with NATS_PASSWORD');
  const ways = [e.NATS_USER || e.NATS_PASSWORD, e.NATS_TOKEN, e.NATS_CREDS_FILE].filter(Boolean).length;
  if (ways > 1) problem('NATS_USER/NATS_PASSWORD, NATS_TOKEN and NATS_CREDS_FILE exclude each other: set one way to authenticate');
  if (e.NATS_CREDS_FILE && !isCredsFile(e.NATS_CREDS_FILE)) {
    problem(`NATS_CREDS_FILE must hold a user JWT and its NKey seed (a .creds file as nsc writes it), got "${e.NATS_CREDS_FILE}"`);
  }
  if (Boolean(e.NATS_TLS_CERT_FILE) !== Boolean(e.NATS_TLS_KEY_FILE)) {
    problem('NATS_TLS_CERT_FILE and NATS_TLS_KEY_FILE go together: a client certificate is presented with its key');
  }
}

/** Where and how a process reaches NATS, as every service and operator command reads it. */
export interface NatsConnectionSettings {
  readonly servers: string;
  readonly namespace: string;
  readonly credentials?: NatsCredentials;
  readonly tls?: NatsTls;
  readonly streamReplicas: StreamReplicas;
}

/**
 * The credentials a service connects with. Replies go to the service's own inbox prefix (see
 * nats.permissions.ts) unless NATS_INBOX_PREFIX names another one the operator's server allows.
 */
export function natsCredentialsFromEnv(e: NatsEnv, service: NatsService, namespace: string): NatsCredentials | undefined {
  const inboxPrefix = e.NATS_INBOX_PREFIX || inboxPrefixOf(service, namespace);
  if (e.NATS_TOKEN) return { token: e.NATS_TOKEN, inboxPrefix };
  if (e.NATS_USER && e.NATS_PASSWORD) return { user: e.NATS_USER, password: e.NATS_PASSWORD, inboxPrefix };
  if (e.NATS_CREDS_FILE) return { credsFile: e.NATS_CREDS_FILE, inboxPrefix };
  return undefined;
}

function natsTlsFromEnv(e: NatsEnv): NatsTls | undefined {
  if (!e.NATS_TLS_CA_FILE && !e.NATS_TLS_CERT_FILE) return undefined;
  return {
    ...(e.NATS_TLS_CA_FILE ? { caFile: e.NATS_TLS_CA_FILE } : {}),
    ...(e.NATS_TLS_CERT_FILE && e.NATS_TLS_KEY_FILE ? { certFile: e.NATS_TLS_CERT_FILE, keyFile: e.NATS_TLS_KEY_FILE } : {}),
  };
}

/** The connection of a validated environment (a schema with natsSettings(), NATS_URL and GT_NAMESPACE, refined by refineNats). */
export function natsConnectionFromEnv(e: NatsEnv & { NATS_URL: string; GT_NAMESPACE: string }, service: NatsService): NatsConnectionSettings {
  const credentials = natsCredentialsFromEnv(e, service, e.GT_NAMESPACE);
  const tls = natsTlsFromEnv(e);
  return {
    servers: e.NATS_URL,
    namespace: e.GT_NAMESPACE,
    ...(credentials ? { credentials } : {}),
    ...(tls ? { tls } : {}),
    streamReplicas: e.GT_STREAM_REPLICAS ?? 1,
  };
}

/** For an operator command (rebuild, holds, migrations): the NATS settings of `service`, whose user it borrows. */
export function loadNatsConnection(label: string, service: NatsService, env: NodeJS.ProcessEnv): NatsConnectionSettings {
  const schema = z.object({ NATS_URL: natsUrlSetting(), GT_NAMESPACE: namespaceSetting(), ...natsSettings() }).superRefine(refineNats);
  return natsConnectionFromEnv(parseEnv(label, schema, env), service);
}
