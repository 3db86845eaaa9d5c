/**
 * The operator's view of the holds of the projector and of the dispatcher (the holds registry), with the gateway's settings:
 *   DATABASE_URL=postgres://… NATS_URL=nats://… GT_NAMESPACE=gt [NATS_USER=… NATS_PASSWORD=…] \
 *     npm run holds -- list | retry <subject> | retry --all | skip <subject> --reason "…"
 * Safe while gateways run: a retry or skip and their projectors meet at the same rows
 * (compare-and-set per subject). A dispatcher hold is released by a request in the registry that
 * every dispatcher watches; the command waits up to DISPATCHER_ANSWER_MS for its answer.
 * Exit 0 done, 1 still held or not held, 2 usage.
 */
import { connectBus, HoldsRegistry, type BusLogger } from '@gastown/bus';
import { loadDatabaseUrl, loadNatsConnection } from '@gastown/service-runtime';
import { runMigrationsLocked } from '../migrations/migrations.lock';
import { ProjectionRunner } from '../projection/projection.runner';
import { createReadModelDataSource, initializeReadModelDataSource } from '../read-models/read-models.datasource';
import { formatDispatcherRelease, formatHolds, formatRetry, HOLDS_USAGE, listedHold, parseHoldsArgs, type HoldsCommand } from './holds.command';

/** A re-read of one convoy takes well under a second; this leaves room for a large plan and a busy dispatcher. */
const DISPATCHER_ANSWER_MS = 30_000;

/** Each line printed; the exit code says whether anything is still held. */
function report(results: readonly { line: string; held: boolean }[]): number {
  for (const { line } of results) console.log(line);
  return results.some((r) => r.held) ? 1 : 0;
}

async function run(command: HoldsCommand, runner: ProjectionRunner, registry: HoldsRegistry): Promise<number> {
  const requestedAt = () => new Date().toISOString();
  const retryDispatcher = async (subject: string, seq: number) =>
    formatDispatcherRelease(subject, await registry.release('dispatcher', subject, { action: 'retry', seq, requestedAt: requestedAt() }, DISPATCHER_ANSWER_MS));
  switch (command.kind) {
    case 'list': {
      const holds = [...(await runner.holds()), ...(await registry.holds('dispatcher')).map(listedHold)];
      console.log(command.json ? JSON.stringify(holds.map((h) => ({ service: 'projector', ...h }))) : formatHolds(holds));
      return 0;
    }
    case 'retry': {
      const projector = (await runner.holds()).some((h) => h.subject === command.subject);
      const dispatcher = await registry.heldBy('dispatcher', command.subject);
      if (!projector && !dispatcher) {
        console.error(`${command.subject} is not held`);
        return 1;
      }
      return report([
        ...(projector ? [formatRetry(await runner.retryHeld(command.subject))] : []),
        ...(dispatcher ? [await retryDispatcher(command.subject, dispatcher.seq)] : []),
      ]);
    }
    case 'retry-all': {
      const results = (await runner.retryAllHeld()).map((result) => formatRetry(result));
      for (const hold of await registry.holds('dispatcher')) results.push(await retryDispatcher(hold.subject, hold.seq));
      return report(results);
    }
    case 'skip': {
      const projector = (await runner.holds()).some((h) => h.subject === command.subject);
      const dispatcher = await registry.heldBy('dispatcher', command.subject);
      if (!projector && !dispatcher) {
        console.error(`${command.subject} is not held`);
        return 1;
      }
      const results: { line: string; held: boolean }[] = [];
      if (projector) {
        const result = await runner.skipHeld(command.subject, command.reason);
        results.push(formatRetry(result, result.skipped.seq));
      }
      if (dispatcher) {
        const request = { action: 'skip', seq: dispatcher.seq, reason: command.reason, requestedAt: requestedAt() } as const;
        results.push(formatDispatcherRelease(command.subject, await registry.release('dispatcher', command.subject, request, DISPATCHER_ANSWER_MS), dispatcher.seq));
      }
      return report(results);
    }
  }
}

async function main(): Promise<number> {
  const command = parseHoldsArgs(process.argv.slice(2));
  if ('error' in command) {
    console.error(`${command.error}\n${HOLDS_USAGE}`);
    return 2;
  }
  const databaseUrl = loadDatabaseUrl('holds', process.env);
  // It reads what the gateway's projector reads and may ask for releases in the holds registry, so the gateway's NATS user (or the operator's) is enough.
  const nats = loadNatsConnection('holds', 'gateway', process.env);
  // Standard output is the answer (a list, a result line) for scripts; what happened on the way goes to standard error.
  const log: BusLogger = {
    info: (line) => console.error(`[holds] ${line}`),
    warn: (line) => console.error(`[holds] ${line}`),
    error: (line) => console.error(`[holds] ${line}`),
  };
  const dataSource = await initializeReadModelDataSource(createReadModelDataSource(databaseUrl));
  const bus = await connectBus({ ...nats, name: 'holds', logger: log });
  try {
    await runMigrationsLocked(dataSource, databaseUrl);
    return await run(command, new ProjectionRunner(dataSource, bus, { logger: log }), new HoldsRegistry(bus));
  } finally {
    await bus.close();
    await dataSource.destroy();
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(`[holds] failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  },
);
