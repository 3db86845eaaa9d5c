import type { NatsCredentials } from '@gastown/bus';

/**
 * Injection token of the configuration the bus, read-model and projection modules need. The
 * app provides it globally (config/config.module.ts) from the validated environment.
 */
export const GATEWAY_OPTIONS = 'GATEWAY_OPTIONS';

export interface GatewayOptions {
  /** PostgreSQL of the read models; the database is created when missing. */
  readonly databaseUrl: string;
  /** One or more NATS servers, comma separated. */
  readonly natsUrl: string;
  /** Prefix of every subject, stream and bucket (see `names()` in contracts). */
  readonly namespace: string;
  /** Absent for a NATS server without authorization. */
  readonly natsCredentials?: NatsCredentials;
}
