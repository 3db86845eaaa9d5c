/**
 * What the benches that start real service processes share: a teardown that runs even on
 * failure, a global deadline, service start-up, namespace removal and git by argument vector.
 * The ideas follow apps/system-e2e (SystemHarness, OriginRepository); bench/ imports only libs.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { connectBus, ensureTopology, deleteTopology, type Bus } from '@gastown/bus';
import { startService, type ServiceProcess } from '@gastown/testing';

export const NATS_URL = process.env['NATS_URL'] ?? 'nats://127.0.0.1:4222';

export const quietLogger = { info: () => undefined, warn: () => undefined, error: (line: string) => console.error(line) };

export const describe = (error: unknown): string => (error instanceof Error ? error.message : String(error));

export function hex(bytes: number): string {
  return randomBytes(bytes).toString('hex');
}

/** A namespace of the bench's own: streams, subjects and buckets nobody else sees. */
export function benchNamespace(): string {
  return `bench${hex(4)}`;
}

/** Steps run in reverse order of registration, each bounded, each one's failure reported and passed over. */
export class Teardown {
  private readonly steps: { what: string; run: () => Promise<unknown> }[] = [];
  private done: Promise<void> | undefined;

  add(what: string, run: () => Promise<unknown>): void {
    this.steps.push({ what, run });
  }

  run(): Promise<void> {
    this.done ??= (async () => {
      for (const step of this.steps.splice(0).reverse()) {
        let timer: NodeJS.Timeout | undefined;
        const limit = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error('took over 30 s')), 30_000)));
        try {
          await Promise.race([step.run(), limit]);
        } catch (error) {
          console.error(`teardown: ${step.what} failed: ${describe(error)}`);
        } finally {
          clearTimeout(timer);
        }
      }
    })();
    return this.done;
  }
}

/**
 * Runs a bench under a global deadline and SIGINT/SIGTERM, then the teardown whatever happened,
 * then exits (so nothing left pending keeps the process alive).
 */
export function runBench(name: string, timeoutMs: number, body: (teardown: Teardown) => Promise<void>): void {
  const teardown = new Teardown();
  let timer: NodeJS.Timeout | undefined;
  const stopped = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${name}: gave up after the global timeout of ${timeoutMs / 1000} s`)), timeoutMs);
    for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => reject(new Error(`${name}: ${signal}`)));
  });
  void (async () => {
    let code = 0;
    try {
      await Promise.race([body(teardown), stopped]);
    } catch (error) {
      console.error(error instanceof Error ? (error.stack ?? error.message) : error);
      code = 1;
    } finally {
      clearTimeout(timer);
      await teardown.run();
    }
    process.exit(code);
  })();
}

/** Connects, creates the namespace's topology, and registers its removal (streams, buckets, KV) and the connection's close. */
export async function openNamespace(teardown: Teardown, namespace: string, name: string): Promise<Bus> {
  const bus = await connectBus({ servers: NATS_URL, namespace, name, logger: quietLogger });
  teardown.add('closing the bench connection', () => bus.close());
  teardown.add(`removing namespace ${namespace}`, () => dropNamespace(bus));
  await ensureTopology(bus);
  return bus;
}

/** Every stream of the namespace: the topology, the services' KV buckets and anything a bench added. */
export async function dropNamespace(bus: Bus): Promise<void> {
  await deleteTopology(bus).catch(() => undefined);
  const { namespace } = bus.names;
  const prefixes = [`${namespace.toUpperCase()}_`, `OBJ_${namespace}-`, `KV_${namespace}-`];
  const doomed: string[] = [];
  for await (const stream of bus.jsm.streams.names()) if (prefixes.some((p) => stream.startsWith(p))) doomed.push(stream);
  for (const stream of doomed) await bus.jsm.streams.delete(stream);
}

export interface ServiceSpec {
  service: string;
  env?: Record<string, string>;
}

const READY_TEXT: Record<string, string> = {
  convoy: 'convoy service ready',
  gateway: 'gateway ready',
  dispatcher: 'dispatcher ready',
  'git-runner': 'git-runner ready',
};

/** Starts the services side by side; every one that started is stopped by the teardown, even when another failed. */
export async function startServices(teardown: Teardown, env: Record<string, string>, specs: ServiceSpec[]): Promise<ServiceProcess[]> {
  const started = await Promise.allSettled(
    specs.map((spec) => startService(spec.service, { env: { ...env, ...spec.env }, readyText: READY_TEXT[spec.service], timeoutMs: 60_000 })),
  );
  started.forEach((outcome, i) => {
    if (outcome.status === 'fulfilled') teardown.add(`stopping ${specs[i].service}`, () => outcome.value.stop());
  });
  const failed = started.find((outcome): outcome is PromiseRejectedResult => outcome.status === 'rejected');
  if (failed) throw failed.reason;
  return started.map((outcome) => (outcome as PromiseFulfilledResult<ServiceProcess>).value);
}

/** Runs `task` over `items` with at most `limit` in flight; the first failure fails the whole. */
export async function pool<T>(items: readonly T[], limit: number, task: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const index = next++;
        await task(items[index], index);
      }
    }),
  );
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

const GIT_IDENTITY = ['-c', 'user.name=Bench', '-c', 'user.email=bench@gastown.local', '-c', 'init.defaultBranch=main', '-c', 'commit.gpgsign=false'];

/** git with an argument vector, never a shell string; resolves with its trimmed output. */
export function git(cwd: string, ...args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('git', [...GIT_IDENTITY, ...args], { cwd, encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`git ${args.join(' ')} in ${cwd}: ${stderr.trim() || error.message}`));
      else resolve(stdout.trim());
    });
  });
}

/** A bare repository under `dir` with one commit on main, standing in for a rig's origin. Returns its path. */
export async function createOrigin(dir: string): Promise<string> {
  const bare = join(dir, 'origin.git');
  await mkdir(dir, { recursive: true });
  await git(dir, 'init', '--bare', bare);
  const seed = join(dir, 'seed');
  await git(dir, 'clone', '--quiet', bare, seed);
  await writeFile(join(seed, 'README.md'), '# bench rig\n');
  await git(seed, 'add', '-A');
  await git(seed, 'commit', '--quiet', '-m', 'initial commit');
  await git(seed, 'push', '--quiet', 'origin', 'HEAD:refs/heads/main');
  return bare;
}
