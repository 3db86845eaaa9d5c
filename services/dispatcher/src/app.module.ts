import { DynamicModule, Module } from '@nestjs/common';
import { lineLogger, runnersInOrder, serviceProviders } from '@gastown/service-runtime';
import { DispatcherConfig } from './config/dispatcher.config';
import { DEFAULT_PLAN_LIMITS } from './dispatch/dispatch.planner';
import { DispatchRunner } from './dispatch/dispatch.runner';
import { WebhookRunner } from './webhooks/webhook.runner';

@Module({})
export class AppModule {
  static forRoot(config: DispatcherConfig): DynamicModule {
    return {
      module: AppModule,
      providers: serviceProviders(
        {
          servers: config.natsUrl,
          namespace: config.namespace,
          name: `dispatcher ${config.dispatcherId}`,
          credentials: config.natsCredentials,
          tls: config.natsTls,
          streamReplicas: config.streamReplicas,
        },
        (bus) =>
          runnersInOrder(
            new DispatchRunner(bus, {
              dispatcherId: config.dispatcherId,
              log: lineLogger('dispatcher'),
              payloadReadTimeoutMs: config.payloadReadTimeoutMs,
              readAttempts: config.readAttempts,
              reconcile: { startDeadlineMs: config.startDeadlineMs, maxRepublishes: config.maxRepublishes },
              limits: {
                ...DEFAULT_PLAN_LIMITS,
                maxAgentsPerTown: config.maxAgentsPerTown,
                agentSlots: config.agentSlots,
                retryBaseMs: config.retryBaseMs,
                retryMaxMs: config.retryMaxMs,
              },
            }),
            new WebhookRunner(bus, { settings: config.webhooks, log: lineLogger('webhooks') }),
          ),
      ),
    };
  }
}
