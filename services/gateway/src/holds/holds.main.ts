/**
 * The operator's view of the projector's holds, with the gateway's settings:
 *   DATABASE_URL=postgres://… NATS_URL=nats://… GT_NAMESPACE=gt [NATS_USER=… NATS_PASSWORD=…] \
 *     npm run holds -- list | retry <subject> | retry --all | skip <subject> --reason "…"
 * Safe while gateways run: a retry or skip and their projectors meet at the same rows
 * (compare-and-set per subject). Exit 0 done, 1 still held or not held, 2 usage.
 */
import { connectBus, type BusLogger } from '@gastown/bus';
import { loadNatsCredentials } from '@gastown/service-runtime';
import { ProjectionRunner } from '../projection/projection.runner';
import { createReadModelDataSource, initializeReadModelDataSource } from '../read-models/read-models.datasource';
import { formatHolds, formatRetry, HOLDS_USAGE, parseHoldsArgs, type HoldsCommand } from './holds.command';

function required(name: string, fallback?: string): string {
  const value = process.env[name] || fallback;
  if (!value) throw new Error(`${name} is required`);
  return value;
}

async function run(command: HoldsCommand, runner: ProjectionRunner): Promise<number> {
  switch (command.kind) {
    case 'list': {
      const holds = await runner.holds();
      console.log(command.json ? JSON.stringify(holds.map((h) => ({ service: 'projector', ...h }))) : formatHolds(holds));
      return 0;
    }
    case 'retry': {
      if (!(await runner.holds()).some((h) => h.subject === command.subject)) {
        console.error(`${command.subject} is not held`);
        return 1;
      }
      const { line, held } = formatRetry(await runner.retryHeld(command.subject));
      console.log(line);
      return held ? 1 : 0;
    }
    case 'retry-all': {
      let stillHeld = false;
      for (const result of await runner.retryAllHeld()) {
        const { line, held } = formatRetry(result);
        console.log(line);
        stillHeld ||= held;
      }
      return stillHeld ? 1 : 0;
    }
    case 'skip': {
      const result = await runner.skipHeld(command.subject, command.reason);
      const { line, held } = formatRetry(result, result.skipped.seq);
      console.log(line);
      return held ? 1 : 0;
    }
  }
}

async function main(): Promise<number> {
  const command = parseHoldsArgs(process.argv.slice(2));
  if ('error' in command) {
    console.error(`${command.error}\n${HOLDS_USAGE}`);
    return 2;
  }
  const databaseUrl = required('DATABASE_URL');
  const natsUrl = required('NATS_URL', 'nats://127.0.0.1:4222');
  const namespace = required('GT_NAMESPACE', 'gt');
  // Standard output is the answer (a list, a result line) for scripts; what happened on the way goes to standard error.
  const log: BusLogger = {
    info: (line) => console.error(`[holds] ${line}`),
    warn: (line) => console.error(`[holds] ${line}`),
    error: (line) => console.error(`[holds] ${line}`),
  };
  const dataSource = await initializeReadModelDataSource(createReadModelDataSource(databaseUrl));
  // It reads what the gateway's projector reads, so the gateway's NATS user (or the operator's) is enough.
  const credentials = loadNatsCredentials('holds', 'gateway', process.env);
  const bus = await connectBus({ servers: natsUrl, namespace, name: 'holds', logger: log, credentials });
  try {
    await dataSource.runMigrations();
    return await run(command, new ProjectionRunner(dataSource, bus, { logger: log }));
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
