import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { Logger } from '@nestjs/common';
import { GraphQLError } from 'graphql';
import { redactCredentials } from '@gastown/contracts';
import type { GatewayConfig } from '../config/gateway.config';
import { apiError } from '../graphql/graphql.errors';
import type { HeavyRead, HeavyReadAnswer, WorkerMessage } from './heavy-reads.protocol';

/** GATEWAY_HEAVY_READ_WORKERS and GATEWAY_HEAVY_READ_HEAP_MB. */
export interface HeavyReadsSettings {
  /** Worker threads that execute heavy reads; 0 executes them on the main thread, in time slices. */
  readonly workers: number;
  /** Old-generation heap of each worker: a read that needs more fails alone, and the worker restarts. */
  readonly heapMb: number;
  /**
   * The workers' scheduling priority (Linux nice, 0–19): the CPU a heavy read needs goes to it only
   * when the thread that serves every other request, and the database, do not want it.
   */
  readonly nice: number;
}

/**
 * One worker: heavy reads allocate hundreds of MB of rows, loaders, result objects and JSON, and
 * on the main thread their garbage collection and unsliced work (row hydration, DataLoader batches)
 * stopped every other town's requests, time slices or not. A worker has its own heap and
 * collector, and a thread the operating system shares with the main one.
 */
export const DEFAULT_HEAVY_READS: HeavyReadsSettings = { workers: 1, heapMb: 1_024, nice: 10 };

/**
 * The worker's entry: the compiled file beside the bundle, with the process's own node options; or,
 * from sources, the TypeScript through the workspace's worker loader (not @swc-node/register, whose
 * native binding crashes the process when a second worker loads it after the first has ended).
 */
function workerEntry(): { file: string; execArgv?: string[] } {
  if (!__filename.endsWith('.ts')) return { file: join(__dirname, 'heavy-reads.worker.js') };
  const loader = join(__dirname, '..', '..', '..', '..', 'tools', 'workspace', 'src', 'build', 'typescript-worker.register.js');
  return { file: join(__dirname, 'heavy-reads.worker.ts'), execArgv: ['-r', loader] };
}

/**
 * What a worker needs to build the same schema over the same read models: no secrets (reads never
 * open them), no dashboard, no migrations (the main thread ran them), a small pool of its own.
 */
export function workerConfig(config: GatewayConfig, settings: HeavyReadsSettings): GatewayConfig {
  const { secrets: _secrets, egressAllow: _egress, heavyReads: _heavyReads, ...rest } = config;
  return { ...rest, dashboardDir: null, migrations: 'skip', databasePoolMax: Math.min(config.databasePoolMax ?? 10, 2 + settings.workers), readerOnly: true };
}

interface Waiting {
  readonly resolve: (answer: HeavyReadAnswer) => void;
  readonly reject: (error: Error) => void;
}

class PoolWorker {
  private worker: Worker | null = null;
  private booted: Promise<Worker> | null = null;
  private readonly waiting = new Map<number, Waiting>();
  private lastError: (Error & { code?: string }) | null = null;
  private closing = false;

  constructor(
    private readonly config: GatewayConfig,
    private readonly settings: HeavyReadsSettings,
    private readonly logger: Logger,
  ) {}

  get load(): number {
    return this.waiting.size;
  }

  start(): Promise<Worker> {
    this.booted ??= this.boot().catch((error: unknown) => {
      this.booted = null;
      throw error;
    });
    return this.booted;
  }

  async run(read: HeavyRead): Promise<HeavyReadAnswer> {
    let worker: Worker;
    try {
      worker = await this.start();
    } catch (error) {
      throw apiError('UNAVAILABLE', `heavy reads cannot run now: ${(error as Error).message}; retry shortly`, { http: { status: 503 } });
    }
    // Exited since it started: a message posted to it would never be answered.
    if (this.worker !== worker) throw apiError('UNAVAILABLE', 'the heavy-read worker stopped; retry shortly', { http: { status: 503 } });
    // Registered before the message goes, so that an exit from now on rejects it (exited).
    const answer = new Promise<HeavyReadAnswer>((resolve, reject) => this.waiting.set(read.id, { resolve, reject }));
    worker.postMessage(read);
    return answer;
  }

  async close(): Promise<void> {
    this.closing = true;
    const worker = this.worker ?? (await this.booted?.catch(() => null));
    await worker?.terminate();
  }

  private boot(): Promise<Worker> {
    const { file, execArgv } = workerEntry();
    const worker = new Worker(file, {
      execArgv,
      workerData: { config: workerConfig(this.config, this.settings), nice: this.settings.nice },
      resourceLimits: { maxOldGenerationSizeMb: this.settings.heapMb },
    });
    this.worker = worker;
    worker.on('message', (message: WorkerMessage) => this.received(message));
    worker.on('error', (error: Error) => (this.lastError = error));
    worker.on('exit', (code) => this.exited(worker, code));
    return new Promise<Worker>((resolve, reject) => {
      const ready = (message: WorkerMessage) => {
        if (message.kind !== 'ready') return;
        worker.off('message', ready);
        worker.off('exit', failed);
        resolve(worker);
      };
      const failed = () => reject(new Error(this.lastError?.message ?? 'the heavy-read worker stopped while starting'));
      worker.on('message', ready);
      worker.once('exit', failed);
    });
  }

  private received(message: WorkerMessage): void {
    if (message.kind === 'ready') return;
    const id = message.kind === 'answer' ? message.answer.id : message.id;
    const waiting = this.waiting.get(id);
    if (!waiting) return;
    this.waiting.delete(id);
    if (message.kind === 'answer') {
      waiting.resolve(message.answer);
      return;
    }
    this.logger.error(redactCredentials(`a heavy read failed in its worker: ${message.message}`));
    waiting.reject(apiError('INTERNAL', 'internal error'));
  }

  private exited(worker: Worker, code: number): void {
    if (this.worker !== worker) return;
    this.worker = null;
    this.booted = null;
    const outOfMemory = this.lastError?.code === 'ERR_WORKER_OUT_OF_MEMORY';
    const error = outOfMemory
      ? new GraphQLError(`a heavy read needed more than the ${this.settings.heapMb} MB a heavy read may take; ask for fewer items at once`, {
          extensions: { code: 'QUERY_TOO_COSTLY', heapMb: this.settings.heapMb, http: { status: 400 } },
        })
      : apiError('UNAVAILABLE', 'the heavy-read worker stopped; retry shortly', { http: { status: 503 } });
    if (!this.closing) this.logger.error(`heavy-read worker stopped (exit code ${code}${outOfMemory ? ', out of memory' : ''}); ${this.waiting.size} read(s) failed, the next one starts it again`);
    this.lastError = null;
    for (const waiting of this.waiting.values()) waiting.reject(error);
    this.waiting.clear();
  }
}

/** Executes heavy reads in worker threads, each read in the least loaded one. */
export class HeavyReadsPool {
  private readonly workers: PoolWorker[];
  private nextId = 0;

  constructor(config: GatewayConfig, settings: HeavyReadsSettings) {
    const logger = new Logger('HeavyReads');
    this.workers = Array.from({ length: settings.workers }, () => new PoolWorker(config, settings, logger));
  }

  /** Starts every worker now rather than at the first heavy read, which would wait for it. */
  async warm(): Promise<void> {
    await Promise.all(this.workers.map((worker) => worker.start()));
  }

  run(read: Omit<HeavyRead, 'id'>): Promise<HeavyReadAnswer> {
    const worker = this.workers.reduce((least, candidate) => (candidate.load < least.load ? candidate : least));
    return worker.run({ ...read, id: this.nextId++ });
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((worker) => worker.close()));
  }
}
