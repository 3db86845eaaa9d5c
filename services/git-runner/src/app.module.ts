import { DynamicModule, Inject, Injectable, Module, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import type { Bus } from '@gastown/bus';
import { BUS, busProvider } from '@gastown/service-runtime';
import { GitRunnerConfig } from './config/git-runner.config';
import { GitRunner } from './runner/git-runner.service';

const CONFIG = Symbol('GIT_RUNNER_CONFIG');

@Injectable()
class GitRunnerLifecycle implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly runner: GitRunner;

  constructor(@Inject(BUS) private readonly bus: Bus, @Inject(CONFIG) config: GitRunnerConfig) {
    this.runner = new GitRunner(bus, config);
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.runner.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.runner.stop();
    await this.bus.close();
  }
}

@Module({})
export class AppModule {
  static forRoot(config: GitRunnerConfig): DynamicModule {
    return {
      module: AppModule,
      providers: [
        { provide: CONFIG, useValue: config },
        busProvider({ servers: config.natsUrl, namespace: config.namespace, name: `git-runner ${config.runnerId}` }),
        GitRunnerLifecycle,
      ],
    };
  }
}
