import type { NatsCredentials, NatsTls, StreamReplicas } from '@gastown/bus';
import type { MigrationMode } from './migrations/migrations.lock';

/**
 * Injection token of the configuration the bus, read-model and projection modules need. The
 * app provides it globally (config/config.module.ts) from the validated environment.
 */
export const GATEWAY_OPTIONS = 'GATEWAY_OPTIONS';

export interface GatewayOptions {
  /** PostgreSQL of the read models; the database is created when missing (unless migrations are skipped). */
  readonly databaseUrl: string;
  /** Connections of the read-model pool; 10 when absent. */
  readonly databasePoolMax?: number;
  /** What the gateway does with pending migrations at start; run when absent. */
  readonly migrations?: MigrationMode;
  /** One or more NATS servers, comma separated. */
  readonly natsUrl: string;
  /** Prefix of every subject, stream and bucket (see `names()` in contracts). */
  readonly namespace: string;
  /** Absent for a NATS server without authorization. */
  readonly natsCredentials?: NatsCredentials;
  /** Absent: TLS only as the URL or the server asks, against the system's roots. */
  readonly natsTls?: NatsTls;
  /** Copies of every stream and bucket the gateway creates; 1 when absent. */
  readonly streamReplicas?: StreamReplicas;
  /** A heavy-read worker's app (GatewayConfig.readerOnly): it starts no consumer. */
  readonly readerOnly?: boolean;
}
