import { DynamicModule, Module } from '@nestjs/common';
import { serviceProviders } from '@gastown/service-runtime';
import { GitRunnerConfig } from './config/git-runner.config';
import { GitRunner } from './runner/git-runner.service';

@Module({})
export class AppModule {
  static forRoot(config: GitRunnerConfig): DynamicModule {
    return {
      module: AppModule,
      providers: serviceProviders(
        {
          servers: config.natsUrl,
          namespace: config.namespace,
          name: `git-runner ${config.runnerId}`,
          credentials: config.natsCredentials,
          tls: config.natsTls,
          streamReplicas: config.streamReplicas,
        },
        (bus) => new GitRunner(bus, config),
      ),
    };
  }
}
