import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ConfigError, READINESS, ServiceLogger, startObservability } from '@gastown/service-runtime';
import { AppModule } from './app.module';
import { loadGitRunnerConfig } from './config/git-runner.config';
import { displayUrl } from './git/git.process';
import { DataDirInUseError } from './runner/data-dir.lock';
import { SandboxUnavailableError } from './sandbox/sandbox.errors';

async function bootstrap(): Promise<void> {
  const config = loadGitRunnerConfig();
  const observability = await startObservability('git-runner');
  const app = await NestFactory.createApplicationContext(AppModule.forRoot(config), {
    logger: new ServiceLogger(),
  });
  drainOnSignal(() => app.close());
  observability.attach(app.get(READINESS));
  new Logger('git-runner').log(
    `git-runner ready (${config.runnerId}, nats ${displayUrl(config.natsUrl)}, namespace ${config.namespace}, ` +
      `data ${config.dataDir}, up to ${config.maxAgents} agents)`,
  );
  const { repositories } = config;
  const roots = [...repositories.localRoots, ...Object.values(repositories.localRootsByTown).flat()];
  new Logger('git-runner').log(
    `local repositories: ${roots.length > 0 ? `under ${repositories.localRoots.join(', ') || '(no shared root)'}` : 'refused (GASTOWN_LOCAL_REPO_ROOTS is empty)'}` +
      `${Object.keys(repositories.localRootsByTown).length > 0 ? ` and per-town roots of ${Object.keys(repositories.localRootsByTown).length} towns` : ''}; ` +
      `inside addresses allowed: ${repositories.egressAllow.length > 0 ? `${repositories.egressAllow.length} GASTOWN_EGRESS_ALLOW entries` : 'none'}`,
  );
  if (repositories.ambientCredentials) {
    new Logger('git-runner').warn(
      "GIT_RUNNER_AMBIENT_GIT_CREDENTIALS=true: git uses this runner's own ssh-agent, keys and credential helpers for every town; single-tenant installs only",
    );
  }
}

/**
 * SIGTERM (or SIGINT) starts the drain (GitRunner.stop) and the process exits 0 once it is done:
 * a rolling restart is an orderly stop, not a failure. A second signal is not caught, so it
 * stops the runner at once (its running agents then count as lost).
 */
function drainOnSignal(close: () => Promise<void>): void {
  const signals = ['SIGTERM', 'SIGINT'] as const;
  const drain = (signal: NodeJS.Signals) => {
    for (const s of signals) process.removeListener(s, drain);
    new Logger('git-runner').log(`${signal}: claiming no new work and draining (GIT_RUNNER_DRAIN_MS)`);
    close().then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`git-runner did not stop cleanly: ${error instanceof Error ? error.message : String(error)}\n`);
        process.exit(1);
      },
    );
  };
  for (const signal of signals) process.once(signal, drain);
}

bootstrap().catch((error: unknown) => {
  // Both are the operator's to fix; a restart would only fail the same way.
  if (error instanceof ConfigError || error instanceof DataDirInUseError || error instanceof SandboxUnavailableError) {
    process.stderr.write(`${error.message}\n`);
    process.exit(2);
  }
  process.stderr.write(`git-runner failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
