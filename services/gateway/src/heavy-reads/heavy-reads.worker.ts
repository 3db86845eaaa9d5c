/**
 * A heavy-read worker thread (see heavy-reads.pool.ts): the gateway's own modules without its
 * listeners, consumers or health endpoints, executing the reads the main thread admitted.
 */
import 'reflect-metadata';
import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import { NestFactory } from '@nestjs/core';
import { GraphQLSchemaHost } from '@nestjs/graphql';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { ServiceLogger } from '@gastown/service-runtime';
import { AppModule } from '../app.module';
import type { GatewayConfig } from '../config/gateway.config';
import { executeHeavyRead } from './heavy-reads.executor';
import type { HeavyRead, WorkerMessage } from './heavy-reads.protocol';

const { config, nice } = workerData as { config: GatewayConfig; nice: number };
const port = parentPort;

/**
 * Lowers this thread's priority only: on Linux a thread is scheduled on its own, and
 * setpriority(2) given its thread id applies to it alone. Elsewhere the worker keeps the process's.
 */
function lowerPriority(): void {
  if (nice === 0) return;
  try {
    setPriority(Number(readlinkSync('/proc/thread-self').split('/').pop()), nice);
  } catch (error) {
    new ServiceLogger(['warn']).warn(`heavy reads run at the gateway's own priority: ${(error as Error).message}`, 'HeavyReads');
  }
}

async function serve(): Promise<void> {
  if (!port) throw new Error('heavy-reads.worker.ts runs as a worker thread of the gateway');
  lowerPriority();
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(config), {
    bodyParser: false,
    // The main thread already says that the gateway's modules started; the worker speaks up only when something goes wrong.
    logger: new ServiceLogger(['error', 'warn']),
  });
  await app.init();
  const { schema } = app.get(GraphQLSchemaHost);
  const send = (message: WorkerMessage) => port.postMessage(message);
  port.on('message', (read: HeavyRead) => {
    executeHeavyRead(schema, read).then(
      (answer) => send({ kind: 'answer', answer }),
      (error: unknown) => send({ kind: 'failed', id: read.id, message: error instanceof Error ? error.message : String(error) }),
    );
  });
  send({ kind: 'ready' });
}

serve().catch((error: unknown) => {
  // Thrown from the worker, it reaches the pool's 'error' listener, which names it to the reads that waited.
  throw error instanceof Error ? error : new Error(String(error));
});
